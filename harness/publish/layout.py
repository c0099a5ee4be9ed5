"""The regression sheet's layout: records in, the three tabs' rows out (pure, no I/O).

Both targets (Google Sheets and the .xlsx workbook) write exactly these rows, so they hold the
same content. Tabs:

- `Runs`: long format, one row per (run, test, metric), keyed by `row_key` for exactly-once.
- `Summary`: wide format, one row per run (newest first), one column per test/metric; a cell
  is styled by the stored verdict of its run (see STYLES and the `Legend` tab). Two header
  rows: the test (merged across its columns, tests grouped by their parameter, e.g. the
  architecture), then the metric with its unit. Column keys (`test · metric (unit)`) are
  rebuilt from the two rows (`summary_keys`).
- `Regressions`: one row per stored verdict, kept up to date in place (state, triage).
- `Trends`: one small chart per Summary metric column (workbook: a line chart; Google
  Sheets: a SPARKLINE formula over the Summary column), rebuilt when the columns change.
- `Legend`: what each style means.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from harness.records import Measurement, MeasurementStatus, Run, as_finite_float

RUNS_TAB, SUMMARY_TAB, REGRESSIONS_TAB, LEGEND_TAB = "Runs", "Summary", "Regressions", "Legend"
TRENDS_TAB = "Trends"
TABS = (RUNS_TAB, SUMMARY_TAB, TRENDS_TAB, REGRESSIONS_TAB, LEGEND_TAB)

RUNS_HEADER = (
    "key", "date", "run", "commit", "branch", "device", "test", "metric",
    "value", "unit", "direction", "status", "env",
)
SUMMARY_FIXED = ("date", "commit", "subject", "branch", "device", "run")
REGRESSIONS_HEADER = (
    "key", "date", "run", "commit", "test", "metric", "kind", "state", "change_pct",
    "previous", "value", "unit", "confidence", "min_change", "suspect_commits", "triage",
    "repro",
)
LEGEND_HEADER = ("style", "meaning")
TRENDS_HEADER = ("test", "metric", "trend (oldest → newest)")
# Columns that hold each tab's unique key (read back after an ambiguous write), 0-based.
KEY_COLUMN = {RUNS_TAB: 0, SUMMARY_TAB: SUMMARY_FIXED.index("run"), REGRESSIONS_TAB: 0,
              LEGEND_TAB: 0, TRENDS_TAB: 0}
# Columns frozen on the left of each tab, so a reader always sees what a row is.
FROZEN_COLUMNS = {RUNS_TAB: 1, SUMMARY_TAB: 2, REGRESSIONS_TAB: 1, LEGEND_TAB: 1, TRENDS_TAB: 1}
# Header rows of each tab (frozen); data rows follow them.
HEADER_ROWS = {RUNS_TAB: 1, SUMMARY_TAB: 2, REGRESSIONS_TAB: 1, LEGEND_TAB: 1, TRENDS_TAB: 1}

DATE_FORMAT = "yyyy-mm-dd hh:mm"
# Number formats by magnitude, 3-4 significant digits, fixed width (never `###` at the width
# `fitted_widths` sets): (lower bound of |value|, format). Below the last bound: scientific.
NUMBER_FORMATS = ((1000.0, "#,##0"), (100.0, "0.0"), (1.0, "0.00"), (0.1, "0.000"),
                  (0.01, "0.0000"))
SCIENTIFIC_FORMAT = "0.00E+00"
CHANGE_FORMAT = '+0.0"%";-0.0"%";0.0"%"'
CHANGE_SUFFIX = " · Δ%"
KEY_SEPARATOR = " · "  # between the test and the metric in a Summary column key
CHANGE_LABEL = "Δ%"  # the second header row of a change column

# Style -> (background colour as RGB hex, what it means). Each verdict state looks different.
STYLES = {
    "regression": ("E06666", "confirmed regression: later runs confirmed the change; untriaged"),
    "unconfirmed": ("F9CB9C", "suspected change: the newest run alone moved; the next runs "
                              "confirm or retract it"),
    "improvement": ("93C47D", "confirmed improvement"),
    "outlier": ("D9D9D9", "outlier: one run off, the next ones back at the level"),
    "triaged": ("9FC5E8", "triaged by a person (acknowledged, expected, invalid or fixed): "
                          "see the cell's note and the Regressions tab"),
    "invalid": ("FFF2CC", "invalid value: NaN, infinite or not a number"),
}
FILLS = {name: colour for name, (colour, _meaning) in STYLES.items()}
HEADER_FILL = "E8EAED"


@dataclass(frozen=True)
class Mark:
    """How a verdict shows on a Summary cell: a style (STYLES) and a note."""

    flag: str
    note: str = ""


Flags = Mapping[tuple[str, str, str], Mark]
"""(run_id, test, metric) -> the Mark of the stored verdict whose first bad run it is."""


@dataclass(frozen=True)
class Cell:
    """One cell: a value (text, number, date or empty), its kind and an optional flag."""

    value: str | float | datetime | None
    kind: str = "text"  # "text", "number", "change" (in %), "date" or "formula"
    flag: str | None = None
    note: str | None = None
    link: str | None = None

    @property
    def number_format(self) -> str | None:
        """The number format both targets apply to this cell (None: the default)."""
        if self.kind == "number":
            return number_format(self.value)
        return {"change": CHANGE_FORMAT, "date": DATE_FORMAT}.get(self.kind)

    @property
    def shown(self) -> str:
        """The text a spreadsheet shows for this cell (what its column width must fit)."""
        value = self.value
        if value is None or value == "":
            return ""
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, float) and self.kind == "change":
            return f"{value:+.1f}%"
        if isinstance(value, float) and self.kind == "number":
            return shown_number(value)
        return str(value)


def number_format(value: object) -> str:
    """The format showing `value` with 3-4 significant digits (by its magnitude)."""
    size = abs(value) if isinstance(value, (int, float)) else 1.0
    if size == 0:
        return "0.00"
    for bound, pattern in NUMBER_FORMATS:
        if size >= bound:
            return pattern
    return SCIENTIFIC_FORMAT


def axis_format(values: Iterable[object]) -> str:
    """The number format of a chart axis over `values`: enough decimals to tell its ticks
    (about four across the spread) apart; thousands grouped."""
    numbers = [float(v) for v in values if isinstance(v, (int, float))]
    spread = max(numbers) - min(numbers) if numbers else 0.0
    if spread <= 0:
        return number_format(numbers[0] if numbers else 0.0)
    decimals = max(0, math.ceil(-math.log10(spread / 4)))
    return "0." + "0" * decimals if decimals else "#,##0"


def shown_number(value: float) -> str:
    """`value` as its number format shows it (Python's rendering of the same pattern)."""
    pattern = number_format(value)
    if pattern == "#,##0":
        return f"{value:,.0f}"
    if pattern == SCIENTIFIC_FORMAT:
        return f"{value:.2E}"
    return f"{value:.{len(pattern) - 2}f}"


def change(value: float | None, previous: float | None) -> Cell:
    """A change-in-percent cell (empty when there is no comparable previous value)."""
    pct = change_pct(value, previous)
    return Cell(None if pct is None else float(pct), "change")


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
    """What one run contributes to the sheet: the run, its measurements, the previous
    value of each (test, metric) in the same environment (for the change column), and how
    many more runs a (test, metric) needs there before detection judges it (`needed`)."""

    run: Run
    measurements: tuple[Measurement, ...]
    previous: Mapping[tuple[str, str], float] = field(default_factory=dict)
    needed: Mapping[tuple[str, str], int] = field(default_factory=dict)


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


def short_test(test: str) -> str:
    """A test id without its path and module: `a/test_m.py::test_t[x]` -> `test_t[x]`."""
    return test.rsplit("::", 1)[-1].rsplit("/", 1)[-1]


def metric_column(test: str, metric: str) -> str:
    """The key of one test/metric's Summary column: the short test and the metric. The
    header adds the unit (`summary_name`), so columns are found by `find_column`."""
    return f"{short_test(test)}{KEY_SEPARATOR}{metric}"


def summary_name(test: str, metric: str, unit: str = "") -> str:
    """The Summary header of one test/metric: `test_train[resnet] · top1 (%)`."""
    return metric_column(test, metric) + (f" ({unit})" if unit else "")


def find_column(header: Sequence[str], column: str) -> int | None:
    """The index of the Summary column whose key is `column` (with or without a unit)."""
    for index, name in enumerate(header):
        if name.endswith(CHANGE_SUFFIX):
            continue
        if name == column or name.startswith(column + " ("):
            return index
    return None


def commit_link(template: str, commit: str) -> str | None:
    """The commit page of `commit` from a template with `{sha}` (None: unknown)."""
    if not template or not commit or "{sha}" not in template:
        return None
    return template.replace("{sha}", commit)


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


def waiting_note(runs: int) -> str | None:
    """The note of a value whose series is not judged yet (None once it has the history)."""
    if runs <= 0:
        return None
    return (f"not judged yet: this series needs {runs} more run{'s' * (runs != 1)} in this "
            "environment before detection colours it")


def summary_row(records: RunRecords, flags: Flags | None = None,
                commit_url: str = "") -> SummaryRow:
    """The run's Summary row: each metric's value (with the flag for (run, test, metric) if
    any) and, in the column after it, its change against the previous comparable run."""
    run, flags = records.run, flags or {}
    subject = run.git.subject + (" (dirty)" if run.git.dirty else "")
    fixed = (
        date(run.started_at),
        Cell(run.git.short_commit, link=commit_link(commit_url, run.git.commit)),
        text(subject),
        text(run.git.branch),
        text(run.env.device_label),
        text(run.run_id),
    )
    metrics = {}
    for item in records.measurements:
        cell = number(item.value)
        mark = flags.get((run.run_id, item.test, item.metric))
        flag = mark.flag if mark else cell.flag
        name = summary_name(item.test, item.metric, item.unit)
        note = mark.note if mark and mark.note else waiting_note(
            records.needed.get((item.test, item.metric), 0))
        metrics[name] = Cell(cell.value, "number", flag, note)
        previous = records.previous.get((item.test, item.metric))
        metrics[name + CHANGE_SUFFIX] = change(
            cell.value if isinstance(cell.value, float) else None, previous)
    return SummaryRow(run.run_id, run.started_at.replace(tzinfo=None), fixed, metrics)


def regression_rows(items: Iterable[Mapping[str, object]], commit_url: str = ""
                    ) -> list[KeyedRow]:
    """Regressions tab rows from simple dicts keyed by REGRESSIONS_HEADER names (and `flag`,
    the style of the state cell). Missing fields stay empty; `key` is required. A commit
    links to its page when `commit_url` (a template with `{sha}`) is known."""
    rows = []
    for item in items:
        key = str(item["key"])
        cells = []
        for column in REGRESSIONS_HEADER:
            value = item.get(column)
            if isinstance(value, datetime):
                cells.append(date(value))
            elif column == "change_pct" and value not in (None, ""):
                cells.append(Cell(number(value).value, "change"))
            elif column == "commit":
                cells.append(Cell("" if value is None else str(value),
                                  link=commit_link(commit_url, str(item.get("sha") or value))))
            elif column in ("change_pct", "previous", "value", "confidence", "min_change") and \
                    value not in (None, ""):
                cells.append(number(value))
            elif column == "state":
                flag = item.get("flag")
                cells.append(Cell("" if value is None else str(value), "text",
                                  str(flag) if flag else None))
            else:
                cells.append(text(value))
        rows.append(KeyedRow(key, tuple(cells)))
    return rows


def legend_rows() -> list[KeyedRow]:
    """The Legend tab: one row per style, in its own colour."""
    return [KeyedRow(name, (Cell(name, "text", name), text(meaning)))
            for name, (_colour, meaning) in STYLES.items()]


@dataclass(frozen=True)
class Restyle:
    """A Summary cell of an already published run whose verdict style changed (mark None:
    back to plain)."""

    run_id: str
    column: str
    mark: Mark | None


def change_pct(value: float | None, previous: float | None) -> float | None:
    """Relative change in percent, or None when either value is missing or previous is 0."""
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / abs(previous) * 100.0


def insert_position(existing_sort_keys: Sequence[datetime | None], sort_key: datetime) -> int:
    """Where a Summary row goes among existing data rows so the newest stays first.

    Rows without a readable date (edited by hand) count as oldest.
    """
    for index, existing in enumerate(existing_sort_keys):
        if existing is None or existing < sort_key:
            return index
    return len(existing_sort_keys)


def summary_header(existing: Sequence[str], rows: Iterable[SummaryRow]) -> list[str]:
    """The Summary column keys: existing columns kept in place, new metric columns appended,
    grouped by the test's parameter (`[resnet]`), then by test, each value before its change."""
    header = list(existing) if existing else list(SUMMARY_FIXED)
    known = set(header)
    new = sorted({name for row in rows for name in row.metrics} - known, key=_column_order)
    return header + new


def _column_order(key: str) -> tuple[str, str, str, bool]:
    test, _, metric = key.removesuffix(CHANGE_SUFFIX).partition(KEY_SEPARATOR)
    parameter = test[test.find("["):] if "[" in test else ""
    return parameter, test, metric, key.endswith(CHANGE_SUFFIX)


def summary_header_rows(keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """The two Summary header rows for column `keys`: the test (only on the first column of
    each run of one test: the rest of its span is merged), then the metric with its unit
    (`Δ%` over a change column). Fixed columns have their name in the second row."""
    top, bottom = [], []
    for index, key in enumerate(keys):
        if index < len(SUMMARY_FIXED) or KEY_SEPARATOR not in key:
            top.append("")
            bottom.append(key)
            continue
        test, _, metric = key.partition(KEY_SEPARATOR)
        shown_before = index > len(SUMMARY_FIXED) and keys[index - 1].startswith(
            test + KEY_SEPARATOR)
        top.append("" if shown_before else test)
        bottom.append(CHANGE_LABEL if key.endswith(CHANGE_SUFFIX) else metric)
    return top, bottom


@dataclass(frozen=True)
class Trend:
    """One chart of the Trends tab: a Summary metric column (0-based) and its labels."""

    test: str
    metric: str
    column: int


def trends(keys: Sequence[str]) -> list[Trend]:
    """A Trend per Summary value column (not the change columns), in column order."""
    found = []
    for index, key in enumerate(keys):
        if index >= len(SUMMARY_FIXED) and KEY_SEPARATOR in key and \
                not key.endswith(CHANGE_SUFFIX):
            test, _, metric = key.partition(KEY_SEPARATOR)
            found.append(Trend(test, metric, index))
    return found


def summary_spans(top: Sequence[str]) -> list[tuple[int, int]]:
    """(first, last) 0-based columns of each test's span in the first header row (a test
    label and the empty cells after it), for merging; spans of one column are left out."""
    spans = []
    starts = [index for index, label in enumerate(top) if label]
    for position, start in enumerate(starts):
        end = (starts[position + 1] if position + 1 < len(starts) else len(top)) - 1
        if end > start:
            spans.append((start, end))
    return spans


def summary_keys(top: Sequence[object], bottom: Sequence[object]) -> list[str]:
    """The column keys that `summary_header_rows` laid out (read back from a sheet: merged
    cells read empty, so a test label holds until the next one)."""
    keys: list[str] = []
    test = ""
    width = max(len(top), len(bottom))
    for index in range(width):
        label = str(top[index]) if index < len(top) and top[index] not in (None, "") else ""
        name = str(bottom[index]) if index < len(bottom) and bottom[index] is not None else ""
        test = label or test
        if index < len(SUMMARY_FIXED) or not test or not name:
            keys.append(name)
        elif name == CHANGE_LABEL and keys:
            keys.append(keys[-1] + CHANGE_SUFFIX)
        else:
            keys.append(f"{test}{KEY_SEPARATOR}{name}")
    while keys and not keys[-1]:
        keys.pop()
    return keys


def summary_cells(row: SummaryRow, header: Sequence[str]) -> tuple[Cell, ...]:
    """The row's cells laid out under `header` (empty where the run lacks a metric)."""
    fixed = dict(zip(SUMMARY_FIXED, row.fixed))
    return tuple(fixed.get(name) or row.metrics.get(name) or Cell(None) for name in header)


MIN_WIDTH, MAX_WIDTH = 6, 90  # column widths in characters (a commit range fits)
WRAPPED_HEADER_WIDTH = 16  # Summary metric headers wrap at about this width


def fitted_widths(header: Sequence[str], rows: Iterable[Sequence[Cell]],
                  wrap_from: int | None = None) -> list[int]:
    """Column widths in characters that show every cell of `rows` and the header whole.

    Headers from column `wrap_from` on wrap (at spaces): their column only needs to fit the
    header's longest word and, up to WRAPPED_HEADER_WIDTH, the header itself.
    Bold headers are counted a tenth wider; every width has a character of margin; text of
    several lines needs its longest line.
    """
    widths = []
    for index, name in enumerate(header):
        if wrap_from is not None and index >= wrap_from:
            need = max(max((len(word) for word in name.split()), default=0),
                       min(len(name), WRAPPED_HEADER_WIDTH))
        else:
            need = len(name)
        widths.append(need * 1.1)
    for row in rows:
        for index, cell in enumerate(row[:len(widths)]):
            widths[index] = max(widths[index], max(map(len, cell.shown.splitlines()),
                                                   default=0))
    return [min(MAX_WIDTH, max(MIN_WIDTH, round(width + 1.5))) for width in widths]


def summary_widths(keys: Sequence[str], rows: Iterable[Sequence[Cell]]) -> list[int]:
    """Summary column widths: every cell and metric header fits (`fitted_widths`), and each
    test's label fits the columns it spans (its last column widened when not)."""
    top, bottom = summary_header_rows(keys)
    widths = fitted_widths(bottom, rows, wrap_from=len(SUMMARY_FIXED))
    spans = dict(summary_spans(top))
    for start, label in enumerate(top):
        if label:
            end = spans.get(start, start)
            need = round(len(label) * 1.1 + 1.5)
            have = sum(widths[start:end + 1])
            if have < need:
                widths[end] = min(MAX_WIDTH, widths[end] + need - have)
    return widths


def header_lines(header: Sequence[str], widths: Sequence[int]) -> int:
    """How many lines the tallest header takes when wrapped at spaces to its column width
    (bold text: a tenth wider); the header row's height must fit them."""
    most = 1
    for name, width in zip(header, widths):
        room, lines, used = max(1.0, (width - 1) / 1.1), 1, 0
        for word in name.split():
            if used and used + 1 + len(word) > room:
                lines, used = lines + 1, len(word)
            else:
                used += len(word) + (1 if used else 0)
        most = max(most, lines)
    return most


@dataclass(frozen=True)
class SheetContent:
    """Everything one publish writes: rows for the three tabs, each with its unique key."""

    runs: tuple[KeyedRow, ...]
    summary: tuple[SummaryRow, ...]
    regressions: tuple[KeyedRow, ...] = ()
    restyle: tuple[Restyle, ...] = ()

    @property
    def cell_count(self) -> int:
        """Cells this content adds (an estimate for payload and cell-limit checks)."""
        wide = sum(len(row.fixed) + len(row.metrics) for row in self.summary)
        return sum(len(row.cells) for row in (*self.runs, *self.regressions)) + wide


def build_content(
    batch: Sequence[RunRecords],
    flags: Flags | None = None,
    regressions: Iterable[Mapping[str, object]] = (),
    restyle: Iterable[Restyle] = (),
    commit_url: str = "",
) -> SheetContent:
    """The content for publishing `batch` (runs oldest first): new rows styled by `flags`,
    Regressions rows to add or bring up to date, and cells of earlier rows to restyle.
    Commit cells link to `commit_url` (a template with `{sha}`; "" for no links)."""
    return SheetContent(
        runs=tuple(row for records in batch for row in runs_rows(records)),
        summary=tuple(summary_row(records, flags, commit_url) for records in batch),
        regressions=tuple(regression_rows(regressions, commit_url)),
        restyle=tuple(restyle),
    )
