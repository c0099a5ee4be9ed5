"""Sheets API v4 request bodies for a publish (pure: no gspread, no I/O).

Given what the spreadsheet holds (its key columns, read back) and what the publish wants,
`plan_requests` returns one `spreadsheets:batchUpdate` body's requests that add only the
rows whose keys are missing. Google applies a batchUpdate atomically, so a write either
landed completely or not at all; reading the keys back tells which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from harness.publish.layout import (
    FILLS,
    FROZEN_COLUMNS,
    HEADER_FILL,
    HEADER_ROWS,
    KEY_COLUMN,
    LEGEND_HEADER,
    LEGEND_TAB,
    REGRESSIONS_HEADER,
    REGRESSIONS_TAB,
    RUNS_HEADER,
    RUNS_TAB,
    SUMMARY_FIXED,
    SUMMARY_TAB,
    TABS,
    TRENDS_HEADER,
    TRENDS_TAB,
    Cell,
    KeyedRow,
    Restyle,
    SheetContent,
    SummaryRow,
    find_column,
    fitted_widths,
    insert_position,
    legend_rows,
    summary_cells,
    summary_header,
    summary_header_rows,
    summary_keys,
    summary_spans,
    summary_widths,
    trends,
)

SERIAL_EPOCH = datetime(1899, 12, 30)  # day 0 of spreadsheet serial dates
CELL_FIELDS = "userEnteredValue,userEnteredFormat,note"
STYLE_FIELDS = "userEnteredFormat.backgroundColor,note"
HEADERS = {RUNS_TAB: RUNS_HEADER, SUMMARY_TAB: SUMMARY_FIXED, TRENDS_TAB: TRENDS_HEADER,
           REGRESSIONS_TAB: REGRESSIONS_HEADER,
           LEGEND_TAB: LEGEND_HEADER}
PIXELS_PER_CHARACTER = 8  # Sheets' default font (Arial 10), with room for bold and digits


@dataclass(frozen=True)
class Grid:
    """One tab's id and size, as the spreadsheet's metadata reports them."""

    sheet_id: int
    rows: int
    columns: int


@dataclass
class SheetState:
    """What the spreadsheet holds that a publish needs: keys per tab, Summary order."""

    runs_keys: list[str] = field(default_factory=list)
    summary_header: list[str] = field(default_factory=list)
    summary_runs: list[str] = field(default_factory=list)
    summary_dates: list[datetime | None] = field(default_factory=list)
    regression_keys: list[str] = field(default_factory=list)
    regressions_header: list[str] = field(default_factory=list)
    trends_rows: int = 0  # data rows of the Trends tab
    # Header rows the Summary has now: 1 when it was written before the two-row header (a
    # publish upgrades it first, see `upgrade_requests`).
    summary_header_rows: int = HEADER_ROWS[SUMMARY_TAB]
    # A windowed read (see `state_ranges`): the Runs data rows before `runs_keys`, and
    # whether `summary_runs` reaches the Summary's last row.
    runs_offset: int = 0
    summary_complete: bool = True

    def covers(self, content: SheetContent) -> bool:
        """Whether this (possibly windowed) state holds every row `content` needs: the
        Summary rows it restyles, and the place of each row it inserts."""
        if self.summary_complete:
            return True
        window = set(self.summary_runs)
        dates = self.summary_dates
        return (all(change.run_id in window for change in content.restyle)
                and all(insert_position(dates, row.sort_key) < len(dates)
                        for row in content.summary))

    def keys(self, tab: str) -> list[str]:
        """The key column of `tab`'s data rows, top to bottom."""
        return {
            RUNS_TAB: self.runs_keys, SUMMARY_TAB: self.summary_runs,
            REGRESSIONS_TAB: self.regression_keys,
        }.get(tab, [])


def state_ranges(runs_from: int = 0, summary_rows: int | None = None) -> list[str]:
    """The ranges one values:batchGet reads to build a SheetState (order matters).

    A windowed read keeps a publish's download flat however long the history: the Runs tab
    grows at the bottom, so its keys are read from data row `runs_from` on; the Summary is
    newest first, so only its header and first `summary_rows` data rows are read (None:
    whole columns). The Regressions and Trends tabs hold a row per verdict or metric and are
    read whole.
    """
    summary_key = column_letter(KEY_COLUMN[SUMMARY_TAB])
    runs_first = 1 if runs_from <= 0 else HEADER_ROWS[RUNS_TAB] + runs_from + 1
    summary_last = "" if summary_rows is None else str(HEADER_ROWS[SUMMARY_TAB] + summary_rows)
    return [
        f"'{RUNS_TAB}'!A{runs_first}:A",
        f"'{SUMMARY_TAB}'!1:{HEADER_ROWS[SUMMARY_TAB]}",
        f"'{SUMMARY_TAB}'!A1:A{summary_last}",
        f"'{SUMMARY_TAB}'!{summary_key}1:{summary_key}{summary_last}",
        f"'{REGRESSIONS_TAB}'!A:A",
        f"'{REGRESSIONS_TAB}'!1:1",
        f"'{TRENDS_TAB}'!A:A",
    ]


