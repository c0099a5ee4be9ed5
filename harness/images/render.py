"""Rich tables for image reports, budgets, smoke tests and secret findings."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from harness.images.budgets import Verdict
from harness.images.config import format_size
from harness.images.report import ImageReport
from harness.images.secrets import Finding
from harness.images.smoke import SmokeResult


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def layer_table(report: ImageReport) -> Table:
    """Size, base digest and one row per layer (instruction, size)."""
    table = Table(title=f"{report.ref}  {format_size(report.size)}  {len(report.layers)} layers  "
                        f"wasted {format_size(report.wasted_bytes)}",
                  caption=f"FROM {report.base_ref} ({report.base_id})", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("size", justify="right")
    table.add_column("instruction")
    for number, row in enumerate(report.layers):
        table.add_row(str(number), format_size(row.size), _short(row.instruction))
    return table


def paths_table(report: ImageReport) -> Table:
    """The largest paths of the final file system, and the biggest wasted files."""
    table = Table(title=f"{report.ref}: largest paths and wasted files", title_justify="left")
    table.add_column("size", justify="right")
    table.add_column("path")
    for path, size in report.largest:
        table.add_row(format_size(size), path)
    for item in report.wasted[:5]:
        table.add_row(format_size(item.size),
                      Text.assemble(("wasted", "yellow"), f": {item.path} (layer {item.layer}, "
                                    f"hidden by layer {item.hidden_by})"))
    return table


def budget_table(verdicts: Sequence[Verdict]) -> Table:
    """Budgets with the measured value next to each limit."""
    table = Table(title=Text("budgets ([tool.harness.images.budgets])"), title_justify="left")
    for column in ("budget", "measured", "limit", "verdict"):
        table.add_column(column)
    for item in verdicts:
        table.add_row(item.name, item.measured, item.limit,
                      Text("ok", "green") if item.ok else Text("OVER BUDGET", "bold red"))
    return table


def smoke_table(results: Sequence[SmokeResult]) -> Table:
    """Each smoke check, its verdict and, on failure, its output."""
    table = Table(title="smoke tests (network off)", title_justify="left")
    for column in ("image", "check", "verdict", "seconds"):
        table.add_column(column)
    for item in results:
        if item.skipped:
            verdict = Text(f"skipped: {item.skipped}", "yellow")
        elif item.ok:
            verdict = Text("ok", "green")
        else:
            verdict = Text.assemble(("FAILED", "bold red"), f"\n{item.output}")
        table.add_row(item.image, item.name, verdict, f"{item.seconds:.1f}")
    return table


def findings_table(ref: str, findings: Sequence[Finding]) -> Table:
    """Secret findings: layer, path and kind (never the secret itself)."""
    table = Table(title=f"{ref}: secrets scan", title_justify="left")
    for column in ("layer", "path", "kind"):
        table.add_column(column)
    for item in findings:
        table.add_row(str(item.layer), item.path, Text(item.kind, "red"))
    if not findings:
        table.add_row("-", "no secrets, keys, tokens, .git or added CA bundles",
                      Text("clean", "green"))
    return table
