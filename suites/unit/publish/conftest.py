"""Regression-sheet test fixtures (defined in harness.testing.sheet_fixtures)."""

from harness.testing.sheet_fixtures import (
    fixture_loopback_only,
    fixture_server,
    fixture_sheet_env,
    fixture_store,
    fixture_workdir,
)

__all__ = ["fixture_loopback_only", "fixture_server", "fixture_sheet_env", "fixture_store",
           "fixture_workdir"]
