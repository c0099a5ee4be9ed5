"""The training loop and top-1 evaluation."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from backbone.data.imageset import ImageSet, iterate_batches
from backbone.training.args import TrainArgs
from backbone.training.precision import Precision
from backbone.training.steps import TrainingSetup, eval_step, prepare_training


@dataclass(frozen=True)
class StepInfo:
    """What ``on_step`` receives after each step (``loss`` is on the device: no sync)."""

    step: int
    epoch: int
    loss: torch.Tensor
    batch_size: int


@dataclass(frozen=True)
class TrainResult:
    """Summary of a training run."""

    steps: int
    samples: int
    epochs: int
    epoch_losses: tuple[float, ...]
    seconds: float
    amp_dtype: str | None
    channels_last: bool

    @property
    def final_loss(self) -> float:
        """Mean loss of the last epoch."""
        return self.epoch_losses[-1] if self.epoch_losses else math.nan

    @property
    def finite(self) -> bool:
        """Whether every epoch's mean loss is finite."""
        return all(math.isfinite(loss) for loss in self.epoch_losses)


class _EpochStats(NamedTuple):
    steps: int
    samples: int
    mean_loss: float


def train(
    model: nn.Module,
    train_data: ImageSet,
    args: TrainArgs,
    device: torch.device | str,
    on_step: Callable[[StepInfo], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``train_data`` as ``args`` say; returns a summary.

    The data set is moved to ``device`` once; batches are shuffled with a generator seeded by
    ``args.seed``. Model initialisation is the caller's (seed before ``create_model``).
    """
    total_steps = math.ceil(len(train_data) / args.batch_size) * args.epochs
    if args.max_steps is not None:
        total_steps = min(total_steps, args.max_steps)
    setup = prepare_training(model, args, torch.device(device), total_steps)
    data = train_data.to(setup.device)
    generator = torch.Generator().manual_seed(args.seed)
    step, samples, epoch_losses = 0, 0, []
    started = time.perf_counter()
    for epoch in range(args.epochs):
        if step >= total_steps:
            break
        stats = _run_epoch(setup, data, generator, (epoch, step, total_steps), on_step)
        step, samples = step + stats.steps, samples + stats.samples
        epoch_losses.append(stats.mean_loss)
    if setup.device.type == "cuda":
        torch.cuda.synchronize(setup.device)
    return TrainResult(
        steps=step,
        samples=samples,
        epochs=len(epoch_losses),
        epoch_losses=tuple(epoch_losses),
        seconds=time.perf_counter() - started,
        amp_dtype=_dtype_name(setup.precision.dtype),
        channels_last=setup.channels_last,
    )


def _run_epoch(
    setup: TrainingSetup,
    data: ImageSet,
    generator: torch.Generator,
    position: tuple[int, int, int],
    on_step: Callable[[StepInfo], None] | None,
) -> _EpochStats:
    """One pass over ``data`` from ``position`` (epoch, first step, total steps); synchronises
    once, at the end, to read the mean loss."""
    epoch, step, total_steps = position
    loss_sum = torch.zeros((), device=setup.device)
    first, samples = step, 0
    for batch in iterate_batches(data.images, data.labels, setup.args.batch_size, True, generator):
        if step >= total_steps:
            break
        batch = setup.to_device(batch)
        loss = setup.step(batch)
        size = int(batch[1].shape[0])
        loss_sum += loss * size
        samples += size
        if on_step is not None:
            on_step(StepInfo(step, epoch, loss, size))
        step += 1
    return _EpochStats(step - first, samples, float(loss_sum) / max(1, samples))


def _dtype_name(dtype: torch.dtype | None) -> str | None:
    return None if dtype is None else str(dtype).removeprefix("torch.")


def evaluate(
    model: nn.Module,
    data: ImageSet,
    device: torch.device | str,
    batch_size: int = 512,
    precision: Precision | None = None,
) -> float:
    """Top-1 accuracy of ``model`` on ``data`` (restores the model's train/eval mode)."""
    correct = evaluate_per_sample(model, data, device, batch_size, precision)
    return int(correct.sum()) / len(data)


def evaluate_per_sample(
    model: nn.Module,
    data: ImageSet,
    device: torch.device | str,
    batch_size: int = 512,
    precision: Precision | None = None,
) -> torch.Tensor:
    """Whether ``model`` gets each sample of ``data`` right (bool, on the CPU, in data order);
    its mean is the top-1 accuracy. Restores the model's train/eval mode."""
    if len(data) == 0:
        raise ValueError("cannot evaluate on an empty data set")
    device = torch.device(device)
    was_training = model.training
    model.eval()
    hits = []
    try:
        for images, labels in iterate_batches(data.images, data.labels, batch_size):
            logits = eval_step(model, images.to(device), precision)
            hits.append((logits.argmax(dim=1) == labels.to(device)).cpu())
    finally:
        model.train(was_training)
    return torch.cat(hits)
