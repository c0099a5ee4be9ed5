"""Training arguments: an immutable, validated dataclass; derive variants with ``replace``."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine")
AMP_DTYPES = ("auto", "float16", "bfloat16")
Auto = Literal["auto"]


# One flat, serialisable record of every training knob reads better than nested groups.
@dataclass(frozen=True)
class TrainArgs:  # pylint: disable=too-many-instance-attributes
    """How to train a model.

    Attributes:
        epochs: passes over the training data.
        batch_size: images per optimisation step.
        lr: peak learning rate.
        weight_decay: decoupled (adamw) or L2 (sgd, adam) weight decay.
        optimizer: one of ``OPTIMIZERS``.
        momentum: SGD momentum (ignored by adam/adamw).
        schedule: learning-rate schedule, one of ``SCHEDULES`` (cosine decays to zero per step).
        warmup_steps: linear learning-rate warm-up steps.
        label_smoothing: cross-entropy label smoothing in [0, 1).
        grad_clip: clip the gradient norm to this value; None for no clipping.
        seed: seed of the data shuffling order.
        amp: mixed precision: True, False, or "auto" (on where the device supports it: CUDA).
        amp_dtype: "float16", "bfloat16" or "auto" (bfloat16 where supported).
        channels_last: NHWC memory format: True, False, or "auto" (CUDA and conv models).
        max_steps: stop after this many steps in total; None to run every epoch.
    """

    epochs: int = 1
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer: str = "adamw"
    momentum: float = 0.9
    schedule: str = "constant"
    warmup_steps: int = 0
    label_smoothing: float = 0.0
    grad_clip: float | None = None
    seed: int = 0
    amp: bool | Auto = "auto"
    amp_dtype: str = "auto"
    channels_last: bool | Auto = "auto"
    max_steps: int | None = None

    def __post_init__(self) -> None:
        _int_at_least("epochs", self.epochs, 1)
        _int_at_least("batch_size", self.batch_size, 1)
        _number_in("lr", self.lr, low=0.0, low_open=True)
        _number_in("weight_decay", self.weight_decay, low=0.0)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _number_in("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        _choice("schedule", self.schedule, SCHEDULES)
        _int_at_least("warmup_steps", self.warmup_steps, 0)
        _number_in("label_smoothing", self.label_smoothing, low=0.0, high=1.0, high_open=True)
        if self.grad_clip is not None:
            _number_in("grad_clip", self.grad_clip, low=0.0, low_open=True)
        _int_at_least("seed", self.seed, 0)
        _flag_or_auto("amp", self.amp)
        _choice("amp_dtype", self.amp_dtype, AMP_DTYPES)
        _flag_or_auto("channels_last", self.channels_last)
        if self.max_steps is not None:
            _int_at_least("max_steps", self.max_steps, 1)

    def replace(self, **changes: Any) -> TrainArgs:
        """A validated copy with ``changes`` applied (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable field values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainArgs:
        """Build from ``to_dict`` output; unknown keys raise ``ValueError``."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown TrainArgs field(s): {', '.join(unknown)}")
        return cls(**values)


def _int_at_least(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")


def _number_in(
    name: str,
    value: object,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


def _choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _flag_or_auto(name: str, value: object) -> None:
    if not isinstance(value, bool) and value != "auto":
        raise ValueError(f"{name} must be True, False or 'auto', got {value!r}")
