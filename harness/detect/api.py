"""The detector's public face: verdicts for series, for a store, for one run, and what is new."""

from __future__ import annotations

from dataclasses import replace

from harness.detect.classify import detect_series
from harness.detect.config import DetectorConfig
from harness.detect.series import Series, series_from_store
from harness.records import Alert, Verdict


def detect(series_list: list[Series], config: DetectorConfig | None = None) -> list[Verdict]:
    """Every verdict for every series, ordered by run, then test and metric."""
    config = config or DetectorConfig()
    verdicts = [verdict for series in series_list for verdict in detect_series(series, config)]
    return sorted(verdicts, key=lambda v: (v.run_index, v.test, v.metric, v.kind.value))


def detect_all(store, config: DetectorConfig | None = None) -> list[Verdict]:
    """Every verdict over the whole history held by `store` (a `harness.store.Store`)."""
    return detect(series_from_store(store), config)


def detect_run_verdicts(store, run_id: str, config: DetectorConfig | None = None
                        ) -> list[Verdict]:
    """The verdicts whose first bad run is `run_id` (judged on the whole history)."""
    return [verdict for verdict in detect_all(store, config) if verdict.run_id == run_id]


def _truncated(series: Series, before_index: int) -> Series:
    return replace(series, points=tuple(p for p in series.points if p.run_index < before_index))


def same_finding(one: Verdict, other: Verdict, tolerance: int) -> bool:
    """Whether two verdicts report the same change (same series, kind and confirmation, runs
    within `tolerance`). A jump confirmed today is news even if it was flagged yesterday."""
    same = (one.test, one.metric, one.kind, one.confirmed) == (
        other.test, other.metric, other.kind, other.confirmed)
    return same and abs(
        one.run_index - other.run_index) <= tolerance


def new_verdicts(series_list: list[Series], config: DetectorConfig | None = None,
                 tolerance: int = 2) -> list[Verdict]:
    """Verdicts that appear only once the newest run is included: what to alert on tonight.

    A shift found yesterday is not new just because today's run moved its estimated start
    by a run or two (`tolerance`).
    """
    if not any(series.points for series in series_list):
        return []
    newest = max(point.run_index for series in series_list for point in series.points)
    now = detect(series_list, config)
    before = detect([_truncated(series, newest) for series in series_list], config)
    return [verdict for verdict in now
            if not any(same_finding(verdict, old, tolerance) for old in before)]


def group_alerts(verdicts: list[Verdict]) -> list[Alert]:
    """One alert per (test, first bad run): speed, memory and accuracy of a change together."""
    groups: dict[tuple[str, str], list[Verdict]] = {}
    for verdict in verdicts:
        groups.setdefault((verdict.test, verdict.run_id), []).append(verdict)
    return [
        Alert(test, run_id, members[0].commit, tuple(members))
        for (test, run_id), members in groups.items()
    ]
