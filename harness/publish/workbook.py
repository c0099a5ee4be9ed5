"""The offline regression sheet: the same three tabs in a local .xlsx workbook (openpyxl).

Runs rows are appended when their key is new; a run's Summary row is inserted where its date
keeps the newest first; Regressions rows are added or rewritten by key, and Summary cells of
earlier runs restyled, as the stored verdicts change. The file is
replaced atomically (written to a temporary file, then renamed), so an interrupted publish
leaves either the old workbook or the new one. Writers take turns: each holds a lock file
beside the workbook (`NAME.xlsx.lock`, an OS file lock released when its process ends) from
loading to saving, so a second runner publishing at the same time adds to what the first
saved instead of overwriting it. The saved file keeps the mode the workbook had (a new one
follows the umask).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zipfile import BadZipFile

from harness.publish.errors import PublishError
from harness.publish.layout import (
    FILLS,
    FROZEN_COLUMNS,
    HEADER_FILL,
    HEADER_ROWS,
    KEY_COLUMN,
    LEGEND_TAB,
    REGRESSIONS_TAB,
    RUNS_TAB,
    SUMMARY_FIXED,
    SUMMARY_TAB,
    TABS,
    TRENDS_TAB,
    Cell,
    KeyedRow,
    Restyle,
    SheetContent,
    SummaryRow,
    find_column,
    fitted_widths,
    header_lines,
    insert_position,
    axis_format,
    legend_rows,
    summary_cells,
    summary_header,
    summary_header_rows,
    summary_keys,
    summary_spans,
    summary_widths,
    trends,
)
from harness.publish.sheet_plan import HEADERS, column_letter
from harness.publish.workbook_periods import (
    archive_path,
    archives,
    period_label,
    split_by_period,
)

EXCEL_MAX_ROWS = 1_048_576
HEADER_LINE_POINTS = 15  # one line of the default 11 pt font
FONT = "Calibri"  # openpyxl's default font; widths are measured in its metrics
LOCK_WAIT_S = 600.0  # how long a publish waits for another one writing the same workbook


class WorkbookTarget:
    """The regression sheet as a local .xlsx file."""

    max_cells_per_write = 2_000_000

    def __init__(self, path: Path, period: str = "month") -> None:
        self.path = Path(path)
        self.period = period

    @property
    def name(self) -> str:
        """The publication target recorded in the store."""
        return f"workbook:{self.path.resolve()}"

    @property
    def location(self) -> str:
        """Where a reader finds the workbook."""
        return str(self.path.resolve())

    def write(self, content: SheetContent) -> None:
        """Add every row of `content` whose key the workbook lacks, each into the file of its
        run's period, then save atomically (holding the workbook's lock from load to save)."""
        with exclusive(self.path):
            book = self._load(self.path)
            current = _newest_period(book, self.period)
            for label, part in split_by_period(content, self.period):
                if current is not None and label < current:  # a late run of an earlier period
                    earlier = archive_path(self.path, label)
                    older = self._load(earlier)
                    _add_rows(older, part)
                    self._save(older, earlier)
                    continue
                if current is not None and label > current:  # roll over: keep, start anew
                    self._save(book, archive_path(self.path, current))
                    book = _carried_over(book, self._load(None))
                current = label
                _add_rows(book, part)
            elsewhere = _restyle(book[SUMMARY_TAB], content.restyle)
            _upsert_keyed(book[REGRESSIONS_TAB], content.regressions)
            _fit_columns(book, SheetContent((), (), content.regressions))
            self._restyle_archives(elsewhere)
            self._save(book, self.path)

    def _restyle_archives(self, restyle: list[Restyle]) -> None:
        """Restyle runs of earlier periods in their files, newest first (a verdict confirmed
        days later usually concerns the last period)."""
        for path in reversed(archives(self.path)):
            if not restyle:
                return
            book = self._load(path)
            left = _restyle(book[SUMMARY_TAB], restyle)
            if len(left) < len(restyle):
                self._save(book, path)
            restyle = left

    def _load(self, path: Path | None):
        """The workbook at `path` with every tab (a new one when it does not exist)."""
        from openpyxl import Workbook, load_workbook  # pylint: disable=import-outside-toplevel

        if self.path.suffix.lower() != ".xlsx":
            raise PublishError(f"workbook path {self.path} does not end in .xlsx: set "
                               "HARNESS_WORKBOOK to a .xlsx path")
        if path is None or not path.exists():
            book = Workbook()
            book.remove(book.active)
        else:
            try:
                book = load_workbook(path)
            except (BadZipFile, KeyError, ValueError, OSError) as error:
                raise PublishError(
                    f"{path} exists but is not a readable .xlsx workbook "
                    f"({type(error).__name__}): move it away, or set HARNESS_WORKBOOK to "
                    "another path"
                ) from error
        for tab in TABS:
            if tab not in book.sheetnames:
                _add_tab(book, tab)
        _upgrade_summary(book[SUMMARY_TAB])
        return book

    def _save(self, book, path: Path) -> None:
        mode = _file_mode(path if path.exists() else self.path)
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=".regression-sheet-", suffix=".xlsx", dir=path.parent
            )
        except OSError as error:
            raise _write_error(path, error) from error
        os.close(handle)
        _write_trends(book)
        try:
            book.save(temporary)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise _write_error(path, error) from error


def _add_rows(book, content: SheetContent) -> None:
    """Append the Runs rows and insert the Summary rows of `content`."""
    _append_keyed(book[RUNS_TAB], content.runs)
    _insert_summary(book[SUMMARY_TAB], content)
    _fit_columns(book, content)


def _newest_period(book, period: str) -> str | None:
    """The period of the newest run in the workbook (None when it holds none)."""
    sheet = book[SUMMARY_TAB]
    first = HEADER_ROWS[SUMMARY_TAB] + 1
    if sheet.max_row < first:  # (reading a cell would create it)
        return None
    newest = sheet.cell(row=first, column=1).value  # newest first
    return period_label(newest, period) if isinstance(newest, datetime) else None


def _carried_over(old, new):
    """`new` with the Regressions tab of `old` (values, formats, colours, notes, widths)."""
    # pylint: disable=import-outside-toplevel  # openpyxl loads only when publishing
    from copy import copy

    from openpyxl.comments import Comment

    source, target = old[REGRESSIONS_TAB], new[REGRESSIONS_TAB]
    for row in source.iter_rows(min_row=2):
        for cell in row:
            copied = target.cell(row=cell.row, column=cell.column, value=cell.value)
            copied.number_format = cell.number_format
            copied.font, copied.fill = copy(cell.font), copy(cell.fill)
            copied.alignment = copy(cell.alignment)
            if cell.comment:
                copied.comment = Comment(cell.comment.text, cell.comment.author,
                                         width=320, height=110)
    for letter, dimension in source.column_dimensions.items():
        target.column_dimensions[letter].width = dimension.width
    return new


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the lock file beside `path` (waiting up to LOCK_WAIT_S for another writer)."""
    from filelock import FileLock, Timeout  # pylint: disable=import-outside-toplevel

    lock = FileLock(path.with_name(path.name + ".lock"), timeout=LOCK_WAIT_S)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise PublishError(
            f"another publish has held {lock.lock_file} for over {LOCK_WAIT_S:.0f} s: wait for "
            "it to finish, then run `harness sync`"
        ) from None
    except OSError as error:
        raise _write_error(path, error) from error
    try:
        yield
    finally:
        lock.release()


