"""Regression detection: series per (test, metric, environment) ──► verdicts.

Reads records (from the store or imported files), never the sheet or reports; the check
stage (harness.stages.check) keeps the verdicts in the store with their lifecycle.
"""

from harness.detect.api import detect, detect_all
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
    "detect_series",
    "history_needed",
    "series_from_store",
]