def parse_state(value_ranges: Sequence[dict], runs_from: int = 0,
                summary_rows: int | None = None) -> SheetState:
    """A SheetState from the values:batchGet answer for `state_ranges(runs_from,
    summary_rows)` (rows, unformatted)."""
    columns = [_column(item.get("values", [])) for item in value_ranges]
    runs, dates, summary_runs, regressions = columns[0], *columns[2:5]
    regressions_header = [str(value) for value in (value_ranges[5].get("values") or [[]])[0]]
    header_rows = list(value_ranges[1].get("values") or []) + [[], []]
    one_row = from_serial((header_rows[1] or [""])[0]) is not None  # a date below row 1
    first = 1 if one_row else HEADER_ROWS[SUMMARY_TAB]
    count = max(len(dates), len(summary_runs)) - first
    windowed = runs_from > 0
    return SheetState(
        runs_keys=[str(v) for v in (runs if windowed else runs[1:])],
        summary_header=[str(v) for v in header_rows[0]] if one_row else summary_keys(
            header_rows[0], header_rows[1]),
        summary_header_rows=first,
        summary_runs=[str(v) for v in _pad(summary_runs[first:], count)],
        summary_dates=[from_serial(v) for v in _pad(dates[first:], count)],
        regression_keys=[str(v) for v in regressions[1:]],
        regressions_header=regressions_header,
        trends_rows=max(0, len(columns[6]) - 1) if len(columns) > 6 else 0,
        runs_offset=runs_from if windowed else 0,
        summary_complete=summary_rows is None or count < summary_rows + HEADER_ROWS[
            SUMMARY_TAB] - first,
    )


def _column(rows: Sequence[Sequence[object]]) -> list[object]:
    return [row[0] if row else "" for row in rows]


def _pad(values: list[object], length: int) -> list[object]:
    return values + [""] * (length - len(values))


def to_serial(moment: datetime) -> float:
    """A naive UTC datetime as a spreadsheet serial number (days since 1899-12-30)."""
    return (moment - SERIAL_EPOCH) / timedelta(days=1)


