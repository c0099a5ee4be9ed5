"""benchmarks/nightly_replay.py's planted slowdown, without a nightly: the changed ResNet is
valid code, does more work in a training step and computes bit-identical numbers."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import torch

from backbone.models import registry
from backbone.models.resnet import ResNet
from backbone.training import prepare_training
from suites.integration.profiles import SMOKE

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "nightly_replay.py"
REPEATS = 3


def load(name: str, path: Path, monkeypatch):
    """The module at `path`, imported under `name` (in sys.modules for this test)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(name="replay")
def fixture_replay(monkeypatch):
    if not SCRIPT.is_file():
        pytest.skip("benchmarks/ is not here (the images leave it out)")
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts its root first
    return load("nightly_replay", SCRIPT, monkeypatch)


@pytest.fixture(name="planted")
def fixture_planted(replay, tmp_path, monkeypatch):
    """The ResNet class of a planted copy of backbone/models/resnet.py."""
    path = tmp_path / "resnet.py"
    shutil.copy(ROOT / replay.RESNET, path)
    replay.plant_slowdown(path, REPEATS)
    monkeypatch.setattr(registry, "_REGISTRY", {})  # the copy registers "resnet" again
    return load("planted_resnet", path, monkeypatch).ResNet


def test_the_plant_only_adds_lines_to_resnet_forward(replay, tmp_path):
    path = tmp_path / "resnet.py"
    original = (ROOT / replay.RESNET).read_text().splitlines()
    path.write_text("\n".join(original) + "\n")
    replay.plant_slowdown(path, REPEATS)
    changed = path.read_text().splitlines()
    added = [line for line in changed if line not in original]
    assert [line for line in changed if line in original] == original
    assert len(added) == 4 and replay.PLANTED in added[0]
    assert f"range({REPEATS})" in added[2]


def test_a_file_without_resnet_forward_is_refused(replay, tmp_path):
    path = tmp_path / "other.py"
    path.write_text("class ResNet:\n    pass\n")
    with pytest.raises(SystemExit, match="no ResNet.forward"):
        replay.plant_slowdown(path, REPEATS)


def convolutions(model) -> list[int]:
    """A counter of the stem convolution's calls (a forward hook)."""
    calls = [0]
    model.stem[0].register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


def trained(model_class, batch, steps: int = 2):
    """A seeded smoke-profile ResNet after `steps` training steps: losses, the model and
    its stem convolution's call count."""
    settings = SMOKE.archs["resnet"]
    torch.manual_seed(0)
    model = model_class(in_channels=1, num_classes=10, **settings.model)
    calls = convolutions(model)
    setup = prepare_training(model, settings.args, torch.device("cpu"), 100)
    losses = [setup.step(batch) for _ in range(steps)]
    return losses, model, calls[0]


def test_the_planted_step_does_more_work_with_bit_identical_numbers(planted):
    torch.manual_seed(1)
    batch = (torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,)))
    losses, model, calls = trained(ResNet, batch)
    slow_losses, slow_model, slow_calls = trained(planted, batch)
    assert (calls, slow_calls) == (2, 2 * (1 + REPEATS))
    assert all(torch.equal(a, b) for a, b in zip(losses, slow_losses))
    for (name, value), (_, slow) in zip(model.state_dict().items(),
                                        slow_model.state_dict().items()):
        assert torch.equal(value, slow), name  # weights and BatchNorm statistics
    for parameter, slow in zip(model.parameters(), slow_model.parameters()):
        assert torch.equal(parameter.grad, slow.grad)


def test_eval_and_inference_do_no_extra_work(planted):
    torch.manual_seed(0)
    model = planted(in_channels=1, num_classes=10, **SMOKE.archs["resnet"].model)
    calls = convolutions(model)
    images = torch.randn(4, 1, 28, 28)
    model.eval()
    with torch.inference_mode():
        model(images)
    model.train()
    with torch.no_grad():
        model(images)
    assert calls[0] == 2


def test_the_repeats_are_the_requested_share_of_the_step(replay):
    assert replay.repeats_for(10, step_s=0.040, conv_s=0.0002) == 20
    assert replay.repeats_for(10, step_s=0.001, conv_s=0.01) == 1


def test_the_calibration_times_the_step_and_the_convolution(replay):
    step_s, conv_s = replay.step_costs("smoke", threads=1, rounds=3)
    assert step_s > conv_s > 0
