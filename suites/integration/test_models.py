"""Nightly: speed and accuracy of every architecture on Fashion-MNIST.

Per architecture: train and eval throughput, step latency p50/p90 and peak memory (through the
`speed` fixture), and top-1 accuracy on the full test set against a floor.
"""

from __future__ import annotations

import pytest
import torch

from backbone.data import iterate_batches
from backbone.models import create_model
from backbone.training import (
    eval_step,
    evaluate_per_sample,
    prepare_training,
    resolve_precision,
    train,
)
from harness.measure.rounds import MIN_ROUNDS, quantile_ci, relative_half_width
from suites.integration.profiles import CPU

ARCHS = sorted(CPU.archs)


def build(arch: str, profile, train_set):
    """A freshly initialised model of `arch` for the images of `train_set`."""
    channels, height, _ = train_set.image_shape
    return create_model(
        arch,
        in_channels=channels,
        num_classes=train_set.num_classes,
        **({"image_size": height} if arch == "vit" else {}),
        **profile.archs[arch].model,
    )


def prepared(arch: str, profile, train_set, device):
    """A fresh model of `arch` on `device` and a real training batch in its memory format."""
    settings = profile.archs[arch]
    setup = prepare_training(build(arch, profile, train_set), settings.args, device, 10_000)
    images, labels = next(iterate_batches(train_set.images, train_set.labels, settings.speed_batch))
    return setup, setup.to_device((images, labels))


@pytest.mark.parametrize("arch", ARCHS)
def test_train_speed(arch, profile, train_set, device, speed):
    setup, batch = prepared(arch, profile, train_set, device)
    before = [parameter.detach().clone() for parameter in setup.model.parameters()]
    result = speed.measure(
        lambda: setup.step(batch),
        items=len(batch[1]),
        name="train",
        rounds="auto",
        warmup=profile.speed_warmup,
        target_ci=profile.speed_target_ci,
        budget_s=profile.speed_budget_s,
    )
    assert_measured(result, profile, items=len(batch[1]))
    # What was timed was real training: the steps moved the weights.
    assert any(not torch.equal(old, new.detach())
               for old, new in zip(before, setup.model.parameters()))


@pytest.mark.parametrize("arch", ARCHS)
def test_eval_speed(arch, profile, train_set, device, speed):
    setup, (images, _) = prepared(arch, profile, train_set, device)
    setup.model.eval()
    result = speed.measure(
        lambda: eval_step(setup.model, images, setup.precision),
        items=len(images),
        name="eval",
        rounds="auto",
        warmup=profile.speed_warmup,
        target_ci=profile.speed_target_ci,
        budget_s=profile.speed_budget_s,
    )
    assert_measured(result, profile, items=len(images))


def assert_measured(result, profile, *, items: int) -> None:
    """Every timed round is in the result, adaptive rounds stopped for a stated reason within
    their budget, and the recorded figures follow from those rounds."""
    assert len(result.times) == result.details["rounds"] >= MIN_ROUNDS
    assert result.details["ended_by"] in ("ci", "budget", "max_rounds")
    if result.details["ended_by"] == "ci":
        interval = quantile_ci(list(result.times), 0.5)
        assert relative_half_width(interval, result.median) <= profile.speed_target_ci
    assert result.items_per_call == items
    assert 0 < result.p50 <= result.p90 <= max(result.times)
    assert result.throughput == pytest.approx(items / result.median)


@pytest.mark.parametrize("arch", ARCHS)
def test_accuracy(arch, profile, train_set, test_set, device, metrics):
    settings = profile.archs[arch]
    metrics.config({"profile": profile.name, "arch": arch, "model": settings.model,
                    "train": settings.args, "train_images": profile.train_images,
                    "test_images": profile.test_images})
    model = build(arch, profile, train_set)
    result = train(model, train_set, settings.args, device)
    metrics.record("final_train_loss", result.final_loss, unit="nats", higher_is_better=False)
    metrics.record("train_seconds", result.seconds, unit="s", higher_is_better=False)
    correct = evaluate_per_sample(
        model, test_set, device, precision=resolve_precision(settings.args, torch.device(device))
    )
    accuracy = float(correct.float().mean())
    metrics.record("top1_accuracy", accuracy, unit="fraction", higher_is_better=True,
                   correct=correct)
    assert accuracy >= settings.accuracy_floor, (
        f"{arch}: top-1 {accuracy:.4f} below the {profile.name} profile's floor "
        f"{settings.accuracy_floor}"
    )
