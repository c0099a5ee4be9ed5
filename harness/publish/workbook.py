"""The offline regression sheet: the same three tabs in a local .xlsx workbook (openpyxl).

Runs rows are appended when their key is new; a run's Summary row is inserted where its date
keeps the newest first; Regressions rows are added or rewritten by key, and Summary cells of
earlier runs restyled, as the stored verdicts change. The file is
replaced atomically (written to a temporary file, then renamed), so an interrupted publish
leaves either the old workbook or the new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zipfile import BadZipFile

from harness.publish.errors import PublishError
from harness.publish.layout import (
    FILLS,
    FROZEN_COLUMNS,
    HEADER_FILL,
    KEY_COLUMN,
    LEGEND_TAB,
    REGRESSIONS_TAB,
    RUNS_TAB,
    SUMMARY_FIXED,
    SUMMARY_TAB,
    TABS,
    Cell,
    KeyedRow,
    Restyle,
    SheetContent,
    SummaryRow,
    insert_position,
    legend_rows,
    summary_cells,
    summary_header,
)
from harness.publish.sheet_plan import HEADERS, WIDE_COLUMNS, column_letter

EXCEL_MAX_ROWS = 1_048_576


class WorkbookTarget:
    """The regression sheet as a local .xlsx file."""

    max_cells_per_write = 2_000_000

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def name(self) -> str:
        """The publication target recorded in the store."""
        return f"workbook:{self.path.resolve()}"

    @property
    def location(self) -> str:
        """Where a reader finds the workbook."""
        return str(self.path.resolve())

    def write(self, content: SheetContent) -> None:
        """Add every row of `content` whose key the workbook lacks, then save atomically."""
        book = self._load()
        for tab in TABS:
            if tab not in book.sheetnames:
                _add_tab(book, tab)
        _restyle(book[SUMMARY_TAB], content.restyle)
        _upsert_keyed(book[REGRESSIONS_TAB], content.regressions)
        _append_keyed(book[RUNS_TAB], content.runs)
        _insert_summary(book[SUMMARY_TAB], content)
        self._save(book)

    def _load(self):
        from openpyxl import Workbook, load_workbook  # pylint: disable=import-outside-toplevel

        if not self.path.exists():
            book = Workbook()
            book.remove(book.active)
            return book
        try:
            return load_workbook(self.path)
        except (BadZipFile, KeyError, ValueError, OSError) as error:
            raise PublishError(
                f"{self.path} exists but is not a readable .xlsx workbook ({type(error).__name__}):"
                " move it away, or set HARNESS_WORKBOOK to another path"
            ) from error

    def _save(self, book) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=".regression-sheet-", suffix=".xlsx", dir=self.path.parent
        )
        os.close(handle)
        try:
            book.save(temporary)
            os.replace(temporary, self.path)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise PublishError(f"cannot write workbook {self.path}: {error.strerror}") from error


def _add_tab(book, tab: str) -> None:
    """A new tab with its bold header, frozen header row and key columns, column widths."""
    sheet = book.create_sheet(tab)
    header = HEADERS[tab]
    _write_header(sheet, header)
    sheet.freeze_panes = f"{column_letter(FROZEN_COLUMNS[tab])}2"
    for name, pixels in WIDE_COLUMNS[tab].items():
        sheet.column_dimensions[column_letter(header.index(name))].width = pixels / 7
    if tab == LEGEND_TAB:
        for number, row in enumerate(legend_rows(), start=2):
            for column, cell in enumerate(row.cells, start=1):
                _set(sheet, number, column, cell)


def _write_header(sheet, names: Sequence[str]) -> None:
    from openpyxl.styles import Font, PatternFill  # pylint: disable=import-outside-toplevel

    fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    for index, name in enumerate(names, start=1):
        cell = sheet.cell(row=1, column=index, value=name)
        cell.font = Font(bold=True)
        cell.fill = fill


def _set(sheet, row: int, column: int, cell: Cell) -> None:
    """Write one layout cell: value, number format, flag colour and note."""
    target = sheet.cell(row=row, column=column)
    target.value = None if cell.value == "" else cell.value
    if cell.number_format:
        target.number_format = cell.number_format
    _style(target, cell.flag, cell.note)


def _style(target, flag: str | None, note: str | None) -> None:
    """Set a cell's colour and note (None: plain, no note)."""
    # pylint: disable=import-outside-toplevel  # openpyxl loads only when publishing
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if flag:
        target.fill = PatternFill("solid", start_color=FILLS[flag], end_color=FILLS[flag])
    else:
        target.fill = PatternFill(fill_type=None)
    target.comment = Comment(note, "harness", width=320, height=110) if note else None


