"""The Sheets API v4 operations of the local server, applied to `sheets_model` objects.

values: get, batchGet, update (PUT), append, clear, batchUpdate;
spreadsheets:batchUpdate: addSheet, deleteSheet, updateSheetProperties,
updateSpreadsheetProperties, updateCells, repeatCell, appendCells, insertDimension,
deleteDimension, appendDimension, updateDimensionProperties, mergeCells, unmergeCells. A
batchUpdate is atomic.
"""

from __future__ import annotations

import itertools

import random
from collections.abc import Callable, Sequence
from typing import Any

from harness.testing.sheets_model import (
    ApiError,
    GridRange,
    Sheet,
    Spreadsheet,
    a1,
    bad_request,
    copy_spreadsheet,
)

# -- values -------------------------------------------------------------------------------


def _render(cell: dict | None, unformatted: bool) -> Any:
    value = None if cell is None else cell.get("v")
    if value is None:
        return ""
    if unformatted:
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_values(grid: GridRange, params: dict[str, str]) -> dict:
    """The ValueRange for one range (trailing empties trimmed, as Google does)."""
    row0, col0, row1, col1 = grid.bounded()
    unformatted = params.get("valueRenderOption") == "UNFORMATTED_VALUE"
    rows = []
    for row in range(row0, row1):
        line = [_render(grid.sheet.cell(row, column), unformatted) for column in range(col0, col1)]
        while line and line[-1] == "":
            line.pop()
        rows.append(line)
    while rows and not rows[-1]:
        rows.pop()
    major = params.get("majorDimension", "ROWS")
    if major == "COLUMNS" and rows:
        width = max(len(line) for line in rows)
        padded = [line + [""] * (width - len(line)) for line in rows]
        rows = [list(column) for column in zip(*padded)]
    answer: dict[str, object] = {
        "range": a1(grid.sheet, row0, col0, max(row1, row0 + 1), max(col1, col0 + 1)),
        "majorDimension": major}
    if rows:
        answer["values"] = rows
    return answer


def _input(value: Any, option: str) -> Any:
    """A written value: USER_ENTERED parses numbers from text; RAW keeps it as sent."""
    if option == "USER_ENTERED" and isinstance(value, str):
        try:
            return float(value) if value.strip() else value
        except ValueError:
            return value
    return value


def write_values(grid: GridRange, values: Sequence[Sequence[Any]], option: str,
                 start_row: int | None = None) -> dict:
    """Write rows of values at the range's top-left (or `start_row`), growing the grid."""
    sheet = grid.sheet
    row0 = grid.row0 if start_row is None else start_row
    width = max((len(line) for line in values), default=0)
    sheet.rows = max(sheet.rows, row0 + len(values))
    sheet.columns = max(sheet.columns, grid.col0 + width)
    for offset, line in enumerate(values):
        for column, value in enumerate(line):
            if value is None:
                continue  # null means: leave the cell as it is
            old = sheet.cell(row0 + offset, grid.col0 + column) or {}
            sheet.put(row0 + offset, grid.col0 + column,
                      {**old, "v": None if value == "" else _input(value, option)})
    return {"updatedRange": a1(sheet, row0, grid.col0, row0 + max(len(values), 1),
                               grid.col0 + max(width, 1)),
            "updatedRows": len(values), "updatedColumns": width,
            "updatedCells": sum(len(line) for line in values)}


