"""The detector's public face: verdicts for series and for a store's whole history."""

from __future__ import annotations

from harness.detect.classify import detect_series
from harness.detect.config import DetectorConfig
from harness.detect.series import Series, series_from_store
from harness.records import Verdict


def detect(series_list: list[Series], config: DetectorConfig | None = None) -> list[Verdict]:
    """Every verdict for every series, ordered by run, then test and metric."""
    config = config or DetectorConfig()
    verdicts = [verdict for series in series_list for verdict in detect_series(series, config)]
    return sorted(verdicts, key=lambda v: (v.run_index, v.test, v.metric, v.kind.value))


def detect_all(store, config: DetectorConfig | None = None) -> list[Verdict]:
    """Every verdict over the whole history held by `store` (a `harness.store.Store`)."""
    return detect(series_from_store(store), config)