def _restyle(sheet, restyle: Sequence[Restyle]) -> None:
    """Bring Summary cells of runs already in the workbook to their verdict's style."""
    if not restyle:
        return
    rows = {str(key): number for number, key in
            enumerate(_keys(sheet, KEY_COLUMN[SUMMARY_TAB]), start=2)}
    columns = {str(c.value): c.column for c in sheet[1] if c.value is not None}
    for change in restyle:
        if change.run_id in rows and change.column in columns:
            mark = change.mark
            _style(sheet.cell(row=rows[change.run_id], column=columns[change.column]),
                   mark.flag if mark else None, mark.note if mark else None)


def _upsert_keyed(sheet, rows: Sequence[KeyedRow]) -> None:
    """Rewrite rows whose key is there, append the others; bring an older header up to date."""
    if not rows:
        return
    header = HEADERS[sheet.title]
    if [c.value for c in sheet[1]][:len(header)] != list(header):
        _write_header(sheet, header)
    where = {str(key): number for number, key in
             enumerate(_keys(sheet, KEY_COLUMN[sheet.title]), start=2)}
    missing = [row for row in rows if row.key not in where]
    _check_rows(sheet, len(missing))
    start = sheet.max_row + 1
    for row in rows:
        number = where.get(row.key)
        if number is None:
            number, start = start, start + 1
        for column, cell in enumerate(row.cells, start=1):
            _set(sheet, number, column, cell)


def _keys(sheet, column: int) -> list[object]:
    """The values of a 0-based column below the header."""
    return [row[0] for row in sheet.iter_rows(min_row=2, min_col=column + 1,
                                              max_col=column + 1, values_only=True)]


def _check_rows(sheet, adding: int) -> None:
    if sheet.max_row + adding > EXCEL_MAX_ROWS:
        raise PublishError(
            f"tab {sheet.title} would exceed Excel's {EXCEL_MAX_ROWS:,} rows: move the workbook "
            "away to start a new one (HARNESS_WORKBOOK)"
        )


def _append_keyed(sheet, rows: Sequence[KeyedRow]) -> None:
    known = {str(key) for key in _keys(sheet, KEY_COLUMN[sheet.title])}
    missing = [row for row in rows if row.key not in known]
    _check_rows(sheet, len(missing))
    start = sheet.max_row + 1
    for offset, row in enumerate(missing):
        for column, cell in enumerate(row.cells, start=1):
            _set(sheet, start + offset, column, cell)


def _insert_summary(sheet, content: SheetContent) -> None:
    """Insert each new run's Summary row so that the newest run stays on top."""
    known = {str(key) for key in _keys(sheet, KEY_COLUMN[SUMMARY_TAB])}
    rows = [row for row in content.summary if row.key not in known]
    if not rows:
        return
    _check_rows(sheet, len(rows))
    existing = [str(c.value) for c in sheet[1] if c.value is not None] or list(SUMMARY_FIXED)
    header = summary_header(existing, rows)
    if header != existing:
        _write_header(sheet, header)
    dates: list[datetime | None] = [
        value if isinstance(value, datetime) else None for value in _keys(sheet, 0)
    ]
    ordered = sorted(rows, key=lambda row: row.sort_key, reverse=True)
    if all(d is not None and d < ordered[-1].sort_key for d in dates):
        # The common case: every new run is newer than what is there; one block insert.
        if dates:
            sheet.insert_rows(2, amount=len(ordered))
        for index, row in enumerate(ordered):
            _write_summary_row(sheet, index, row, header)
        return
    for row in rows:
        position = insert_position(dates, row.sort_key)
        dates.insert(position, row.sort_key)
        sheet.insert_rows(position + 2)
        _write_summary_row(sheet, position, row, header)


def _write_summary_row(sheet, position: int, row: SummaryRow, header: Sequence[str]) -> None:
    for column, cell in enumerate(summary_cells(row, header), start=1):
        _set(sheet, position + 2, column, cell)
