"""The fault matrix: publish runs through a scripted fault and count rows lost or duplicated.

Shared by the tests (which assert zero) and `benchmarks/sheet.py` (which prints the table
for the README).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness.publish.layout import (
    FILLS,
    HEADER_ROWS,
    KEY_COLUMN,
    REGRESSIONS_TAB,
    RUNS_TAB,
    SUMMARY_TAB,
    find_column,
    metric_column,
    row_key,
    summary_keys,
)
from harness.publish.sheet_plan import color
from harness.records import StoredVerdict, Verdict, VerdictKind, VerdictState, utc_now
from harness.publish.retry import RetryPolicy
from harness.testing.fixtures import new_store
from harness.testing.sheets_server import SheetsServer

# Short timeouts keep the matrix fast; the stall outlasts the client timeout on purpose, and
# settling outlasts the stall, as the production defaults (30 s timeout, 10 s settle) intend.
TEST_POLICY = RetryPolicy(attempts=6, base_delay_s=0.02, max_delay_s=0.1, timeout_s=0.3,
                          settle_s=0.4)
STALL_S = 0.5


@dataclass(frozen=True)
class FaultCase:
    """One scripted fault on one kind of request."""

    name: str
    fault: str
    on: str = "write"
    recolour: bool = False  # the faulted publish also restyles a published row (a verdict)


CASES = (
    FaultCase("429, JSON body", "429-json"),
    FaultCase("429, HTML body", "429-html"),
    FaultCase("502, HTML body", "502-html"),
    FaultCase("500", "500"),
    FaultCase("503", "503"),
    FaultCase("write applied, then 503", "write-then-503"),
    FaultCase("write applied, then stall past the client timeout", "write-then-stall"),
    FaultCase("stall past the client timeout, then write applied", "stall-then-write"),
    FaultCase("token refresh failure (500 from the token endpoint)", "500", "token"),
    FaultCase("connection reset before the write", "reset"),
    FaultCase("write applied, then connection reset", "write-then-reset"),
    FaultCase("502 HTML on the read-back of keys", "502-html", "read"),
    FaultCase("500 while re-colouring an earlier row", "500", recolour=True),
    FaultCase("write applied, then 503, while re-colouring", "write-then-503", recolour=True),
    FaultCase("stall, then write applied, while re-colouring", "stall-then-write",
              recolour=True),
)


@dataclass(frozen=True)
class CaseResult:
    """What one fault case left in the spreadsheet."""

    case: FaultCase
    expected: int
    lost: int
    duplicated: int
    reads: int
    writes: int
    seconds: float


def count_rows(server: SheetsServer, key: str, tab: str, expected: set[str]) -> tuple[int, int]:
    """(lost, duplicated) rows of `tab` against the expected keys."""
    column = KEY_COLUMN[tab]
    found = Counter(
        str(row[column]) for row in server.values(key, tab)[HEADER_ROWS.get(tab, 1):]
        if len(row) > column and row[column] is not None
    )
    lost = sum(1 for item in expected if found[item] == 0)
    duplicated = sum(count - 1 for count in found.values() if count > 1)
    return lost, duplicated


def run_case(case: FaultCase, folder: Path, runs: int = 3, metrics: int = 20) -> CaseResult:
    """Publish one run cleanly (creating the tabs), then sync `runs - 1` more with `case`
    injected into the first matching request of that sync."""
    folder.mkdir(parents=True, exist_ok=True)
    store = new_store(folder, runs=runs, metrics=metrics)
    try:
        return _publish_through(case, store, folder)
    finally:
        store.close()


def _publish_through(case: FaultCase, store, folder: Path) -> CaseResult:
    # pylint: disable=import-outside-toplevel  # publishers load gspread when used
    from harness.stages.publish import publish_runs
    from harness.publish.sheet import SheetTarget

    with SheetsServer(stall_s=STALL_S) as server:
        key = server.create_spreadsheet()
        credentials = server.service_account_file(folder / "service-account.json")
        publish_runs(store, SheetTarget(key, credentials, server.url, TEST_POLICY),
                     store.unpublished_runs(f"sheet:{key}")[:1], lambda _: None)
        verdicts = _store_verdict(store) if case.recolour else set()
        server.reset_counts()
        # A new target, as a new process would have: it reads the metadata and a token again.
        target = SheetTarget(key, credentials, server.url, TEST_POLICY)
        server.inject(case.fault, on=case.on)
        started = time.perf_counter()
        publish_runs(store, target, store.unpublished_runs(target.name), lambda _: None)
        seconds = time.perf_counter() - started
        server.wait_idle()
        run_ids = {run.run_id for run in store.runs()}
        rows = {row_key(m.run_id, m.test, m.metric)
                for run_id in run_ids for m in store.measurements(run_id)}
        return _result(case, server, key, store, target.name, (rows, run_ids, verdicts),
                       seconds)


def _result(case: FaultCase, server: SheetsServer, key: str, store, target: str,
            expected: tuple[set[str], set[str], set[str]], seconds: float) -> CaseResult:
    """What the spreadsheet holds against what it should hold, once exactly."""
    rows, run_ids, verdicts = expected
    found = [count_rows(server, key, RUNS_TAB, rows),
             count_rows(server, key, SUMMARY_TAB, run_ids),
             count_rows(server, key, REGRESSIONS_TAB, verdicts)]
    uncoloured = sum(not _coloured(server, key, item) for item in store.verdicts())
    return CaseResult(case, len(rows) + len(run_ids) + len(verdicts),
                      sum(lost for lost, _ in found) + len(store.unpublished_runs(target))
                      + uncoloured,
                      sum(duplicated for _, duplicated in found),
                      server.counts["read"], server.counts["write"], seconds)


def _store_verdict(store) -> set[str]:
    """A confirmed regression on the first (already published) run's first metric: the next
    publish restyles that cell and adds a Regressions row. Returns the verdict keys."""
    first = store.runs(newest_first=False)[0]
    item = store.measurements(first.run_id)[0]
    verdict = Verdict(item.test, item.metric, VerdictKind.REGRESSION, first.run_id, 0,
                      first.git.commit, "", "", first.env.fingerprint, 1.0, 1.2, 0.2, 20.0,
                      0.999, 0.01, 0.025, item.higher_is_better, item.unit)
    now = utc_now()
    stored = StoredVerdict("fault-matrix-v1", verdict, VerdictState.CONFIRMED, now, now)
    store.update_verdicts(lambda _existing: [stored])
    return {stored.key}


def _coloured(server: SheetsServer, key: str, item: StoredVerdict) -> bool:
    """Whether the verdict's Summary cell shows in the regression colour."""
    values = server.values(key, SUMMARY_TAB)
    header = summary_keys(values[0], values[1])
    column = find_column(header, metric_column(item.verdict.test, item.verdict.metric))
    assert column is not None, header
    row = next(number for number, row in enumerate(values) if item.verdict.run_id in row)
    cell = server.cell(key, SUMMARY_TAB, row, column)
    return (cell.get("f") or {}).get("backgroundColor") == color(FILLS["regression"])