def append_values(book: Spreadsheet, text: str, body: dict, params: dict[str, str]) -> dict:
    """values:append after the table that starts at the range's top-left (the contiguous
    rows, or columns for majorDimension COLUMNS, with data from there); INSERT_ROWS shifts
    the rows below down."""
    grid = book.parse_range(text)
    sheet, values = grid.sheet, body.get("values", [])
    by_columns = body.get("majorDimension") == "COLUMNS"
    if by_columns:
        width = max((len(line) for line in values), default=0)
        values = [[line[i] if i < len(line) else None for line in values] for i in range(width)]
    last = (grid.col0 if by_columns else grid.row0) - 1
    while _has_data(sheet, last + 1, by_columns):
        last += 1
    answer: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
    if by_columns:
        start_row, grid = grid.row0, GridRange(sheet, grid.row0, last + 1, None, None)
    else:
        start_row = last + 1
    if last >= (grid.col0 if by_columns else grid.row0) and not by_columns:
        width = max((len(line or []) for line in sheet.cells[grid.row0:last + 1]), default=1)
        answer["tableRange"] = a1(sheet, grid.row0, grid.col0, last + 1, max(width, 1))
    if params.get("insertDataOption") == "INSERT_ROWS" and not by_columns:
        _insert_rows(sheet, start_row, len(values))
    updates = write_values(grid, values, params.get("valueInputOption", "RAW"),
                           start_row=start_row)
    book.check_limit()
    answer["updates"] = {"spreadsheetId": book.spreadsheet_id, **updates}
    return answer


def _has_data(sheet: Sheet, index: int, column: bool) -> bool:
    if not column:
        return sheet.has_data(index)
    return any((sheet.cell(row, index) or {}).get("v") not in (None, "")
               for row in range(len(sheet.cells)))


def clear_values(grid: GridRange) -> str:
    """Clear values (formats stay) in the range; returns the cleared A1 range."""
    row0, col0, row1, col1 = grid.bounded()
    for row in range(row0, min(row1, len(grid.sheet.cells))):
        for column in range(col0, col1):
            cell = grid.sheet.cell(row, column)
            if cell is not None:
                cell["v"] = None
    return a1(grid.sheet, row0, col0, row1, col1)


def batch_write_values(book: Spreadsheet, body: dict) -> dict:
    """values:batchUpdate."""
    option = body.get("valueInputOption", "RAW")
    responses = []
    for item in body.get("data", []):
        grid = book.parse_range(item["range"])
        responses.append({"spreadsheetId": book.spreadsheet_id,
                          **write_values(grid, item.get("values", []), option)})
    book.check_limit()
    return {
        "spreadsheetId": book.spreadsheet_id,
        "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
        "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
        "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
        "totalUpdatedSheets": len({r["updatedRange"].split("!")[0] for r in responses}),
        "responses": responses,
    }


# -- spreadsheets:batchUpdate -------------------------------------------------------------


def _insert_rows(sheet: Sheet, index: int, count: int) -> None:
    if index < len(sheet.cells):
        sheet.cells[index:index] = [[] for _ in range(count)]
    sheet.rows += count
    sheet.merges = [(row0 + count if row0 >= index else row0,
                     row1 + count if row1 > index else row1, col0, col1)
                    for row0, row1, col0, col1 in sheet.merges]


def _cell_from(data: dict, old: dict | None, fields: str) -> dict | None:
    """Apply a CellData to a stored cell under a fields mask, as Google does: a field named
    in the mask takes the request's value, or is cleared when the request has none."""
    if fields.strip() in ("*", ""):
        paths = [["userEnteredValue"], ["userEnteredFormat"], ["note"]]
    else:
        paths = _field_paths(fields)
    cell = dict(old or {})
    for path in paths:
        if path[0] == "userEnteredValue":
            entered = data.get("userEnteredValue") or {}
            cell["v"] = next(iter(entered.values()), None) if entered else None
        elif path[0] == "userEnteredFormat" and len(path) == 1:
            cell["f"] = dict(data.get("userEnteredFormat") or {})
        elif path[0] == "userEnteredFormat":
            fmt = dict(cell.get("f") or {})
            value = (data.get("userEnteredFormat") or {}).get(path[1])
            if value is None:
                fmt.pop(path[1], None)
            else:
                fmt[path[1]] = value
            cell["f"] = fmt
        elif path[0] == "note":
            cell["n"] = data.get("note") or None
    cell = {key: value for key, value in cell.items()
            if value is not None and (key == "v" or value)}
    return cell or None


