"""Test support that tests and benchmarks share: a local Sheets API server on loopback."""
