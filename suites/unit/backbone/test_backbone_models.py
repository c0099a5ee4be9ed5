"""Contract tests every registered architecture must pass, and the registry's behaviour."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from backbone.data import ImageSet, load_digits
from backbone.models import (
    ModelSpec,
    UnknownModelError,
    available_models,
    create_model,
    model_spec,
    register_model,
)
from backbone.training import TrainArgs, evaluate, prepare_training
from backbone.utils import seed_everything

MODELS = available_models()


def test_both_architectures_are_registered() -> None:
    """The CNN and the ViT are available by name."""
    assert {"resnet", "vit"} <= set(MODELS)


def test_unknown_model_names_the_available_ones() -> None:
    """Asking for an unregistered name lists what is registered."""
    with pytest.raises(UnknownModelError, match="available: resnet, vit"):
        create_model("resnot")


def test_unknown_config_key_is_rejected() -> None:
    """A misspelt config key fails instead of being ignored."""
    with pytest.raises(ValueError, match="unknown config key.*widht.*accepted: width"):
        create_model("resnet", widht=8)


def test_duplicate_registration_is_rejected() -> None:
    """Two different builders cannot share a name."""
    with pytest.raises(ValueError, match="already registered"):
        register_model("resnet")(torch.nn.Linear)


def test_spec_records_full_config() -> None:
    """The spec holds defaults too, and rebuilds an identical architecture."""
    model = create_model("resnet", width=4)
    spec = model_spec(model)
    assert spec == ModelSpec("resnet", {"width": 4, "depth": 1, "stages": 3, "in_channels": 1,
                                        "num_classes": 10, "stem_stride": 1})
    rebuilt = spec.build()
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {
        k: v.shape for k, v in model.state_dict().items()
    }


def test_model_not_built_by_registry_has_no_spec() -> None:
    """A hand-built module has no spec, and says so."""
    with pytest.raises(ValueError, match="not built by backbone.models.create_model"):
        model_spec(torch.nn.Linear(2, 2))


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("resnet", {"width": 0}, "width must be a positive int"),
        ("resnet", {"depth": 1.5}, "depth must be a positive int"),
        ("vit", {"image_size": 28, "patch_size": 5}, "divisible by patch_size"),
        ("vit", {"dim": 30, "heads": 4}, "divisible by heads"),
        ("vit", {"mlp_ratio": 0}, "mlp_ratio must be a positive number"),
    ],
)
def test_bad_model_config_is_rejected(name: str, config: dict, message: str) -> None:
    """Impossible configurations fail at construction with a clear message."""
    with pytest.raises(ValueError, match=message):
        create_model(name, **config)


@pytest.mark.parametrize("side", [8, 28])
@pytest.mark.parametrize("name", MODELS)
def test_output_shape_and_finite(name: str, side: int, make_tiny) -> None:
    """Digits-sized and Fashion-MNIST-sized inputs give finite (N, classes) logits."""
    model = make_tiny(name, side, num_classes=7)
    logits = model(torch.randn(3, 1, side, side))
    assert logits.shape == (3, 7)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("name", MODELS)
def test_in_channels_configurable(name: str, make_tiny) -> None:
    """Three-channel inputs work when configured."""
    model = make_tiny(name, 8, in_channels=3)
    assert model(torch.randn(2, 3, 8, 8)).shape == (2, 10)


@pytest.mark.parametrize("name", MODELS)
def test_every_parameter_gets_a_gradient(name: str, make_tiny) -> None:
    """One backward pass reaches every parameter with a finite, non-zero gradient."""
    seed_everything(0)
    model = make_tiny(name)
    images, labels = torch.randn(8, 1, 8, 8), torch.arange(8) % 10
    F.cross_entropy(model(images), labels).backward()
    for param_name, param in model.named_parameters():
        assert param.grad is not None, f"{param_name} got no gradient"
        assert torch.isfinite(param.grad).all(), f"{param_name} has a non-finite gradient"
        assert param.grad.abs().sum() > 0, f"{param_name} has an all-zero gradient"


@pytest.mark.parametrize("name", MODELS)
def test_tiny_model_overfits_one_batch(name: str, make_tiny) -> None:
    """Steps on one real batch drive the loss below 0.05 within 150 steps and fit every label."""
    seed_everything(0)
    digits = load_digits("train")
    batch = ImageSet(digits.images[:16], digits.labels[:16], 10)
    model = make_tiny(name)
    setup = prepare_training(model, TrainArgs(lr=1e-2), torch.device("cpu"))
    losses = []
    while len(losses) < 150 and (not losses or losses[-1] >= 0.05):
        losses.append(float(setup.step((batch.images, batch.labels))))
    assert losses[0] > 1.0 and losses[-1] < 0.05, f"loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    assert evaluate(model, batch, "cpu") == 1.0


@pytest.mark.parametrize("name", MODELS)
def test_same_seed_same_weights(name: str, make_tiny) -> None:
    """Same seed, same data: bitwise-identical weights after training; another seed differs."""

    def run(seed: int) -> dict[str, torch.Tensor]:
        seed_everything(seed)
        model = make_tiny(name)
        setup = prepare_training(model, TrainArgs(lr=1e-2), torch.device("cpu"))
        images, labels = torch.randn(16, 1, 8, 8), torch.arange(16) % 10
        for _ in range(3):
            setup.step((images, labels))
        return model.state_dict()

    first, second, other = run(3), run(3), run(4)
    assert all(torch.equal(first[key], second[key]) for key in first)
    assert not all(torch.equal(first[key], other[key]) for key in first)
