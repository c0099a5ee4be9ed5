"""An in-memory spreadsheet that applies the Sheets API v4 subset the harness uses.

The HTTP layer is in `sheets_server.py`; this module is the data model: A1 ranges, values
read/append/update/clear, and the spreadsheets:batchUpdate requests (atomic: all or nothing).
Errors are `ApiError`s carrying the HTTP status, Google's status name and message.
"""

from __future__ import annotations

import json

import re
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26


class ApiError(Exception):
    """An error answer: HTTP code, Google status (e.g. INVALID_ARGUMENT) and message."""

    def __init__(self, code: int, status: str, message: str,
                 details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message
        self.details = details

    def body(self) -> dict:
        """Google's JSON error body."""
        error: dict[str, Any] = {"code": self.code, "message": self.message,
                                 "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT."""
    return ApiError(400, "INVALID_ARGUMENT", message)


def invalid_field(field_name: str, value: Any, expected: str) -> ApiError:
    """A 400 for a body field of the wrong type, with the BadRequest details Google adds."""
    message = (f"Invalid value at '{field_name}' (type.googleapis.com/google.protobuf."
               f"{expected}), {json.dumps(value)}")
    return ApiError(400, "INVALID_ARGUMENT", message, [{
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field_name, "description": message}],
    }])


@dataclass
class Sheet:
    """One tab: properties and a sparse grid of cells {"v": value, "f": format}."""

    sheet_id: int
    title: str
    rows: int = DEFAULT_ROWS
    columns: int = DEFAULT_COLUMNS
    frozen_rows: int = 0
    frozen_columns: int = 0
    extra: dict = field(default_factory=dict)  # other properties (hidden, tabColor, ...)
    grid_extra: dict = field(default_factory=dict)  # other gridProperties (hideGridlines)
    cells: list[list[dict | None]] = field(default_factory=list)
    column_pixels: dict[int, int] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # row0,row1,col0,col1

    def properties(self, index: int) -> dict:
        """The sheet's properties as the API reports them."""
        grid = {"rowCount": self.rows, "columnCount": self.columns}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_columns:
            grid["frozenColumnCount"] = self.frozen_columns
        grid.update(self.grid_extra)
        return {"sheetId": self.sheet_id, "title": self.title, "index": index,
                "sheetType": "GRID", "gridProperties": grid, **self.extra}

    def metadata(self, index: int) -> dict:
        """The sheet as spreadsheets.get lists it: its properties, and its merged ranges."""
        found: dict[str, Any] = {"properties": self.properties(index)}
        if self.merges:
            # a GridRange as Google writes it: sheetId 0, the default, is left out
            found["merges"] = [{**({"sheetId": self.sheet_id} if self.sheet_id else {}),
                                "startRowIndex": row0, "endRowIndex": row1,
                                "startColumnIndex": col0, "endColumnIndex": col1}
                               for row0, row1, col0, col1 in self.merges]
        return found

    def cell(self, row: int, column: int) -> dict | None:
        """The cell at 0-based (row, column), or None when empty."""
        if row < len(self.cells) and column < len(self.cells[row]):
            return self.cells[row][column]
        return None

    def put(self, row: int, column: int, cell: dict | None) -> None:
        """Store a cell, growing the sparse grid as needed (the caller checks the grid size)."""
        while len(self.cells) <= row:
            self.cells.append([])
        line = self.cells[row]
        while len(line) <= column:
            line.append(None)
        line[column] = cell

    def has_data(self, row: int) -> bool:
        """Whether the 0-based row holds any value."""
        return row < len(self.cells) and any(
            c is not None and c.get("v") not in (None, "") for c in self.cells[row])

    def last_data_row(self) -> int:
        """0-based index of the last row holding a value, or -1."""
        for index in range(len(self.cells) - 1, -1, -1):
            if any(c is not None and c.get("v") not in (None, "") for c in self.cells[index]):
                return index
        return -1

    def cell_count(self) -> int:
        """Grid cells (what Google's per-spreadsheet cell limit counts)."""
        return self.rows * self.columns


@dataclass(frozen=True)
class GridRange:
    """A rectangle of a sheet, 0-based and end-exclusive; ends may be None (to the edge)."""

    sheet: Sheet
    row0: int
    col0: int
    row1: int | None
    col1: int | None

    def bounded(self) -> tuple[int, int, int, int]:
        """(row0, col0, row1, col1) with open ends clipped to the grid."""
        row1 = self.sheet.rows if self.row1 is None else min(self.row1, self.sheet.rows)
        col1 = self.sheet.columns if self.col1 is None else min(self.col1, self.sheet.columns)
        return self.row0, self.col0, row1, col1