def _file_mode(path: Path) -> int:
    """The mode `path` has, or what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_error(path: Path, error: OSError) -> PublishError:
    reason = error.strerror or type(error).__name__
    where = f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""
    return PublishError(f"cannot write workbook {path}: {reason}{where}; set HARNESS_WORKBOOK "
                        "to a writable .xlsx path")


def _add_tab(book, tab: str) -> None:
    """A new tab with its bold header, frozen header row and key columns, column widths."""
    sheet = book.create_sheet(tab)
    header = HEADERS[tab]
    if tab == SUMMARY_TAB:
        _write_summary_header(sheet, header)
    else:
        _write_header(sheet, header)
    sheet.freeze_panes = f"{column_letter(FROZEN_COLUMNS[tab])}{HEADER_ROWS[tab] + 1}"
    if tab == LEGEND_TAB:
        for number, row in enumerate(legend_rows(), start=2):
            for column, cell in enumerate(row.cells, start=1):
                _set(sheet, number, column, cell)
        _widen(sheet, fitted_widths(header, [row.cells for row in legend_rows()]))


TREND_ROW_POINTS = 96  # the height of a Trends row: its chart's 3 cm and a margin
TREND_CHART_CM = (3.2, 13.0)  # height, width


def _write_trends(book) -> None:
    """Rebuild the Trends tab: a line chart per Summary metric column, oldest run on the
    left (openpyxl does not read charts back, so every write draws them anew)."""
    # pylint: disable=import-outside-toplevel  # openpyxl loads only when publishing
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Alignment

    if TRENDS_TAB in book.sheetnames:
        book.remove(book[TRENDS_TAB])
    sheet = book.create_sheet(TRENDS_TAB, index=book.sheetnames.index(SUMMARY_TAB) + 1)
    _write_header(sheet, HEADERS[TRENDS_TAB])
    sheet.freeze_panes = "B2"
    summary = book[SUMMARY_TAB]
    first, last = HEADER_ROWS[SUMMARY_TAB] + 1, summary.max_row
    found = trends(_summary_keys(summary))
    for row, trend in enumerate(found, start=2):
        for column, label in ((1, trend.test), (2, trend.metric)):
            _set(sheet, row, column, Cell(label))
            sheet.cell(row, column).alignment = Alignment(vertical="center")
        sheet.row_dimensions[row].height = TREND_ROW_POINTS
        if last < first:
            continue
        chart = LineChart()
        chart.legend = None
        chart.height, chart.width = TREND_CHART_CM
        chart.add_data(Reference(summary, min_col=trend.column + 1, min_row=first,
                                 max_row=last))
        chart.series[0].smooth = False
        chart.set_categories(Reference(summary, min_col=2, min_row=first, max_row=last))
        chart.x_axis.scaling.orientation = "maxMin"  # the Summary is newest first
        chart.y_axis.crosses = "max"  # the value axis on the left, by the oldest run
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.y_axis.number_format = axis_format(
            row[0] for row in summary.iter_rows(min_row=first, min_col=trend.column + 1,
                                                max_col=trend.column + 1, values_only=True))
        sheet.add_chart(chart, f"C{row}")
    _widen(sheet, fitted_widths(HEADERS[TRENDS_TAB], [(Cell(t.test), Cell(t.metric))
                                                      for t in found]))
    sheet.column_dimensions["C"].width = TREND_CHART_CM[1] * 4.6  # characters per cm
    sheet.page_setup.orientation = "landscape"  # printed: labels and charts on one page
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _fit_columns(book, content: SheetContent) -> None:
    """Widen columns to what this publish wrote (widths only grow: earlier rows fit too)."""
    for tab, rows in ((RUNS_TAB, content.runs), (REGRESSIONS_TAB, content.regressions)):
        if rows:
            _widen(book[tab], fitted_widths(HEADERS[tab], [row.cells for row in rows]))
    sheet = book[SUMMARY_TAB]
    header = _summary_keys(sheet)
    if content.summary and header:
        cells = [summary_cells(row, header) for row in content.summary]
        widths = _widen(sheet, summary_widths(header, cells))
        # A wrapped header needs a taller row: spreadsheets grow it on edit, not on open.
        _top, bottom = summary_header_rows(header)
        sheet.row_dimensions[2].height = HEADER_LINE_POINTS * header_lines(bottom, widths)


def _widen(sheet, widths: Sequence[int]) -> list[int]:
    """Set the columns at least as wide as `widths`; the widths they have then."""
    done = []
    for index, width in enumerate(widths):
        letter = column_letter(index)
        had = sheet.column_dimensions[letter].width if letter in sheet.column_dimensions else 0
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(width + 1, had or 0)
        done.append(int(dimension.width) - 1)
    return done


def _write_header(sheet, names: Sequence[str], row: int = 1, centred: bool = False) -> None:
    # pylint: disable=import-outside-toplevel  # openpyxl loads only when publishing
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top", horizontal="center" if centred else None)
    for index, name in enumerate(names, start=1):
        cell = sheet.cell(row=row, column=index, value=name or None)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = fill
        cell.alignment = wrap


def _write_summary_header(sheet, keys: Sequence[str]) -> None:
    """The Summary's two header rows for column `keys`, each test merged across its span."""
    top, bottom = summary_header_rows(keys)
    for merged in [r for r in sheet.merged_cells.ranges if r.min_row == 1]:
        sheet.unmerge_cells(str(merged))
    _write_header(sheet, top, row=1, centred=True)
    _write_header(sheet, bottom, row=2)
    for start, end in summary_spans(top):
        sheet.merge_cells(start_row=1, start_column=start + 1, end_row=1, end_column=end + 1)


