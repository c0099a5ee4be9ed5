"""One workbook file per period, so a publish loads and saves only the current one.

The configured workbook (`regression-sheet.xlsx`) holds the runs of the current period (a
calendar month by default: the `workbook_period` setting); when a run of a later period
arrives, the file is kept as `regression-sheet-2026-01.xlsx` beside it and a new current one
starts, carrying the Regressions tab over. A run of an earlier period (a late `harness sync`)
goes into that period's file. Labels sort in time order as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from harness.publish.layout import RUNS_HEADER, SheetContent

PERIODS = ("month", "quarter", "year", "none")
_RUN_DATE = RUNS_HEADER.index("date")


def period_label(moment: datetime, period: str) -> str:
    """The period `moment` falls in: '2026-01', '2026-Q1', '2026', or '' (one file)."""
    if period == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    if period == "quarter":
        return f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}"
    if period == "year":
        return f"{moment.year:04d}"
    return ""


def archive_path(path: Path, label: str) -> Path:
    """Where the workbook of an earlier period lives: beside the current one."""
    return path.with_name(f"{path.stem}-{label}{path.suffix}")


def archives(path: Path) -> list[Path]:
    """The files of earlier periods that exist, oldest first."""
    return sorted(path.parent.glob(f"{path.stem}-*{path.suffix}"))


def split_by_period(content: SheetContent, period: str) -> Iterator[tuple[str, SheetContent]]:
    """The Runs and Summary rows of `content` by the period of their run's date, oldest
    period first (Regressions rows and restyles are the caller's: they go to the current
    file)."""
    labels: dict[str, tuple[list, list]] = {}
    for row in content.runs:
        moment = row.cells[_RUN_DATE].value
        label = period_label(moment, period) if isinstance(moment, datetime) else ""
        labels.setdefault(label, ([], []))[0].append(row)
    for summary_row in content.summary:
        label = period_label(summary_row.sort_key, period)
        labels.setdefault(label, ([], []))[1].append(summary_row)
    for label in sorted(labels):
        runs, summary = labels[label]
        yield label, SheetContent(tuple(runs), tuple(summary))