def _check_inside(sheet: Sheet, row: int, column: int) -> None:
    if row >= sheet.rows:
        raise bad_request(f"GridCoordinate.rowIndex[{row}] is after last row in grid"
                          f"[{sheet.rows - 1}]")
    if column >= sheet.columns:
        raise bad_request(f"GridCoordinate.columnIndex[{column}] is after last column in grid"
                          f"[{sheet.columns - 1}]")


def _write_rows(sheet: Sheet, row0: int, col0: int, rows: list[dict], fields: str) -> None:
    for offset, row in enumerate(rows):
        for column, data in enumerate(row.get("values", [])):
            _check_inside(sheet, row0 + offset, col0 + column)
            old = sheet.cell(row0 + offset, col0 + column)
            sheet.put(row0 + offset, col0 + column, _cell_from(data, old, fields))


def _grid_range(book: Spreadsheet, spec: dict) -> GridRange:
    sheet = book.sheet_by_id(spec.get("sheetId", 0))
    return GridRange(sheet, spec.get("startRowIndex", 0), spec.get("startColumnIndex", 0),
                     spec.get("endRowIndex"), spec.get("endColumnIndex"))


def _add_sheet(book: Spreadsheet, request: dict) -> dict:
    props = request.get("properties", {})
    title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
    if any(sheet.title == title for sheet in book.sheets):
        raise bad_request(f'A sheet with the name "{title}" already exists. '
                          "Please enter another name.")
    taken = {sheet.sheet_id for sheet in book.sheets}
    sheet_id = props.get("sheetId")
    if sheet_id in taken:
        raise bad_request(f"Sheet with id {sheet_id} already exists.")
    while sheet_id is None or sheet_id in taken:
        sheet_id = random.randrange(1, 2**31 - 1)  # nosec B311 - an id, not a secret
    grid = props.get("gridProperties", {})
    sheet = Sheet(sheet_id, title, grid.get("rowCount", 1000), grid.get("columnCount", 26),
                  grid.get("frozenRowCount", 0), grid.get("frozenColumnCount", 0))
    index = min(props.get("index", len(book.sheets)), len(book.sheets))
    book.sheets.insert(index, sheet)
    return {"addSheet": {"properties": sheet.properties(index)}}


def _delete_sheet(book: Spreadsheet, request: dict) -> dict:
    book.sheets.remove(book.sheet_by_id(request["sheetId"]))
    if not book.sheets:
        raise bad_request("You can't remove all the sheets in a document.")
    return {}


def _field_paths(fields: str) -> list[list[str]]:
    return [part.strip().replace("/", ".").split(".") for part in fields.split(",") if part.strip()]


def _update_sheet_properties(book: Spreadsheet, request: dict) -> dict:
    props = request.get("properties", {})
    sheet = book.sheet_by_id(props.get("sheetId", 0))
    attributes = {"title": "title", "rowCount": "rows", "columnCount": "columns",
                  "frozenRowCount": "frozen_rows", "frozenColumnCount": "frozen_columns"}
    for path in _field_paths(request.get("fields", "")):
        value: Any = props
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        name = path[-1]
        if name == "index":
            book.sheets.remove(sheet)
            book.sheets.insert(min(value or 0, len(book.sheets)), sheet)
        elif name in attributes:
            setattr(sheet, attributes[name], value or 0 if name != "title" else value)
        elif name == "hidden" and value and all(
            other.extra.get("hidden") for other in book.sheets if other is not sheet
        ):
            raise bad_request("You can't hide all the sheets in a document.")
        else:
            extra = sheet.grid_extra if path[0] == "gridProperties" else sheet.extra
            if not value:  # Google leaves false/empty properties out of its answers
                extra.pop(name, None)
            else:
                extra[name] = value
    return {}


def _update_spreadsheet_properties(book: Spreadsheet, request: dict) -> dict:
    if "title" in request.get("fields", "") and request.get("properties", {}).get("title"):
        book.title = request["properties"]["title"]
    return {}


