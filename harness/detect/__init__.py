"""Regression detection: series per (test, metric, environment) ──► verdicts.

Reads records (from the store or imported files), never the sheet or reports.
"""

from harness.detect.api import (
    detect,
    detect_all,
    detect_run_verdicts,
    group_alerts,
    new_verdicts,
)
from harness.detect.classify import detect_series, history_needed
from harness.detect.config import DetectorConfig
from harness.detect.series import Point, Series, SeriesBuilder, series_from_store

__all__ = [
    "DetectorConfig",
    "Point",
    "Series",
    "SeriesBuilder",
    "detect",
    "detect_all",
    "detect_run_verdicts",
    "detect_series",
    "group_alerts",
    "history_needed",
    "new_verdicts",
    "series_from_store",
]
