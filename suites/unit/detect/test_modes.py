"""Two-state clocks: streaky bimodal timings are de-clocked; steps, spikes, quantised and
deterministic series are left alone, and real shifts inside a clock are still found."""

from __future__ import annotations

import random

import pytest

from harness.detect import Point, Series, detect_series
from harness.detect.modes import declocked
from harness.records import VerdictKind

SHIFTS = (VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT)


def streaky_clock(seed: int, runs: int = 160, stay: float = 0.9, shift_at: int | None = None,
                  shift: float = 0.0) -> list[float]:
    """Fast and slow mode 8 apart, noise 0.5 inside a mode, streaks of ~1/(1-stay) runs."""
    rng = random.Random(seed)
    mode, values = rng.random() < 0.5, []
    for run in range(runs):
        mode = mode if rng.random() < stay else not mode
        level = 100.0 + (shift if shift_at is not None and run >= shift_at else 0.0)
        values.append(level + (8.0 if mode else 0.0) + rng.gauss(0.0, 0.5))
    return values


def as_series(values: list[float]) -> Series:
    """One run per commit, one environment."""
    points = tuple(Point(i, f"run{i}", f"c{i}", "e", value) for i, value in enumerate(values))
    return Series("suites/x.py::test_model", "step_ms", points, False, "ms")


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("stay, runs", [(0.8, 100), (0.9, 160), (0.95, 400)])
def test_streaks_of_either_mode_are_not_shifts(seed, stay, runs) -> None:
    values = streaky_clock(seed, runs=runs, stay=stay)
    corrected = declocked(values, 1e-4 * 100)
    assert corrected is not None
    assert max(corrected) - min(corrected) < 6.0  # both modes brought to one level
    assert not [v for v in detect_series(as_series(values)) if v.kind in SHIFTS]


@pytest.mark.parametrize("seed", range(8))
def test_a_real_shift_inside_a_clock_is_found_at_its_commit(seed) -> None:
    values = streaky_clock(seed, shift_at=90, shift=13.0)  # 1.6 mode distances
    found = [v for v in detect_series(as_series(values)) if v.kind in SHIFTS]
    assert [(v.run_index, v.kind) for v in found] == [(90, VerdictKind.REGRESSION)]
    assert found[0].commit_range == "c89..c90"


def test_an_up_and_down_staircase_is_not_a_clock() -> None:
    values = [1000.0] * 15 + [1064.0] * 15 + [1000.0] * 15 + [1128.0] * 15 + [1064.0] * 15
    assert declocked(values, 1e-4 * 1000) is None
    found = [v.run_index for v in detect_series(as_series(values)) if v.kind in SHIFTS]
    assert found == [15, 30, 45, 60]


def test_quantised_timings_are_not_a_clock() -> None:
    rng = random.Random(3)
    values = [float(round(20 + rng.gauss(0, 0.35))) for _ in range(150)]
    assert declocked(values, 1e-4 * 20) is None


@pytest.mark.parametrize("seed", range(5))
def test_normal_noise_with_steps_and_spikes_is_not_a_clock(seed) -> None:
    rng = random.Random(seed)
    level, values = 100.0, []
    for run in range(200):
        level += {40: 5.0, 80: -5.0, 120: 5.0, 160: -5.0}.get(run, 0.0)
        spike = 6.0 if run % 37 == 0 else 0.0
        values.append(level + spike + rng.gauss(0.0, 0.5))
    assert declocked(values, 1e-4 * 100) is None


def test_too_few_runs_are_never_a_clock() -> None:
    assert declocked([100.0, 108.0] * 5, 0.01) is None
