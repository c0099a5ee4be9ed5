"""The local Sheets server answers like Google: replay gspread's recorded traffic."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from harness.testing.cassettes import replay_all

CASSETTES = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "gspread-cassettes"

# Every request type the harness sends (see harness/publish/sheet.py), as the replay labels
# them. appendCells and appendDimension never occur in the cassettes; their reply is {} like
# the other batchUpdate requests checked here.
HARNESS_REQUESTS = (
    "metadata 200", "metadata 403", "metadata 404", "values.batchGet 200",
    "batchUpdate[addSheet] 200", "batchUpdate[updateCells] 200",
    "batchUpdate[insertDimension] 200", "batchUpdate[deleteDimension] 200",
    "batchUpdate[updateDimensionProperties] 200",
)


REQUIRE_ENV = "HARNESS_REQUIRE_CASSETTES"


def test_local_server_answers_recorded_requests_like_google(server, workdir):
    """Status and JSON shape match Google's for every request type the harness sends.

    Skips without ../shared/data/gspread-cassettes, unless HARNESS_REQUIRE_CASSETTES=1 (CI),
    where that fails instead."""
    if not CASSETTES.is_dir():
        message = f"{CASSETTES} is absent"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message}; {REQUIRE_ENV}=1 requires it")
        pytest.skip(message)
    key_file = server.service_account_file(workdir / "sa.json")
    credentials = service_account.Credentials.from_service_account_info(
        json.loads(key_file.read_text()), scopes=["https://www.googleapis.com/auth/spreadsheets"])
    credentials.refresh(Request())  # the real JWT-bearer flow against the local token endpoint

    report = replay_all(CASSETTES, server, credentials.token)

    assert not report.mismatched, "\n".join(report.mismatched[:20])
    missing = [label for label in HARNESS_REQUESTS if not report.matched[label]]
    assert not missing, f"request types never compared: {missing}"
    assert sum(report.matched.values()) > 1000