_REF = re.compile(r"^([A-Za-z]*)(\d*)$")


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    value = 0
    for char in letters.upper():
        value = value * 26 + ord(char) - 64
    return value - 1


def column_letters(index: int) -> str:
    """0 -> A, 26 -> AA (bijective base 26)."""
    head, rest = divmod(index, 26)
    return (column_letters(head - 1) if head else "") + chr(ord("A") + rest)


def quote_title(title: str) -> str:
    """A sheet title as Google writes it in a range: quoted only when needed."""
    reference = _REF.match(title)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not (reference and reference.group(2)):
        return title
    return "'" + title.replace("'", "''") + "'"


def a1(sheet: Sheet, row0: int, col0: int, row1: int, col1: int) -> str:
    """'Title!A1:B2' for a bounded range (a single cell is written 'Title!A1')."""
    start = f"{column_letters(col0)}{row0 + 1}"
    end = f"{column_letters(col1 - 1)}{row1}"
    cells = start if (row1 - row0, col1 - col0) == (1, 1) else f"{start}:{end}"
    return f"{quote_title(sheet.title)}!{cells}"


@dataclass
class Spreadsheet:
    """A spreadsheet: title, tabs and who may edit it."""

    spreadsheet_id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    editors: set[str] | None = None  # None: anyone with a token may edit
    cell_limit: int = 10_000_000

    def metadata(self) -> dict[str, Any]:
        """The GET spreadsheets/{id} answer (includeGridData=false)."""
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {"title": self.title, "locale": "en_US", "autoRecalc": "ON_CHANGE",
                           "timeZone": "Etc/GMT"},
            "sheets": [sheet.metadata(i) for i, sheet in enumerate(self.sheets)],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit",
        }

    def sheet_by_title(self, title: str) -> Sheet:
        """The tab named `title` (400 when there is none, as Google answers)."""
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise bad_request(f"Unable to parse range: {title}")

    def sheet_by_id(self, sheet_id: int) -> Sheet:
        """The tab with `sheet_id`."""
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise bad_request(f"No grid with id: {sheet_id}")

    def parse_range(self, text: str) -> GridRange:
        """An A1 range: 'Sheet1', 'Sheet1!A1:B2', "'My tab'!A:A", '1:1', 'A1'."""
        if "!" in text:
            title, _, cells = text.rpartition("!")
        elif any(sheet.title == _unquote(text) for sheet in self.sheets):
            title, cells = text, ""
        else:
            title, cells = "", text
        sheet = self.sheet_by_title(_unquote(title)) if title else self.sheets[0]
        if not cells:
            return GridRange(sheet, 0, 0, None, None)
        start, _, end = cells.partition(":")
        first, last = _REF.match(start), _REF.match(end or start)
        if not first or not last:
            raise bad_request(f"Unable to parse range: {text}")
        row0 = int(first.group(2)) - 1 if first.group(2) else 0
        col0 = column_index(first.group(1)) if first.group(1) else 0
        row1 = int(last.group(2)) if last.group(2) else None
        col1 = column_index(last.group(1)) + 1 if last.group(1) else None
        if row1 is not None and row1 <= row0:  # 'D4:A1' means 'A1:D4'
            row0, row1 = row1 - 1, row0 + 1
        if col1 is not None and col1 <= col0:
            col0, col1 = col1 - 1, col0 + 1
        return GridRange(sheet, row0, col0, row1, col1)

    def total_cells(self) -> int:
        """Cells in every tab's grid."""
        return sum(sheet.cell_count() for sheet in self.sheets)

    def check_limit(self) -> None:
        """Google's per-spreadsheet cell limit."""
        if self.total_cells() > self.cell_limit:
            raise bad_request(
                "This action would increase the number of cells in the workbook above the "
                f"limit of {self.cell_limit} cells."
            )


def _unquote(title: str) -> str:
    if len(title) >= 2 and title[0] == title[-1] == "'":
        return title[1:-1].replace("''", "'")
    return title


def copy_spreadsheet(book: Spreadsheet) -> Spreadsheet:
    """A copy to apply a batchUpdate to atomically (swapped in on success).

    Row lists are copied, cell dicts shared: batchUpdate handlers replace cells, never
    mutate them, so this is enough and stays cheap for 100k-row tabs.
    """
    sheets = [
        replace(sheet, cells=[list(row) for row in sheet.cells], extra=dict(sheet.extra),
                grid_extra=dict(sheet.grid_extra), column_pixels=dict(sheet.column_pixels),
                merges=list(sheet.merges))
        for sheet in book.sheets
    ]
    editors = None if book.editors is None else set(book.editors)
    return replace(book, sheets=sheets, editors=editors)
