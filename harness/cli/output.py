"""Shared terminal output helpers for the CLI (rich console, value and run formatting)."""

from __future__ import annotations

import os
import sys

from rich.console import Console

from harness.records import Run


def console() -> Console:
    """A console for tables of test ids: no markup (`[vit]` in a test id is text, not a
    style), and a sensible width when not attached to a terminal (COLUMNS wins if set)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit():
        width: int | None = int(columns)
    else:
        width = None if sys.stdout.isatty() else 160
    return Console(width=width, markup=False, highlight=False)


NARROW_TERMINAL = 200  # columns below which verdicts print as blocks: the table needs ~200


def print_verdicts(out: Console, items) -> None:
    """Stored verdicts (report.rows.STORED_COLUMNS): a table on a wide terminal; on a narrow
    one a block per verdict, every value whole on its own line (eleven columns would fold
    test ids into unreadable slivers)."""
    # pylint: disable=import-outside-toplevel  # rich tables and rows only when printing
    from rich.table import Table

    from harness.report.rows import STORED_COLUMNS, stored_cells

    if out.width < NARROW_TERMINAL:
        for item in items:
            values = dict(zip(STORED_COLUMNS, stored_cells(item)))
            out.print(f"\n{values.pop('kind')} {values.pop('state')} "
                      f"(verdict {values.pop('key')})", soft_wrap=True)
            for column, value in values.items():
                if value:
                    out.print(f"  {column}: {value}", soft_wrap=True)
        return
    rows = [stored_cells(item) for item in items]
    table = Table()
    for index, column in enumerate(STORED_COLUMNS):
        # Test ids and commit ranges are what a reader scans for: keep them whole if they fit.
        whole = min(max(len(row[index]) for row in rows), 64) if column in ("test", "commit") \
            else None
        table.add_column(column, overflow="fold", min_width=whole)
    for row in rows:
        table.add_row(*row)
    out.print(table)


def format_value(value: float | None) -> str:
    """A compact, readable number; '-' for a missing (invalid) value."""
    if value is None:
        return "-"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.4g}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def run_heading(run: Run) -> str:
    """One line that identifies a run: short commit first, then what a reader needs."""
    dirty = " (dirty)" if run.git.dirty else ""
    return (
        f"commit {run.git.short_commit}{dirty}  run {run.run_id[:8]}  {run.status.value}  "
        f"started {run.started_at:%Y-%m-%d %H:%M:%S} UTC  branch {run.git.branch or '-'}  "
        f"env {run.env.fingerprint} ({run.env.device_label})\n  {run.git.subject}"
    )
