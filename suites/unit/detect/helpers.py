"""Synthetic series for detector tests (fixed seeds)."""

from __future__ import annotations

import random

from harness.detect import Point, Series


def make_series(  # pylint: disable=too-many-arguments  # every planted feature is a knob
        seed: int, *, runs: int = 80, noise: float = 0.01, level: float = 100.0,
                shifts: dict[int, float] | None = None, outliers: dict[int, float] | None = None,
                env_changes: dict[int, float] | None = None, higher_is_better: bool = False,
                metric: str = "step_ms") -> Series:
    """A series with relative `shifts`/`env_changes` from a run on and single `outliers`."""
    rng = random.Random(seed)
    shifts, outliers, env_changes = shifts or {}, outliers or {}, env_changes or {}
    points, factor, env = [], 1.0, 0
    for run in range(runs):
        if run in env_changes:
            env += 1
            factor *= 1.0 + env_changes[run]
        factor *= 1.0 + shifts.get(run, 0.0)
        value = level * factor * (1.0 + rng.gauss(0.0, noise)) * (1.0 + outliers.get(run, 0.0))
        points.append(Point(run, f"run{run}", f"{run:040x}", f"env{env}", value))
    return Series("suites/x.py::test_model", metric, tuple(points), higher_is_better, "ms")
