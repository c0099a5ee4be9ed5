"""Replay gspread's recorded traffic with Google (VCR cassettes) against the local server.

For every recorded Sheets request of a type the local server implements, the same request
is sent to the local server and its answer compared with Google's: the HTTP status, and the
shape of the JSON body (the same keys at every level, the same value types). Drive calls in
the cassettes create and delete spreadsheets; here they create and drop them directly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from harness.testing.sheets_ops import HANDLERS
from harness.testing.sheets_server import SheetsServer, operation_of

SHEETS_HOST = "sheets.googleapis.com"
# Formatting defaults Google adds to spreadsheet properties; the harness never reads them.
IGNORED_KEYS = {"defaultFormat", "spreadsheetTheme"}


@dataclass
class ReplayReport:
    """What a replay compared: per request type, matches and mismatches (with reasons)."""

    matched: Counter = field(default_factory=Counter)
    mismatched: list[str] = field(default_factory=list)
    skipped_cassettes: list[str] = field(default_factory=list)


def shape_differences(google: Any, local: Any, path: str = "$") -> list[str]:
    """Where two JSON values differ in shape: keys present, and value types."""
    def kind(value: Any) -> str:
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, (int, float)):
            return "number"
        return type(value).__name__

    if kind(google) != kind(local):
        return [f"{path}: Google has {kind(google)}, local has {kind(local)}"]
    if isinstance(google, dict):
        found = []
        for key in sorted((set(google) | set(local)) - IGNORED_KEYS):
            if key not in local:
                found.append(f"{path}.{key}: missing locally")
            elif key not in google:
                found.append(f"{path}.{key}: not in Google's answer")
            else:
                found.extend(shape_differences(google[key], local[key], f"{path}.{key}"))
        return found
    if isinstance(google, list) and google and local:
        return shape_differences(google[0], local[0], f"{path}[0]")
    return []


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _supported(operation: str, body: str | None, query: str) -> bool:
    """Whether the local server implements this request (formulas, date parsing, partial
    responses and grid data are outside the subset the harness uses)."""
    if operation in ("unknown", "token") or "fields=" in query or "includeGridData=True" in query:
        return False
    if "USER_ENTERED" in query or "USER_ENTERED" in (body or ""):
        values = re.findall(r'"((?:[^"\\]|\\.)*)"', body or "")
        if any(value.startswith("=") or _DATE.match(value) for value in values):
            return False
    if operation == "batchUpdate":
        requests_ = json.loads(body or "{}").get("requests", [])
        return all(next(iter(item), "") in HANDLERS for item in requests_)
    return True


def _pin_sheet_ids(body: str | None, response: dict) -> str | None:
    """Give addSheet the sheetId Google chose (recorded in its reply), so later requests of
    the cassette that name that id find the sheet."""
    if not body or '"addSheet"' not in body or response["status"]["code"] != 200:
        return body
    sent = json.loads(body)
    replies = json.loads(response["body"]["string"]).get("replies", [])
    for request, reply in zip(sent.get("requests", []), replies):
        if "addSheet" in request and "addSheet" in reply:
            request["addSheet"].setdefault("properties", {})["sheetId"] = \
                reply["addSheet"]["properties"]["sheetId"]
    return json.dumps(sent)


def _ensure_spreadsheet(server: SheetsServer, spreadsheet_id: str, created: set[str],
                        response: dict) -> None:
    """A spreadsheet not made in this cassette existed in Google's world (and was shared with
    the recording account) as Google's answer says: recreate that world locally."""
    if spreadsheet_id in created or spreadsheet_id in server.books:
        return
    code = response["status"]["code"]
    if code != 404:
        server.create_spreadsheet(spreadsheet_id, editors=set() if code == 403 else None)


def replay_cassette(server: SheetsServer, token: str, path: Path, report: ReplayReport,
                    session: requests.Session | None = None) -> None:
    """Replay one cassette's Sheets requests in order; stop at the first unsupported write
    (after it the local state would differ from Google's)."""
    interactions = json.loads(path.read_text(encoding="utf-8"))["interactions"]
    created: set[str] = set()
    for item in interactions:
        request, response = item["request"], item["response"]
        url = urlsplit(request["uri"])
        if url.netloc == "www.googleapis.com" and request["method"] == "POST" and \
                url.path == "/drive/v3/files":
            created.add(server.create_spreadsheet(json.loads(response["body"]["string"])["id"]))
            continue
        if url.netloc == "www.googleapis.com" and ("/copy" in url.path or "/upload/" in url.path):
            report.skipped_cassettes.append(f"{path.name}: spreadsheet made by a Drive copy/import")
            return
        if url.netloc != SHEETS_HOST:
            continue
        operation = operation_of(request["method"], url.path)
        if not _supported(operation, request["body"], url.query):
            if request["method"] == "GET":
                continue  # skipping a read leaves the state as Google's: go on
            report.skipped_cassettes.append(f"{path.name}: {operation}")
            return
        _ensure_spreadsheet(server, url.path.split("/")[3].split(":")[0], created, response)
        local = (session or requests).request(
            request["method"], f"{server.url}{url.path}" + (f"?{url.query}" if url.query else ""),
            data=_pin_sheet_ids(request["body"], response), timeout=10,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        if operation == "batchUpdate":
            kinds = sorted({next(iter(item)) for item in
                            json.loads(request["body"] or "{}").get("requests", [])})
            operation = f"batchUpdate[{','.join(kinds)}]"
        _compare(path.name, operation, response, local, report)


def _compare(name: str, operation: str, response: dict, local, report: ReplayReport) -> None:
    label = f"{operation} {response['status']['code']}"
    if local.status_code != response["status"]["code"]:
        report.mismatched.append(f"{name}: {label}: local status {local.status_code} "
                                 f"({local.text[:200]})")
        return
    google_body = response["body"]["string"]
    google = json.loads(google_body) if google_body.strip() else {}
    differences = shape_differences(google, local.json() if local.content else {})
    if differences:
        report.mismatched.append(f"{name}: {label}: " + "; ".join(differences[:5]))
    else:
        report.matched[label] += 1


def replay_all(folder: Path, server: SheetsServer, token: str) -> ReplayReport:
    """Replay every cassette in `folder` (sorted by name) against `server`."""
    report = ReplayReport()
    with requests.Session() as session:
        for path in sorted(folder.glob("*.json")):
            replay_cassette(server, token, path, report, session)
    return report


__all__ = ["ReplayReport", "replay_all", "replay_cassette", "shape_differences"]
