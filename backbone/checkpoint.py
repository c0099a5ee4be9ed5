"""Save and load trained models: weights, training arguments and metadata, verified on load.

A checkpoint is a ``torch.save`` file holding only plain types (loaded with
``weights_only=True``): a format tag and version, the model's registered name and config, the
``TrainArgs`` and metadata as JSON text, the state dict, and a SHA-256 of the weights.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from backbone.models.registry import ModelSpec, model_spec
from backbone.training.args import TrainArgs

FORMAT = "backbone-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(Exception):
    """A checkpoint is missing, corrupt, of another format version, or does not fit a model."""


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the model with its weights, and what was saved with it."""

    model: nn.Module
    spec: ModelSpec
    args: TrainArgs
    metadata: dict[str, Any]
    version: int


def weights_digest(state_dict: dict[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and raw bytes, in key order."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().to("cpu").contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    args: TrainArgs,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` (built by ``create_model``), ``args`` and ``metadata`` to ``path``.

    ``metadata`` must be JSON-plain (dict/list/str/int/float/bool/None, finite floats) so it
    loads back equal; anything else raises ``ValueError`` before writing. The file is written
    to a temporary name and renamed, so a failed save leaves no half-written checkpoint.
    """
    path = Path(path)
    try:
        spec = model_spec(model)
    except ValueError as error:
        raise CheckpointError(str(error)) from None
    metadata = dict(metadata or {})
    metadata_json = _plain_json("metadata", metadata)
    state_dict = {name: tensor.detach().to("cpu") for name, tensor in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "model": {"name": spec.name, "config": _plain_json("model config", spec.config)},
        "args": _plain_json("args", args.to_dict()),
        "metadata": metadata_json,
        "state_dict": state_dict,
        "sha256": weights_digest(state_dict),
    }
    partial = path.with_name(path.name + ".partial")
    try:
        torch.save(payload, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | Path, model: nn.Module | None = None) -> Checkpoint:
    """Load a checkpoint into ``model``, or into a fresh model built from its stored spec.

    Raises:
        CheckpointError: missing, truncated or garbage file; other format or version; weights
            that fail their checksum; a ``model`` of another architecture or config.
    """
    path = Path(path)
    payload = _read(path)
    spec = _stored_spec(path, payload["model"])
    if model is None:
        try:
            model = spec.build()
        except ValueError as error:
            raise CheckpointError(f"{path}: cannot build the stored model: {error}") from None
    else:
        _check_same_model(path, model, spec)
    try:
        args = TrainArgs.from_dict(_parse_json(path, payload["args"]))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: invalid stored training args: {error}") from None
    try:
        model.load_state_dict(payload["state_dict"], strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: weights do not fit the model: {error}") from None
    return Checkpoint(model, spec, args, _parse_json(path, payload["metadata"]), FORMAT_VERSION)


def _read(path: Path) -> dict[str, Any]:
    """Load and verify the payload: format, version, keys and weights checksum."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError, TypeError, KeyError, AttributeError,
            pickle.UnpicklingError, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path}: corrupt or not a checkpoint ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a {FORMAT} file")
    if payload.get("version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format version {payload.get('version')!r} is not supported "
            f"(this backbone reads version {FORMAT_VERSION})"
        )
    missing = {"model", "args", "metadata", "state_dict", "sha256"} - set(payload)
    if missing:
        raise CheckpointError(f"{path}: missing field(s) {', '.join(sorted(missing))}")
    if weights_digest(payload["state_dict"]) != payload["sha256"]:
        raise CheckpointError(f"{path}: weights fail their SHA-256 check (corrupt file)")
    return payload


def _stored_spec(path: Path, stored: Any) -> ModelSpec:
    if not isinstance(stored, dict) or not isinstance(stored.get("name"), str):
        raise CheckpointError(f"{path}: malformed model field {stored!r}")
    config = _parse_json(path, stored.get("config"))
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: malformed model config {config!r}")
    return ModelSpec(stored["name"], config)


def _check_same_model(path: Path, model: nn.Module, stored: ModelSpec) -> None:
    try:
        actual = model_spec(model)
    except ValueError:
        return  # A hand-built model: the strict state-dict load still checks every shape.
    if actual != stored:
        raise CheckpointError(
            f"{path}: checkpoint holds {stored.name} {stored.config}, "
            f"but the model is {actual.name} {actual.config}"
        )


def _plain_json(what: str, value: Any) -> str:
    try:
        text = json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be JSON-plain: {error}") from None
    if json.loads(text) != value:
        raise ValueError(f"{what} would not load back equal (tuples or non-str keys?)")
    return text


def _parse_json(path: Path, text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: unreadable stored JSON ({error})") from None