def _upgrade_summary(sheet) -> None:
    """A Summary written with one header row (a date right below it) gets the two rows."""
    if isinstance(sheet.cell(row=2, column=1).value, datetime):
        keys = [str(c.value) if c.value is not None else "" for c in sheet[1]]
        sheet.insert_rows(2)
        _write_summary_header(sheet, keys)
        sheet.freeze_panes = f"{column_letter(FROZEN_COLUMNS[SUMMARY_TAB])}3"


def _summary_keys(sheet) -> list[str]:
    """The Summary's column keys, read from its two header rows."""
    return summary_keys([c.value for c in sheet[1]], [c.value for c in sheet[2]])


def _set(sheet, row: int, column: int, cell: Cell) -> None:
    """Write one layout cell: value, number format, flag colour and note."""
    target = sheet.cell(row=row, column=column)
    target.value = None if cell.value == "" else cell.value
    if cell.number_format:
        target.number_format = cell.number_format
    if cell.link:
        from openpyxl.styles import Font  # pylint: disable=import-outside-toplevel

        target.hyperlink = cell.link
        target.font = Font(name=FONT, color="1155CC", underline="single")
    _style(target, cell.flag, cell.note)


def _style(target, flag: str | None, note: str | None) -> None:
    """Set a cell's colour and note (None: plain, no note)."""
    # pylint: disable=import-outside-toplevel  # openpyxl loads only when publishing
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    # Setting a style costs openpyxl far more than reading it: a plain cell stays untouched
    # (most cells of a new row are plain; this was 60 % of a sync's time).
    if flag:
        target.fill = PatternFill("solid", start_color=FILLS[flag], end_color=FILLS[flag])
    elif target.has_style and target.fill.fill_type is not None:
        target.fill = PatternFill(fill_type=None)
    if note:
        target.comment = Comment(note, "harness", width=320, height=110)
    elif target.comment is not None:
        target.comment = None


