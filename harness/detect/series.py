"""Histories to analyse: one series per (test, metric), its points ordered by run.

A series is built from the store or from imported files; points carry what a verdict needs
(run, commit, environment segment). Invalid measurements (value None) are left out.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field

CI_Z = 1.959964  # a 95 % interval's half-width in standard errors



@dataclass(frozen=True)
class Point:  # pylint: disable=too-many-instance-attributes  # a run's evidence for a value
    """One value of a series, from one run.

    `samples`, when the test recorded it, is the per-sample correctness of an accuracy on a
    fixed evaluation set (`harness.detect.mcnemar.pack_correctness`): runs are then compared
    with an exact paired test, not as two noisy numbers.
    """

    run_index: int
    run_id: str
    commit: str
    env: str
    value: float
    image_digest: str = ""
    samples: bytes | None = None
    # The measurement's own relative standard error (a speed metric's `details["ci_rel"]`,
    # the 95 % half-width of its median, over 1.96): a lower bound for the series' noise.
    noise_rel: float | None = None


@dataclass(frozen=True)
class Series:
    """One metric of one test across runs, oldest first."""

    test: str
    metric: str
    points: tuple[Point, ...]
    higher_is_better: bool = True
    unit: str = ""

    def segments(self) -> list[tuple[Point, ...]]:
        """The points split by environment fingerprint, in order of each one's first run.

        Runs on different environments (another GPU, torch, image) are not comparable, so
        each fingerprint forms its own history even when runners interleave.
        """
        envs = [point.env for point in self.points]
        if not envs or envs.count(envs[0]) == len(envs):
            return [self.points] if self.points else []
        grouped: dict[str, list[Point]] = {}
        for point in self.points:
            grouped.setdefault(point.env, []).append(point)
        return [tuple(points) for points in grouped.values()]


@dataclass
class SeriesBuilder:
    """Collects points per (test, metric) and yields ordered, validated series."""

    points: dict[tuple[str, str], list[Point]] = field(default_factory=dict)
    direction: dict[tuple[str, str], bool] = field(default_factory=dict)
    units: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, test: str, metric: str, point: Point, higher_is_better: bool,
            unit: str = "") -> None:
        """Add one point; the latest direction and unit seen for a series win."""
        key = (test, metric)
        self.points.setdefault(key, []).append(point)
        self.direction[key] = higher_is_better
        self.units[key] = unit or self.units.get(key, "")

    def build(self) -> list[Series]:
        """The series, each sorted by run index, in (test, metric) order."""
        return [
            Series(test, metric, tuple(sorted(points, key=lambda p: p.run_index)),
                   self.direction[(test, metric)], self.units[(test, metric)])
            for (test, metric), points in sorted(self.points.items())
        ]


def series_from_store(store, tests: set[str] | None = None) -> list[Series]:
    """Every (test, metric) history in `store` (a `harness.store.Store`) as a series.

    Runs are indexed by start time; only valid measurements are used. The store is read once,
    through `Store.valid_points` (the fields a point needs, nothing decoded that is not used).
    """
    timeline = store.runs(newest_first=False)
    order = {run.run_id: index for index, run in enumerate(timeline)}
    runs = {run.run_id: (run.git.commit, run.env.fingerprint, run.env.image_digest)
            for run in timeline}  # each run decoded once, not once per measurement
    rows = [row for row in store.valid_points() if tests is None or row.test in tests]
    rows.sort(key=lambda row: order[row.run_id])  # the newest direction and unit win
    builder = SeriesBuilder()
    for row in rows:
        commit, env, image = runs[row.run_id]
        point = Point(order[row.run_id], row.run_id, commit, env, row.value, image,
                      *stored_evidence(row.details))
        builder.add(row.test, row.metric, point, row.higher_is_better, row.unit)
    return builder.build()


def stored_evidence(details: str | None) -> tuple[bytes | None, float | None]:
    """What detection uses of a measurement's stored details JSON: its packed per-sample
    correctness (`details["samples"]`, base64) and its relative standard error (from
    `details["ci_rel"]`); None for either when absent or unreadable."""
    if not details:
        return None, None
    try:
        data = json.loads(details)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    width = data.get("ci_rel")
    noise = width / CI_Z if isinstance(width, (int, float)) and 0 < width < 1 else None
    return _samples(data.get("samples")), noise


def _samples(encoded: object) -> bytes | None:
    if not isinstance(encoded, str):
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