def _update_cells(book: Spreadsheet, request: dict) -> dict:
    if "start" in request:
        start = request["start"]
        sheet = book.sheet_by_id(start.get("sheetId", 0))
        row0, col0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
    else:
        grid = _grid_range(book, request["range"])
        sheet, row0, col0 = grid.sheet, grid.row0, grid.col0
    _write_rows(sheet, row0, col0, request.get("rows", []), request.get("fields", "*"))
    return {}


def _repeat_cell(book: Spreadsheet, request: dict) -> dict:
    grid = _grid_range(book, request["range"])
    row0, col0, row1, col1 = grid.bounded()
    for row in range(row0, row1):
        for column in range(col0, col1):
            old = grid.sheet.cell(row, column)
            grid.sheet.put(row, column, _cell_from(request.get("cell", {}), old,
                                                   request.get("fields", "*")))
    return {}


def _append_cells(book: Spreadsheet, request: dict) -> dict:
    sheet = book.sheet_by_id(request["sheetId"])
    rows = request.get("rows", [])
    start = sheet.last_data_row() + 1
    sheet.rows = max(sheet.rows, start + len(rows))
    _write_rows(sheet, start, 0, rows, request.get("fields", "*"))
    return {}


def _dimension(book: Spreadsheet, request: dict) -> tuple[Sheet, str, int, int]:
    spec = request["range"]
    sheet = book.sheet_by_id(spec.get("sheetId", 0))
    start, end = spec.get("startIndex", 0), spec.get("endIndex", 0)
    size = sheet.rows if spec.get("dimension") == "ROWS" else sheet.columns
    if not 0 <= start < end:
        raise bad_request(f"Invalid dimension range: startIndex {start}, endIndex {end}")
    return sheet, spec.get("dimension", "ROWS"), start, min(end, size + (end - start))


def _insert_dimension(book: Spreadsheet, request: dict) -> dict:
    sheet, dimension, start, end = _dimension(book, request)
    if start == 0 and request.get("inheritFromBefore"):
        raise bad_request("Cannot inherit from before when inserting at index 0.")
    if dimension == "ROWS":
        if start > sheet.rows:
            raise bad_request(f"startIndex {start} is after the last row {sheet.rows}")
        _insert_rows(sheet, start, end - start)
    else:
        for line in sheet.cells:
            if start < len(line):
                line[start:start] = [None] * (end - start)
        sheet.columns += end - start
    return {}


def _delete_dimension(book: Spreadsheet, request: dict) -> dict:
    sheet, dimension, start, end = _dimension(book, request)
    if dimension == "ROWS":
        end = min(end, sheet.rows)
        del sheet.cells[start:end]
        sheet.rows -= end - start
    else:
        end = min(end, sheet.columns)
        for line in sheet.cells:
            del line[start:end]
        sheet.columns -= end - start
    return {}


def _append_dimension(book: Spreadsheet, request: dict) -> dict:
    sheet = book.sheet_by_id(request["sheetId"])
    if request.get("dimension") == "ROWS":
        sheet.rows += request.get("length", 0)
    else:
        sheet.columns += request.get("length", 0)
    return {}


def _update_dimension_properties(book: Spreadsheet, request: dict) -> dict:
    sheet, dimension, start, end = _dimension(book, request)
    pixels = request.get("properties", {}).get("pixelSize")
    if dimension == "COLUMNS" and pixels is not None:
        for column in range(start, end):
            sheet.column_pixels[column] = pixels
    return {}


def _merge_parts(kind: str, bounds: tuple[int, int, int, int]
                 ) -> list[tuple[int, int, int, int]]:
    """The merges (row0, row1, col0, col1) a mergeType makes of a range: one (MERGE_ALL),
    one per column (MERGE_COLUMNS) or one per row (MERGE_ROWS)."""
    row0, col0, row1, col1 = bounds
    if kind == "MERGE_ALL":
        return [(row0, row1, col0, col1)]
    if kind == "MERGE_COLUMNS":
        return [(row0, row1, column, column + 1) for column in range(col0, col1)]
    if kind == "MERGE_ROWS":
        return [(row, row + 1, col0, col1) for row in range(row0, row1)]
    raise bad_request(f"Invalid mergeType: {kind}")