def from_serial(value: object) -> datetime | None:
    """The datetime of a serial number, or None for anything else (text, empty)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return SERIAL_EPOCH + timedelta(days=value)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def color(hex_rgb: str) -> dict[str, float]:
    """A Sheets Color from 'RRGGBB'."""
    return {
        name: int(hex_rgb[offset:offset + 2], 16) / 255
        for name, offset in (("red", 0), ("green", 2), ("blue", 4))
    }


def cell_data(cell: Cell) -> dict:
    """A Sheets CellData for one layout Cell (value, number format, flag colour)."""
    data: dict = {}
    fmt: dict = {}
    if cell.value is not None and cell.value != "":
        if cell.kind == "date" and isinstance(cell.value, datetime):
            data["userEnteredValue"] = {"numberValue": to_serial(cell.value)}
        elif cell.kind == "formula":
            data["userEnteredValue"] = {"formulaValue": str(cell.value)}
        elif cell.kind in ("number", "change"):
            data["userEnteredValue"] = {"numberValue": cell.value}
        else:
            data["userEnteredValue"] = {"stringValue": str(cell.value)}
    if cell.number_format:
        kind = "DATE_TIME" if cell.kind == "date" else "NUMBER"
        fmt["numberFormat"] = {"type": kind, "pattern": cell.number_format}
    if cell.flag:
        fmt["backgroundColor"] = color(FILLS[cell.flag])
    if cell.link:
        fmt["textFormat"] = {"link": {"uri": cell.link}, "underline": True,
                             "foregroundColor": color("1155CC")}
    if fmt:
        data["userEnteredFormat"] = fmt
    if cell.note:
        data["note"] = cell.note
    return data


def header_row(names: Iterable[str], centred: bool = False) -> dict:
    """RowData for a header: bold text on a grey background (centred: for merged labels)."""
    style = {"textFormat": {"bold": True}, "backgroundColor": color(HEADER_FILL),
             "wrapStrategy": "WRAP", "verticalAlignment": "TOP"}
    if centred:
        style["horizontalAlignment"] = "CENTER"
    return {"values": [{"userEnteredValue": {"stringValue": name}, "userEnteredFormat": style}
                       if name else {"userEnteredFormat": style} for name in names]}


def row_data(cells: Iterable[Cell]) -> dict:
    """RowData for one row of layout cells."""
    return {"values": [cell_data(cell) for cell in cells]}


def setup_requests(missing: Sequence[str], first_sheet_id: int) -> tuple[list[dict], dict]:
    """Requests that add the missing tabs with header, frozen panes and column widths.

    Returns the requests and the Grid each new tab will have.
    """
    requests: list[dict] = []
    grids = {}
    for offset, tab in enumerate(missing):
        sheet_id, header = first_sheet_id + offset, HEADERS[tab]
        content = legend_rows() if tab == LEGEND_TAB else []
        rows = HEADER_ROWS[tab] + 1 + len(content)
        grids[tab] = Grid(sheet_id, rows, len(header))
        requests.append({"addSheet": {"properties": {
            "sheetId": sheet_id, "title": tab,
            "gridProperties": {
                "rowCount": rows, "columnCount": len(header),
                "frozenRowCount": HEADER_ROWS[tab], "frozenColumnCount": FROZEN_COLUMNS[tab],
            },
        }}})
        if tab == SUMMARY_TAB:
            requests.extend(summary_header_requests(sheet_id, header))
        else:
            requests.append(_update_row(sheet_id, 0, 0, header_row(header)))
        for number, row in enumerate(content, start=1):
            requests.append(_update_row(sheet_id, number, 0, row_data(row.cells)))
        requests.extend(width_requests(sheet_id, fitted_widths(header, [
            row.cells for row in content])))
    return requests, grids


def summary_header_requests(sheet_id: int, keys: Sequence[str]) -> list[dict]:
    """The Summary's two header rows for column `keys`: the first row's merges undone,
    both rows written, each test merged across its span."""
    top, bottom = summary_header_rows(keys)
    row0 = {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1}
    requests: list[dict] = [
        {"unmergeCells": {"range": {**row0, "startColumnIndex": 0,
                                    "endColumnIndex": len(keys)}}},
        _update_row(sheet_id, 0, 0, header_row(top, centred=True)),
        _update_row(sheet_id, 1, 0, header_row(bottom)),
    ]
    requests.extend({"mergeCells": {"range": {**row0, "startColumnIndex": start,
                                              "endColumnIndex": end + 1},
                                    "mergeType": "MERGE_ALL"}}
                    for start, end in summary_spans(top))
    return requests


def width_requests(sheet_id: int, widths: Sequence[int]) -> list[dict]:
    """updateDimensionProperties requests setting column widths (in characters), one per
    run of equal widths."""
    requests: list[dict] = []
    start = 0
    for index in range(1, len(widths) + 1):
        if index == len(widths) or widths[index] != widths[start]:
            requests.append({"updateDimensionProperties": {
                "range": {"sheetId": sheet_id, "dimension": "COLUMNS",
                          "startIndex": start, "endIndex": index},
                "properties": {"pixelSize": widths[start] * PIXELS_PER_CHARACTER},
                "fields": "pixelSize",
            }})
            start = index
    return requests


def _update_row(sheet_id: int, row: int, column: int, data: dict) -> dict:
    return {"updateCells": {
        "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": column},
        "rows": [data], "fields": CELL_FIELDS,
    }}


def _append_rows(sheet_id: int, rows: Sequence[KeyedRow]) -> dict:
    return {"appendCells": {
        "sheetId": sheet_id, "rows": [row_data(row.cells) for row in rows], "fields": CELL_FIELDS,
    }}


def plan_requests(content: SheetContent, state: SheetState, grids: dict[str, Grid]) -> list[dict]:
    """Requests that bring the spreadsheet to `content`: restyle cells of earlier Summary
    rows, add or rewrite Regressions rows by key, append missing Runs rows, and insert
    missing Summary rows where their date keeps the newest first.

    Restyles come first: they address rows by the positions read in `state`, which the
    Summary inserts later in the same batch shift.
    """
    requests = upgrade_requests(state, grids[SUMMARY_TAB])
    requests.extend(_restyle_requests(content.restyle, state, grids[SUMMARY_TAB]))
    requests.extend(_regressions_requests(content.regressions, state, grids[REGRESSIONS_TAB]))
    known = set(state.runs_keys)
    missing = [row for row in content.runs if row.key not in known]
    if missing:
        requests.append(_append_rows(grids[RUNS_TAB].sheet_id, missing))
        requests.extend(width_requests(grids[RUNS_TAB].sheet_id, fitted_widths(
            RUNS_HEADER, [row.cells for row in missing])))
    known_runs = set(state.summary_runs)
    summary = [row for row in content.summary if row.key not in known_runs]
    if summary:
        requests.extend(_summary_requests(summary, state, grids[SUMMARY_TAB]))
        header = summary_header(state.summary_header or list(SUMMARY_FIXED), summary)
        if header != state.summary_header or state.trends_rows != len(trends(header)):
            requests.extend(trends_requests(header, grids[TRENDS_TAB]))
    return requests


def upgrade_requests(state: SheetState, grid: Grid) -> list[dict]:
    """A Summary written with one header row gets the second (a row inserted below it, both
    rows written, two frozen); first in a batch, so later requests see the new layout."""
    if state.summary_header_rows >= HEADER_ROWS[SUMMARY_TAB]:
        return []
    return [
        {"insertDimension": {"range": {"sheetId": grid.sheet_id, "dimension": "ROWS",
                                       "startIndex": 1, "endIndex": 2},
                             "inheritFromBefore": True}},
        {"updateSheetProperties": {
            "properties": {"sheetId": grid.sheet_id,
                           "gridProperties": {"frozenRowCount": HEADER_ROWS[SUMMARY_TAB]}},
            "fields": "gridProperties.frozenRowCount"}},
        *summary_header_requests(grid.sheet_id, state.summary_header),
    ]


def sparkline(column: int) -> str:
    """A SPARKLINE over one Summary column's values, drawn right to left (the Summary is
    newest first, so the oldest run shows on the left)."""
    letter = column_letter(column)
    first = HEADER_ROWS[SUMMARY_TAB] + 1
    return (f"=SPARKLINE('{SUMMARY_TAB}'!{letter}{first}:{letter}, "
            '{"charttype","line";"rtl",TRUE;"linewidth",2})')


TREND_ROW_PIXELS, TREND_PIXELS = 40, 320  # a Trends row's height, its sparkline's width


def trends_requests(keys: Sequence[str], grid: Grid) -> list[dict]:
    """Rewrite the Trends tab for Summary columns `keys`: a row per metric column with its
    test, metric and sparkline (the formulas reach the Summary's newest rows by themselves)."""
    found = trends(keys)
    requests: list[dict] = []
    if 1 + len(found) > grid.rows:
        requests.append({"appendDimension": {"sheetId": grid.sheet_id, "dimension": "ROWS",
                                             "length": 1 + len(found) - grid.rows}})
    rows = [(Cell(t.test), Cell(t.metric), Cell(sparkline(t.column), "formula")) for t in found]
    if rows:
        requests.append({"updateCells": {
            "start": {"sheetId": grid.sheet_id, "rowIndex": 1, "columnIndex": 0},
            "rows": [row_data(row) for row in rows], "fields": CELL_FIELDS}})
        requests.append({"updateDimensionProperties": {
            "range": {"sheetId": grid.sheet_id, "dimension": "ROWS", "startIndex": 1,
                      "endIndex": 1 + len(rows)},
            "properties": {"pixelSize": TREND_ROW_PIXELS}, "fields": "pixelSize"}})
    widths = fitted_widths(TRENDS_HEADER, [row[:2] for row in rows])
    return requests + width_requests(grid.sheet_id, [*widths[:2], TREND_PIXELS //
                                                     PIXELS_PER_CHARACTER])


def _restyle_requests(restyle: Sequence[Restyle], state: SheetState, grid: Grid) -> list[dict]:
    """Set (or clear) the colour and note of Summary cells of runs already in the sheet."""
    rows = {run: index + HEADER_ROWS[SUMMARY_TAB] for index, run in
            enumerate(state.summary_runs)}
    requests = []
    for change in restyle:
        column = find_column(state.summary_header, change.column)
        if change.run_id not in rows or column is None:
            continue  # the row or column was removed by hand: nothing to restyle
        data = cell_data(Cell(None, "text", change.mark.flag if change.mark else None,
                              change.mark.note if change.mark else None))
        requests.append({"updateCells": {
            "start": {"sheetId": grid.sheet_id, "rowIndex": rows[change.run_id],
                      "columnIndex": column},
            "rows": [{"values": [data]}], "fields": STYLE_FIELDS,
        }})
    return requests


def _regressions_requests(rows: Sequence[KeyedRow], state: SheetState, grid: Grid
                          ) -> list[dict]:
    """Rewrite the Regressions rows whose key is there, append the others; bring an older
    header up to date."""
    if not rows:
        return []
    requests: list[dict] = []
    if state.regressions_header != list(REGRESSIONS_HEADER):
        if grid.columns < len(REGRESSIONS_HEADER):
            requests.append({"appendDimension": {
                "sheetId": grid.sheet_id, "dimension": "COLUMNS",
                "length": len(REGRESSIONS_HEADER) - grid.columns}})
        requests.append(_update_row(grid.sheet_id, 0, 0, header_row(REGRESSIONS_HEADER)))
    where = {key: index + 1 for index, key in enumerate(state.regression_keys)}
    added = []
    for row in rows:
        if row.key in where:
            requests.append(_update_row(grid.sheet_id, where[row.key], 0, row_data(row.cells)))
        else:
            added.append(row)
    if added:
        requests.append(_append_rows(grid.sheet_id, added))
    requests.extend(width_requests(grid.sheet_id, fitted_widths(
        REGRESSIONS_HEADER, [row.cells for row in rows])))
    return requests


def _summary_requests(summary: Sequence[SummaryRow], state: SheetState, grid: Grid) -> list[dict]:
    """Grow the Summary header by new metric columns; insert each row newest-first."""
    requests: list[dict] = []
    existing = state.summary_header or list(SUMMARY_FIXED)
    header = summary_header(existing, summary)
    if len(header) > grid.columns:
        requests.append({"appendDimension": {
            "sheetId": grid.sheet_id, "dimension": "COLUMNS", "length": len(header) - grid.columns,
        }})
    if header != state.summary_header:
        requests.extend(summary_header_requests(grid.sheet_id, header))
    dates = list(state.summary_dates)
    first = HEADER_ROWS[SUMMARY_TAB]
    for row in summary:
        position = insert_position(dates, row.sort_key)
        dates.insert(position, row.sort_key)
        requests.append({"insertDimension": {
            "range": {"sheetId": grid.sheet_id, "dimension": "ROWS",
                      "startIndex": position + first, "endIndex": position + first + 1},
            "inheritFromBefore": False,
        }})
        requests.append(_update_row(grid.sheet_id, position + first, 0,
                                    row_data(summary_cells(row, header))))
    requests.extend(width_requests(grid.sheet_id, summary_widths(
        header, [summary_cells(row, header) for row in summary])))
    return requests


def duplicate_requests(state: SheetState, grids: dict[str, Grid]) -> list[dict]:
    """deleteDimension requests removing every repeated key's later copies (bottom first).

    Duplicates can only come from a write that landed after we had given up on it and sent
    it again; removing the later copy restores exactly-once.
    """
    requests = []
    for tab in TABS:
        keys = state.keys(tab)
        counts = Counter(key for key in keys if key)
        seen: set[str] = set()
        doomed = []
        for index, key in enumerate(keys):
            if counts[key] > 1 and key in seen:
                below = state.summary_header_rows if tab == SUMMARY_TAB else HEADER_ROWS[tab]
                skipped = state.runs_offset if tab == RUNS_TAB else 0
                doomed.append(index + below + skipped)  # below the header rows
            seen.add(key)
        for row in sorted(doomed, reverse=True):
            requests.append({"deleteDimension": {"range": {
                "sheetId": grids[tab].sheet_id, "dimension": "ROWS",
                "startIndex": row, "endIndex": row + 1,
            }}})
    return requests


def new_cells(content: SheetContent, state: SheetState, summary_rows: int | None = None) -> int:
    """Cells a publish adds to the grid (for the cell-limit check); `summary_rows`: the
    Summary's row count when `state` holds only a window of it."""
    header = summary_header(state.summary_header, content.summary)
    rows = len(state.summary_runs) + HEADER_ROWS[SUMMARY_TAB] if summary_rows is None \
        else summary_rows
    return (
        len(content.runs) * len(RUNS_HEADER)
        + len(content.regressions) * len(REGRESSIONS_HEADER)
        + len(content.summary) * len(header)
        + (len(header) - len(state.summary_header or SUMMARY_FIXED))
        * rows
    )
