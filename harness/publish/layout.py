"""The regression sheet's layout: records in, the three tabs' rows out (pure, no I/O).

Both targets (Google Sheets and the .xlsx workbook) write exactly these rows, so they hold the
same content. Tabs:

- `Runs`: long format, one row per (run, test, metric), keyed by `row_key` for exactly-once.
- `Summary`: wide format, one row per run (newest first), one column per test/metric; a cell
  is coloured when its change is flagged (regression red, improvement green, outlier grey).
- `Regressions`: one row per flagged change (rows come from detection as simple dicts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from harness.records import Measurement, MeasurementStatus, Run, as_finite_float

RUNS_TAB, SUMMARY_TAB, REGRESSIONS_TAB = "Runs", "Summary", "Regressions"
TABS = (RUNS_TAB, SUMMARY_TAB, REGRESSIONS_TAB)

RUNS_HEADER = (
    "key", "date", "run", "commit", "branch", "device", "test", "metric",
    "value", "unit", "direction", "status", "env",
)
SUMMARY_FIXED = ("date", "commit", "subject", "branch", "device", "run")
REGRESSIONS_HEADER = (
    "key", "date", "run", "commit", "test", "metric", "verdict", "change_pct",
    "previous", "value", "unit", "confidence", "suspect_commits", "repro",
)
# Columns that hold each tab's unique key (read back after an ambiguous write), 0-based.
KEY_COLUMN = {RUNS_TAB: 0, SUMMARY_TAB: SUMMARY_FIXED.index("run"), REGRESSIONS_TAB: 0}
# Columns frozen on the left of each tab, so a reader always sees what a row is.
FROZEN_COLUMNS = {RUNS_TAB: 1, SUMMARY_TAB: 2, REGRESSIONS_TAB: 1}

DATE_FORMAT = "yyyy-mm-dd hh:mm"
NUMBER_FORMAT = "0.0#####"
PERCENT_FORMAT = "0.0"

# Flag -> background colour (RGB hex). "invalid" marks a value that was NaN/inf/not a number.
FILLS = {
    "regression": "F4CCCC",
    "improvement": "D9EAD3",
    "outlier": "D9D9D9",
    "invalid": "FFF2CC",
}
HEADER_FILL = "E8EAED"

Flags = Mapping[tuple[str, str, str], str]
"""(run_id, test, metric) -> "regression" | "improvement" | "outlier" (from detection or
`change_flags`)."""


@dataclass(frozen=True)
class Cell:
    """One cell: a value (text, number, date or empty), its kind and an optional flag."""

    value: str | float | datetime | None
    kind: str = "text"  # "text", "number" or "date"
    flag: str | None = None

    @property
    def number_format(self) -> str | None:
        """The number format both targets apply to this cell (None: the default)."""
        return {"number": NUMBER_FORMAT, "date": DATE_FORMAT}.get(self.kind)


@dataclass(frozen=True)
class KeyedRow:
    """A row with the unique key that makes appending it exactly-once."""

    key: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class SummaryRow:
    """One run's Summary row: fixed columns, then one cell per metric column name."""

    key: str
    sort_key: datetime
    fixed: tuple[Cell, ...]
    metrics: Mapping[str, Cell]


@dataclass(frozen=True)
class RunRecords:
    """What one run contributes to the sheet: the run, its measurements, and the previous
    value of each (test, metric) in the same environment (for the change colouring)."""

    run: Run
    measurements: tuple[Measurement, ...]
    previous: Mapping[tuple[str, str], float] = field(default_factory=dict)


def text(value: object) -> Cell:
    """A text cell ('' for None)."""
    return Cell("" if value is None else str(value))


def number(value: object) -> Cell:
    """A number cell; NaN, inf, None and non-numbers become an empty cell flagged invalid.

    Numpy and torch scalars become Python floats (gspread and openpyxl reject them).
    """
    finite = as_finite_float(value)
    if finite is None:
        return Cell(None, "number", "invalid")
    return Cell(finite, "number")


def date(moment: datetime) -> Cell:
    """A date cell in UTC, without tzinfo (spreadsheets have no time zones per cell)."""
    return Cell(moment.replace(tzinfo=None), "date")


def row_key(run_id: str, test: str, metric: str) -> str:
    """The Runs tab's unique key for (run, test, metric): short, stable, collision-safe."""
    digest = hashlib.sha1(f"{run_id}\0{test}\0{metric}".encode(), usedforsecurity=False)
    return digest.hexdigest()[:20]


def metric_column(test: str, metric: str) -> str:
    """The Summary column name of one test/metric: the test without its folders."""
    return f"{test.rsplit('/', 1)[-1]} · {metric}"


def runs_rows(records: RunRecords) -> list[KeyedRow]:
    """The run's rows of the Runs tab, one per measurement, ordered by test and metric."""
    run = records.run
    rows = []
    for item in sorted(records.measurements, key=lambda m: (m.test, m.metric)):
        value = number(item.value)
        status = item.status.value if value.flag is None else MeasurementStatus.INVALID.value
        cells = (
            text(row_key(run.run_id, item.test, item.metric)),
            date(run.started_at),
            text(run.run_id),
            text(run.git.short_commit),
            text(run.git.branch),
            text(run.env.device_label),
            text(item.test),
            text(item.metric),
            value,
            text(item.unit),
            text("higher" if item.higher_is_better else "lower"),
            Cell(status, "text", value.flag),
            text(run.env.fingerprint),
        )
        rows.append(KeyedRow(cells[0].value, cells))  # type: ignore[arg-type]
    return rows