def _restyle(sheet, restyle: Sequence[Restyle]) -> list[Restyle]:
    """Bring Summary cells of runs already in the workbook to their verdict's style; the
    restyles of runs this workbook does not hold are returned."""
    if not restyle:
        return []
    rows = {str(key): number for number, key in
            enumerate(_keys(sheet, KEY_COLUMN[SUMMARY_TAB]), start=HEADER_ROWS[SUMMARY_TAB] + 1)}
    header = _summary_keys(sheet)
    elsewhere = []
    for change in restyle:
        column = find_column(header, change.column)
        if change.run_id not in rows:
            elsewhere.append(change)
        elif column is not None:
            mark = change.mark
            _style(sheet.cell(row=rows[change.run_id], column=column + 1),
                   mark.flag if mark else None, mark.note if mark else None)
    return elsewhere


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
    first = HEADER_ROWS.get(sheet.title, 1) + 1
    return [row[0] for row in sheet.iter_rows(min_row=first, min_col=column + 1,
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
    existing = _summary_keys(sheet) or list(SUMMARY_FIXED)
    header = summary_header(existing, rows)
    if header != existing:
        _write_summary_header(sheet, header)
    dates: list[datetime | None] = [
        value if isinstance(value, datetime) else None for value in _keys(sheet, 0)
    ]
    ordered = sorted(rows, key=lambda row: row.sort_key, reverse=True)
    if all(d is not None and d < ordered[-1].sort_key for d in dates):
        # The common case: every new run is newer than what is there; one block insert.
        if dates:
            sheet.insert_rows(HEADER_ROWS[SUMMARY_TAB] + 1, amount=len(ordered))
        for index, row in enumerate(ordered):
            _write_summary_row(sheet, index, row, header)
        return
    for row in rows:
        position = insert_position(dates, row.sort_key)
        dates.insert(position, row.sort_key)
        sheet.insert_rows(position + HEADER_ROWS[SUMMARY_TAB] + 1)
        _write_summary_row(sheet, position, row, header)


def _write_summary_row(sheet, position: int, row: SummaryRow, header: Sequence[str]) -> None:
    for column, cell in enumerate(summary_cells(row, header), start=1):
        _set(sheet, position + HEADER_ROWS[SUMMARY_TAB] + 1, column, cell)
