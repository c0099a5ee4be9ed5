"""Fixtures for backbone's unit tests: tiny model configs, CPU only, one thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch
from torch import nn

from backbone.models import create_model

# The smallest useful variant of every registered architecture, per input side (8 or 28).
TINY_CONFIGS: dict[str, Callable[[int], dict]] = {
    "resnet": lambda side: {"width": 4, "depth": 1, "stages": 2},
    "vit": lambda side: {
        "image_size": side, "patch_size": 2 if side == 8 else 7, "dim": 16, "depth": 1,
        "heads": 2, "mlp_ratio": 2.0,
    },
}


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Run each test on one intra-op thread: tiny models are faster so, and timing is steadier
    on a machine whose cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(name="make_tiny")
def make_tiny_fixture() -> Callable[..., nn.Module]:
    """Build the tiny variant of a registered model for ``side`` x ``side`` inputs."""

    def make(name: str, side: int = 8, **overrides: object) -> nn.Module:
        if name not in TINY_CONFIGS:
            pytest.fail(f"add a tiny config for the new architecture {name!r} to conftest.py")
        return create_model(name, **{**TINY_CONFIGS[name](side), **overrides})

    return make
