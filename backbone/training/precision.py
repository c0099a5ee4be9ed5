"""Resolve ``amp`` and ``channels_last`` settings against what a device supports."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from backbone.training.args import TrainArgs


@dataclass(frozen=True)
class Precision:
    """Autocast settings for one device: off, or on with a dtype (fp16 needs a grad scaler)."""

    device_type: str = "cpu"
    dtype: torch.dtype | None = None

    @property
    def enabled(self) -> bool:
        """Whether autocast is on."""
        return self.dtype is not None

    @property
    def needs_scaler(self) -> bool:
        """fp16 on CUDA needs loss scaling to avoid gradient underflow."""
        return self.dtype == torch.float16 and self.device_type == "cuda"

    def autocast(self) -> contextlib.AbstractContextManager:
        """A context that runs the forward pass in this precision."""
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)

    def make_scaler(self) -> torch.amp.GradScaler | None:
        """A gradient scaler when one is needed, else None."""
        return torch.amp.GradScaler(self.device_type) if self.needs_scaler else None


def resolve_precision(args: TrainArgs, device: torch.device) -> Precision:
    """Precision for ``args.amp``/``args.amp_dtype`` on ``device``.

    "auto" enables mixed precision on CUDA only; an explicit True also works on CPU
    (bfloat16). Raises ``ValueError`` when True is asked of a device without autocast.
    """
    device = torch.device(device)
    if args.amp is False or (args.amp == "auto" and device.type != "cuda"):
        return Precision(device.type, None)
    if not torch.amp.is_autocast_available(device.type):
        raise ValueError(f"amp=True but {device.type} has no autocast support")
    return Precision(device.type, _amp_dtype(args.amp_dtype, device))


def use_channels_last(args: TrainArgs, model: nn.Module, device: torch.device) -> bool:
    """Whether to use NHWC: as asked, or for "auto" on CUDA when the model has 2-D convs."""
    if args.channels_last != "auto":
        return bool(args.channels_last)
    has_conv = any(isinstance(module, nn.Conv2d) for module in model.modules())
    return torch.device(device).type == "cuda" and has_conv


def _amp_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "float16":
        return torch.float16
    if name == "bfloat16" or device.type != "cuda":
        return torch.bfloat16
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
