"""Checkpoints round-trip exactly and refuse corrupt or mismatched files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from backbone import checkpoint
from backbone.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from backbone.models import available_models, create_model
from backbone.training import TrainArgs
from backbone.utils import seed_everything

ARGS = TrainArgs(epochs=2, lr=3e-4, optimizer="sgd", amp=False, max_steps=9)
METADATA = {"accuracy": 0.8125, "commit": "abc123", "tags": ["a", "b"], "nested": {"n": None}}


@pytest.fixture(name="saved")
def saved_fixture(tmp_path: Path, make_tiny):
    """A trained-looking tiny ResNet (non-default BN statistics) saved to a file."""
    seed_everything(0)
    model = make_tiny("resnet")
    model(torch.randn(4, 1, 8, 8))  # updates BatchNorm running statistics
    path = save_checkpoint(tmp_path / "model.pt", model, ARGS, METADATA)
    return path, model


@pytest.mark.parametrize("name", available_models())
@pytest.mark.parametrize("into_model", [False, True])
def test_round_trip_is_exact(tmp_path: Path, name: str, into_model: bool, make_tiny) -> None:
    """Weights (bitwise), args and metadata come back equal, built fresh or loaded into one."""
    seed_everything(1)
    model = make_tiny(name)
    path = save_checkpoint(tmp_path / "m.pt", model, ARGS, METADATA)
    seed_everything(2)
    target = make_tiny(name) if into_model else None
    loaded = load_checkpoint(path, target)
    if into_model:
        assert loaded.model is target
    original, restored = model.state_dict(), loaded.model.state_dict()
    assert original.keys() == restored.keys()
    for key, tensor in original.items():
        assert restored[key].dtype == tensor.dtype and torch.equal(restored[key], tensor), key
    assert loaded.args == ARGS and loaded.metadata == METADATA
    assert loaded.spec.name == name and loaded.version == checkpoint.FORMAT_VERSION


def test_missing_file(tmp_path: Path) -> None:
    """A missing path is a CheckpointError naming it."""
    with pytest.raises(CheckpointError, match="checkpoint not found: .*absent.pt"):
        load_checkpoint(tmp_path / "absent.pt")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_file(saved, damage: str) -> None:
    """Truncated, garbage and empty files raise CheckpointError, not a torch internal."""
    path, _ = saved
    data = path.read_bytes()
    replacement = {
        "truncate": data[: len(data) // 2],
        "garbage": b"definitely not a checkpoint " * 50,
        "empty": b"",
    }[damage]
    path.write_bytes(replacement)
    with pytest.raises(CheckpointError, match="corrupt or not a checkpoint"):
        load_checkpoint(path)


def _rewrite(path: Path, **changes: object) -> None:
    """Re-save the payload with some fields changed (the stored checksum is kept as is)."""
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    torch.save(payload, path)


def test_tampered_weights_fail_checksum(saved) -> None:
    """A changed weight that still unpickles fine is caught by the SHA-256."""
    path, _ = saved
    state = torch.load(path, weights_only=True)["state_dict"]
    key = next(iter(state))
    state[key] = state[key].clone()
    state[key].view(-1)[0] += 1.0
    _rewrite(path, state_dict=state)
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_checkpoint(path)


def test_other_version_is_refused(saved) -> None:
    """A future format version is named in the error."""
    path, _ = saved
    _rewrite(path, version=99)
    with pytest.raises(CheckpointError, match="format version 99 is not supported"):
        load_checkpoint(path)


def test_not_a_checkpoint(tmp_path: Path) -> None:
    """A valid torch file of some other kind is refused."""
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="not a backbone-checkpoint file"):
        load_checkpoint(path)


@pytest.mark.parametrize("other", [
    ("resnet", {"width": 8}),
    ("vit", {"image_size": 8, "patch_size": 2, "dim": 16, "depth": 1, "heads": 2}),
])
def test_mismatched_model_is_refused(saved, other: tuple[str, dict]) -> None:
    """Loading into another config or architecture fails, naming both."""
    path, _ = saved
    name, config = other
    with pytest.raises(CheckpointError, match="checkpoint holds resnet .* but the model is"):
        load_checkpoint(path, create_model(name, **config))


def test_hand_built_model_with_wrong_shapes(saved) -> None:
    """A module without a spec is checked by a strict state-dict load."""
    path, _ = saved
    with pytest.raises(CheckpointError, match="weights do not fit the model"):
        load_checkpoint(path, torch.nn.Linear(3, 3))


def test_unsaveable_inputs(tmp_path: Path, make_tiny) -> None:
    """Non-JSON metadata and models without a spec are refused before anything is written."""
    with pytest.raises(ValueError, match="metadata must be JSON-plain"):
        save_checkpoint(tmp_path / "a.pt", make_tiny("resnet"), ARGS, {"x": float("nan")})
    with pytest.raises(ValueError, match="would not load back equal"):
        save_checkpoint(tmp_path / "a.pt", make_tiny("resnet"), ARGS, {"x": (1, 2)})
    with pytest.raises(CheckpointError, match="not built by"):
        save_checkpoint(tmp_path / "a.pt", torch.nn.Linear(2, 2), ARGS)
    assert not list(tmp_path.iterdir())
