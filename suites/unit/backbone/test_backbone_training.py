"""TrainArgs validation, precision choices, the training loop and evaluation."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from backbone.data import ImageSet, load_digits
from backbone.models import create_model
from backbone.training import (
    StepInfo,
    TrainArgs,
    evaluate,
    resolve_precision,
    train,
    use_channels_last,
)
from backbone.utils import seed_everything

CPU = torch.device("cpu")


def test_args_are_frozen() -> None:
    """Arguments cannot be changed after construction."""
    args = TrainArgs()
    with pytest.raises(dataclasses.FrozenInstanceError):
        args.lr = 0.1  # type: ignore[misc]


def test_replace_derives_a_validated_variant() -> None:
    """``replace`` returns a new object; the original is untouched; bad changes fail."""
    base = TrainArgs(lr=0.01)
    variant = base.replace(epochs=3, optimizer="sgd")
    assert (variant.epochs, variant.optimizer, variant.lr) == (3, "sgd", 0.01)
    assert (base.epochs, base.optimizer) == (1, "adamw")
    assert dataclasses.replace(base, seed=5).seed == 5
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        base.replace(batch_size=0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", 0, "epochs must be >= 1, got 0"),
        ("epochs", 1.5, "epochs must be an int"),
        ("epochs", True, "epochs must be an int"),
        ("batch_size", 0, "batch_size must be >= 1"),
        ("lr", -0.1, r"lr must be in \(0.0, inf\], got -0.1"),
        ("lr", 0.0, r"lr must be in \(0.0"),
        ("lr", float("nan"), "lr must be a finite number"),
        ("lr", "0.1", "lr must be a finite number"),
        ("weight_decay", -1e-4, r"weight_decay must be in \[0.0"),
        ("optimizer", "adagrad", "optimizer must be one of sgd, adam, adamw; got 'adagrad'"),
        ("momentum", 1.0, r"momentum must be in \[0.0, 1.0\)"),
        ("schedule", "step", "schedule must be one of constant, cosine"),
        ("warmup_steps", -1, "warmup_steps must be >= 0"),
        ("label_smoothing", 1.0, "label_smoothing must be in"),
        ("grad_clip", 0.0, "grad_clip must be in"),
        ("seed", -1, "seed must be >= 0"),
        ("amp", "yes", "amp must be True, False or 'auto'"),
        ("amp_dtype", "float8", "amp_dtype must be one of auto, float16, bfloat16"),
        ("channels_last", 1, "channels_last must be True, False or 'auto'"),
        ("max_steps", 0, "max_steps must be >= 1"),
    ],
)
def test_bad_args_are_rejected(field: str, value: object, message: str) -> None:
    """Each bad value raises ValueError naming the field, the rule and the value."""
    with pytest.raises(ValueError, match=message):
        TrainArgs(**{field: value})


def test_args_dict_round_trip() -> None:
    """``to_dict``/``from_dict`` round-trip; unknown keys are refused."""
    args = TrainArgs(epochs=2, amp=False, max_steps=7, grad_clip=1.0)
    assert TrainArgs.from_dict(args.to_dict()) == args
    with pytest.raises(ValueError, match="unknown TrainArgs field"):
        TrainArgs.from_dict({**args.to_dict(), "lr_decay": 0.1})


def test_precision_auto_is_off_on_cpu() -> None:
    """"auto" keeps CPU in full precision; True on CPU autocasts to bfloat16."""
    assert not resolve_precision(TrainArgs(), CPU).enabled
    forced = resolve_precision(TrainArgs(amp=True), CPU)
    assert forced.enabled and forced.dtype == torch.bfloat16 and not forced.needs_scaler
    assert resolve_precision(TrainArgs(amp=True), CPU).make_scaler() is None


def test_channels_last_choice() -> None:
    """"auto" is off on CPU; explicit values are obeyed."""
    model = create_model("resnet", width=4)
    assert not use_channels_last(TrainArgs(), model, CPU)
    assert use_channels_last(TrainArgs(channels_last=True), model, CPU)


class _LabelInPixel(nn.Module):
    """Predicts the class written in pixel (0, 0), except that class 0 is predicted as 1."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """One-hot logits of the encoded class."""
        predicted = images[:, 0, 0, 0].long().clamp(min=1)
        return nn.functional.one_hot(predicted, 10).float()


def test_evaluate_known_accuracy() -> None:
    """Top-1 accuracy is exact on a model with known mistakes; train mode is restored."""
    labels = torch.arange(20) % 10  # two of 20 are class 0, which the model gets wrong
    images = torch.zeros(20, 1, 2, 2)
    images[:, 0, 0, 0] = labels.float()
    model = _LabelInPixel().train()
    assert evaluate(model, ImageSet(images, labels, 10), CPU, batch_size=3) == 18 / 20
    assert model.training


def test_train_calls_on_step_and_honours_max_steps() -> None:
    """``on_step`` sees each step once, in order, with batch sizes; max_steps stops early."""
    seen: list[StepInfo] = []
    data = load_digits("train")
    args = TrainArgs(epochs=3, batch_size=100, max_steps=16)
    result = train(create_model("resnet", width=4, stages=2), data, args, CPU, seen.append)
    assert [info.step for info in seen] == list(range(16))
    assert [info.epoch for info in seen] == [0] * 14 + [1] * 2
    assert [info.batch_size for info in seen[:14]] == [100] * 13 + [47]
    assert result.steps == 16 and result.epochs == 2 and result.samples == 1347 + 200
    assert result.finite and result.amp_dtype is None and not result.channels_last


@pytest.mark.parametrize(("name", "config", "floor"), [
    ("resnet", {"width": 8, "stages": 2}, 0.85),
    ("vit", {"image_size": 8, "patch_size": 4, "dim": 32, "depth": 2, "heads": 2}, 0.85),
])
def test_short_training_reaches_accuracy_floor(name: str, config: dict, floor: float) -> None:
    """A short real run on digits learns: test accuracy above a floor, loss falling."""
    seed_everything(0)
    model = create_model(name, **config)
    args = TrainArgs(epochs=3, batch_size=32, lr=3e-3, schedule="cosine", warmup_steps=10)
    result = train(model, load_digits("train"), args, CPU)
    assert result.epoch_losses[-1] < result.epoch_losses[0]
    assert evaluate(model, load_digits("test"), CPU) > floor