def _merge_cells(book: Spreadsheet, request: dict) -> dict:
    """Merge a range (see `_merge_parts`); only each merge's top-left value stays, as Google
    keeps it, and merges wholly inside the range are merged anew."""
    grid = _grid_range(book, request["range"])
    bounds = grid.bounded()
    parts = _merge_parts(request.get("mergeType", "MERGE_ALL"), bounds)
    if any((top1 - top0) * (right - left) < 2 for top0, top1, left, right in parts):
        raise bad_request("Must merge at least two cells.")
    grid.sheet.merges = _merges_outside(grid.sheet.merges, bounds)
    for part in parts:
        _keep_top_left(grid.sheet, part)
        grid.sheet.merges.append(part)
    return {}


def _merges_outside(merges: list[tuple[int, int, int, int]], bounds: tuple[int, int, int, int]
                    ) -> list[tuple[int, int, int, int]]:
    """The merges not wholly inside `bounds` (row0, col0, row1, col1); one that overlaps
    them only in part is an error, as on Google."""
    row0, col0, row1, col1 = bounds
    kept = []
    for other in merges:
        if row0 <= other[0] and other[1] <= row1 and col0 <= other[2] and other[3] <= col1:
            continue
        if other[0] < row1 and row0 < other[1] and other[2] < col1 and col0 < other[3]:
            raise bad_request("You can't merge cells that are already merged.")
        kept.append(other)
    return kept


def _keep_top_left(sheet, part: tuple[int, int, int, int]) -> None:
    """Drop every value of a merged range but its top-left one (formats stay)."""
    top0, top1, left, right = part
    for row, column in itertools.product(range(top0, top1), range(left, right)):
        old = sheet.cell(row, column)
        if (row, column) != (top0, left) and old and old.get("v") is not None:
            sheet.put(row, column, {key: v for key, v in old.items() if key != "v"} or None)


def _unmerge_cells(book: Spreadsheet, request: dict) -> dict:
    """Undo every merge that overlaps the range."""
    grid = _grid_range(book, request["range"])
    row0, col0, row1, col1 = grid.bounded()
    grid.sheet.merges = [other for other in grid.sheet.merges
                         if not (other[0] < row1 and row0 < other[1] and other[2] < col1
                                 and col0 < other[3])]
    return {}


HANDLERS: dict[str, Callable[[Spreadsheet, dict], dict]] = {
    "addSheet": _add_sheet,
    "deleteSheet": _delete_sheet,
    "updateSheetProperties": _update_sheet_properties,
    "updateSpreadsheetProperties": _update_spreadsheet_properties,
    "updateCells": _update_cells,
    "repeatCell": _repeat_cell,
    "appendCells": _append_cells,
    "insertDimension": _insert_dimension,
    "deleteDimension": _delete_dimension,
    "appendDimension": _append_dimension,
    "updateDimensionProperties": _update_dimension_properties,
    "mergeCells": _merge_cells,
    "unmergeCells": _unmerge_cells,
}


def batch_update(book: Spreadsheet, body: dict) -> tuple[Spreadsheet, dict]:
    """Apply every request to a copy (all or nothing); returns the new state and the answer."""
    draft = copy_spreadsheet(book)
    replies = []
    for index, request in enumerate(body.get("requests", [])):
        name = next(iter(request), "")
        handler = HANDLERS.get(name)
        if handler is None:
            raise bad_request(f"Invalid requests[{index}]: '{name}' is not supported by the "
                              "local Sheets server")
        try:
            replies.append(handler(draft, request[name]))
        except ApiError as error:
            raise bad_request(f"Invalid requests[{index}].{name}: {error.message}") from error
    draft.check_limit()
    return draft, {"spreadsheetId": book.spreadsheet_id, "replies": replies}
