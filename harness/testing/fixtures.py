"""Building blocks shared by the sheet tests and benchmarks: stores with runs, fast policies."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from harness.records import Environment, GitInfo, Measurement, Run, RunStatus
from harness.store import Store

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc)


def add_runs(store: Store, count: int, metrics: int, start: int = 0,
             drift: float = 0.0) -> list[Run]:
    """Record `count` complete runs of `metrics` metrics each, one hour apart.

    Values grow by `drift` (relative) per run, so change colouring has something to flag.
    """
    runs = []
    for index in range(start, start + count):
        run = Run(
            run_id=hashlib.sha1(f"run {index}".encode(), usedforsecurity=False).hexdigest()[:32],
            started_at=T0 + timedelta(hours=index),
            git=GitInfo(commit=f"{index:04x}" + "c0ffee" * 6, branch="main",
                        subject=f"Change number {index}"),
            env=Environment(python="3.11", torch="2.13.0", cpu_model="test cpu"),
            status=RunStatus.COMPLETE,
            ended_at=T0 + timedelta(hours=index, minutes=5),
        )
        store.begin_run(run)
        store.record(
            Measurement.checked(
                run.run_id, f"suites/integration/test_model.py::test_metric[{m % 7}]",
                f"metric_{m:03d}", (1.0 + m) * (1.0 + drift) ** index,
                "s" if m % 2 else "", higher_is_better=not m % 2,
            )
            for m in range(metrics)
        )
        runs.append(run)
    return runs


def new_store(folder: Path, runs: int = 0, metrics: int = 3) -> Store:
    """A fresh SQLite store in `folder`, optionally holding runs."""
    store = Store.open(str(folder / "results.db"))
    if runs:
        add_runs(store, runs, metrics)
    return store
