"""Smooth curves (growth, decay, a bend): no steps cut into them, but a jump in one is found."""

from __future__ import annotations

import math
import random

import pytest

from harness.detect.classify import shift_indices, smooth_steps


def growth(seed: int, runs: int = 100, jump_at: int | None = None, jump: float = 0.0
           ) -> list[float]:
    """Exponential growth with 0.05 % noise, optionally a jump from `jump_at` on."""
    rng = random.Random(seed)
    return [280.0 * math.exp(0.012 * run) * (1 + rng.gauss(0, 0.0005))
            + (jump if jump_at is not None and run >= jump_at else 0.0) for run in range(runs)]


@pytest.mark.parametrize("seed", range(5))
def test_exponential_growth_is_not_cut_into_steps(seed) -> None:
    values = growth(seed)
    assert smooth_steps(values) is not None
    assert shift_indices(values) == []


def test_a_rise_then_a_fall_is_not_cut_into_steps() -> None:
    values = [1000 + 500 * math.sin(run / 12.0) for run in range(60)]
    assert shift_indices(values) == []


@pytest.mark.parametrize("seed", range(5))
def test_a_jump_in_a_smooth_curve_is_found_where_it_happens(seed) -> None:
    values = growth(seed, jump_at=60, jump=40.0)
    assert shift_indices(values) == [60]


def test_white_noise_is_not_smooth() -> None:
    rng = random.Random(1)
    assert smooth_steps([100 + rng.gauss(0, 1) for _ in range(100)]) is None
    assert smooth_steps([1.0, 2.0, 3.0]) is None  # too short to tell