def summary_row(records: RunRecords, flags: Flags | None = None) -> SummaryRow:
    """The run's Summary row; metric cells carry the flag for (run, test, metric) if any."""
    run, flags = records.run, flags or {}
    subject = run.git.subject + (" (dirty)" if run.git.dirty else "")
    fixed = (
        date(run.started_at),
        text(run.git.short_commit),
        text(subject),
        text(run.git.branch),
        text(run.env.device_label),
        text(run.run_id),
    )
    metrics = {}
    for item in records.measurements:
        cell = number(item.value)
        flag = flags.get((run.run_id, item.test, item.metric)) or cell.flag
        metrics[metric_column(item.test, item.metric)] = Cell(cell.value, "number", flag)
    return SummaryRow(run.run_id, run.started_at.replace(tzinfo=None), fixed, metrics)


def regression_rows(items: Iterable[Mapping[str, object]]) -> list[KeyedRow]:
    """Regressions tab rows from simple dicts keyed by REGRESSIONS_HEADER names.

    Missing fields stay empty; `key` defaults to a hash of run, test, metric and verdict.
    """
    rows = []
    for item in items:
        key = str(item.get("key") or _verdict_key(item))
        cells = []
        for column in REGRESSIONS_HEADER:
            value = key if column == "key" else item.get(column)
            if isinstance(value, datetime):
                cells.append(date(value))
            elif column in ("change_pct", "previous", "value", "confidence") and value not in (
                None, ""
            ):
                cells.append(number(value))
            else:
                cells.append(text(value))
        rows.append(KeyedRow(key, tuple(cells)))
    return rows


def _verdict_key(item: Mapping[str, object]) -> str:
    parts = "\0".join(str(item.get(name, "")) for name in ("run", "test", "metric", "verdict"))
    return "v" + hashlib.sha1(parts.encode(), usedforsecurity=False).hexdigest()[:19]


def change_pct(value: float | None, previous: float | None) -> float | None:
    """Relative change in percent, or None when either value is missing or previous is 0."""
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / abs(previous) * 100.0


def change_flags(
    batch: Iterable[RunRecords], tolerance_pct: float
) -> dict[tuple[str, str, str], str]:
    """Flags by change against the previous run beyond `tolerance_pct`, direction-aware.

    A change in the metric's better direction is an improvement, in the other a regression.
    This stands in until detection supplies verdicts (same mapping shape).
    """
    flags = {}
    for records in batch:
        for item in records.measurements:
            change = change_pct(item.value, records.previous.get((item.test, item.metric)))
            if change is None or abs(change) <= tolerance_pct:
                continue
            better = (change > 0) == item.higher_is_better
            flags[(records.run.run_id, item.test, item.metric)] = (
                "improvement" if better else "regression"
            )
    return flags


def insert_position(existing_sort_keys: Sequence[datetime | None], sort_key: datetime) -> int:
    """Where a Summary row goes among existing data rows so the newest stays first.

    Rows without a readable date (edited by hand) count as oldest.
    """
    for index, existing in enumerate(existing_sort_keys):
        if existing is None or existing < sort_key:
            return index
    return len(existing_sort_keys)


def summary_header(existing: Sequence[str], rows: Iterable[SummaryRow]) -> list[str]:
    """The Summary header: existing columns kept in place, new metric columns appended sorted."""
    header = list(existing) if existing else list(SUMMARY_FIXED)
    known = set(header)
    new = sorted({name for row in rows for name in row.metrics} - known)
    return header + new


def summary_cells(row: SummaryRow, header: Sequence[str]) -> tuple[Cell, ...]:
    """The row's cells laid out under `header` (empty where the run lacks a metric)."""
    fixed = dict(zip(SUMMARY_FIXED, row.fixed))
    return tuple(fixed.get(name) or row.metrics.get(name) or Cell(None) for name in header)


@dataclass(frozen=True)
class SheetContent:
    """Everything one publish writes: rows for the three tabs, each with its unique key."""

    runs: tuple[KeyedRow, ...]
    summary: tuple[SummaryRow, ...]
    regressions: tuple[KeyedRow, ...] = ()

    @property
    def cell_count(self) -> int:
        """Cells this content adds (an estimate for payload and cell-limit checks)."""
        wide = sum(len(row.fixed) + len(row.metrics) for row in self.summary)
        return sum(len(row.cells) for row in (*self.runs, *self.regressions)) + wide


def build_content(
    batch: Sequence[RunRecords],
    flags: Flags | None = None,
    regressions: Iterable[Mapping[str, object]] = (),
) -> SheetContent:
    """The content for publishing `batch` (runs oldest first), with flags and verdict rows."""
    return SheetContent(
        runs=tuple(row for records in batch for row in runs_rows(records)),
        summary=tuple(summary_row(records, flags) for records in batch),
        regressions=tuple(regression_rows(regressions)),
    )
