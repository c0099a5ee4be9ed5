"""Pytest fixtures for the regression-sheet tests: loopback-only network, a local Sheets
server, a store. A conftest.py imports them (pytest finds fixtures imported there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.settings import SETTINGS
from harness.testing import netguard
from harness.testing.fixtures import new_store
from harness.testing.sheets_server import SheetsServer


# Fixtures are named via `name=` so that tests can take them as parameters without pylint
# reading the parameter as shadowing the fixture function.
@pytest.fixture(autouse=True, name="loopback_only")
def fixture_loopback_only(request, monkeypatch):
    """Any connection or DNS lookup off 127.0.0.1 fails the test (even from a thread)."""
    refused = netguard.install(monkeypatch)
    yield refused
    if "allow_refused" not in request.keywords:
        assert not refused, f"the test tried to reach hosts off loopback: {sorted(set(refused))}"


@pytest.fixture(name="workdir")
def fixture_workdir(tmp_path: Path, monkeypatch) -> Path:
    """A clean working directory with no pyproject.toml and no harness environment."""
    for setting in SETTINGS:
        for name in setting.env:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(name="store")
def fixture_store(workdir: Path):
    """An empty results store in the working directory."""
    opened = new_store(workdir)
    yield opened
    opened.close()


@pytest.fixture(name="server")
def fixture_server():
    """A running local Sheets server."""
    with SheetsServer(stall_s=0.5) as running:
        yield running


@pytest.fixture(name="sheet_env")
def fixture_sheet_env(server: SheetsServer, workdir: Path, monkeypatch) -> str:
    """Environment pointing `harness publish` at a shared spreadsheet on the local server."""
    key = server.create_spreadsheet()
    credentials = server.service_account_file(workdir / "service-account.json")
    monkeypatch.setenv("HARNESS_SHEET_KEY", key)
    monkeypatch.setenv("HARNESS_SHEET_CREDENTIALS", str(credentials))
    monkeypatch.setenv("HARNESS_SHEETS_ENDPOINT", server.url)
    monkeypatch.setenv("HARNESS_SHEET_TIMEOUT", "5")
    return key
