"""Synthetic series for detector tests (fixed seeds)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from harness.detect import Point, Series
from harness.records import Environment, GitInfo, Measurement, Run, RunStatus

ORIGIN = datetime(2026, 1, 1, tzinfo=timezone.utc)


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


def fill_store(store, series: Series, start: int = 0, stop: int | None = None,
               hostname: str = "node-1") -> None:
    """Record points `start:stop` of `series` as runs (one a night) into `store`."""
    for point in series.points[start:stop]:
        run = Run(point.run_id, ORIGIN + timedelta(days=point.run_index),
                  GitInfo(commit=point.commit, branch="main", subject=f"commit {point.run_index}"),
                  Environment(hostname=hostname, image_digest="sha256:abc"), RunStatus.COMPLETE)
        store.begin_run(run)
        store.record([Measurement.checked(run.run_id, series.test, series.metric, point.value,
                                          series.unit, series.higher_is_better)])
