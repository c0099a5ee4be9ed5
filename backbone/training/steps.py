"""Single training and evaluation steps, and the setup they need (usable for timing)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from backbone.training.args import TrainArgs
from backbone.training.precision import Precision, resolve_precision, use_channels_last

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class TrainingSetup:
    """A model on its device with its optimizer, schedule, precision and memory format."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    precision: Precision
    scaler: torch.amp.GradScaler | None
    channels_last: bool
    device: torch.device
    args: TrainArgs

    def to_device(self, batch: Batch) -> Batch:
        """Move a batch to the device (non-blocking) in the chosen memory format."""
        return to_device(batch, self.device, self.channels_last)

    def step(self, batch: Batch) -> torch.Tensor:
        """One optimisation step on a batch already on the device; returns the loss."""
        loss = train_step(
            self.model, self.optimizer, batch, self.precision, self.scaler,
            label_smoothing=self.args.label_smoothing, grad_clip=self.args.grad_clip,
        )
        self.scheduler.step()
        return loss


def make_optimizer(model: nn.Module, args: TrainArgs) -> torch.optim.Optimizer:
    """The optimizer named by ``args.optimizer`` over the model's parameters."""
    params = model.parameters()
    if args.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay
        )
    if args.optimizer == "adam":
        return torch.optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    return torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)


def make_scheduler(
    optimizer: torch.optim.Optimizer, args: TrainArgs, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Per-step schedule: linear warm-up, then constant or cosine decay over ``total_steps``."""
    warmup, total = args.warmup_steps, max(1, total_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if args.schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def prepare_training(
    model: nn.Module, args: TrainArgs, device: torch.device, total_steps: int = 1
) -> TrainingSetup:
    """Move ``model`` to ``device`` (NHWC if chosen) and build optimizer, schedule and scaler."""
    device = torch.device(device)
    channels_last = use_channels_last(args, model, device)
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    precision = resolve_precision(args, device)
    optimizer = make_optimizer(model, args)
    return TrainingSetup(
        model=model,
        optimizer=optimizer,
        scheduler=make_scheduler(optimizer, args, total_steps),
        precision=precision,
        scaler=precision.make_scaler(),
        channels_last=channels_last,
        device=device,
        args=args,
    )


def to_device(batch: Batch, device: torch.device, channels_last: bool = False) -> Batch:
    """Move (images, labels) to ``device``; images in NHWC when ``channels_last``."""
    images, labels = batch
    images = images.to(device, non_blocking=True)
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    return images, labels.to(device, non_blocking=True)


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    precision: Precision | None = None,
    scaler: torch.amp.GradScaler | None = None,
    label_smoothing: float = 0.0,
    grad_clip: float | None = None,
) -> torch.Tensor:
    """Forward, cross-entropy loss, backward and optimizer step; returns the detached loss.

    The loss stays on the device (no synchronisation), so timing callers decide when to sync.
    """
    precision = precision or Precision()
    images, labels = batch
    model.train()
    optimizer.zero_grad(set_to_none=True)
    with precision.autocast():
        logits = model(images)
    loss = F.cross_entropy(logits.float(), labels, label_smoothing=label_smoothing)
    if scaler is not None:
        scaler.scale(loss).backward()
        if grad_clip is not None:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
    return loss.detach()


def eval_step(
    model: nn.Module, images: torch.Tensor, precision: Precision | None = None
) -> torch.Tensor:
    """Logits for ``images`` in inference mode (the caller puts the model in eval mode)."""
    precision = precision or Precision()
    with torch.inference_mode(), precision.autocast():
        return model(images).float()
