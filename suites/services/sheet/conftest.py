"""Regression-sheet test fixtures (defined in harness.testing.sheet_fixtures)."""

from harness.testing.sheet_fixtures import loopback_only, server, sheet_env, store, workdir

__all__ = ["loopback_only", "server", "sheet_env", "store", "workdir"]
