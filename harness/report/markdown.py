"""The verdicts as GitHub-flavoured Markdown (a CI step summary)."""

from __future__ import annotations

from harness.records import Verdict, VerdictKind
from harness.report.rows import COLUMNS, cells, headline


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_report(verdicts: list[Verdict], series_count: int,
                    title: str = "harness check") -> str:
    """A heading, the verdict table (regressions first) and a repro recipe per regression."""
    lines = [f"## {title}", "", headline(verdicts, series_count), ""]
    if not verdicts:
        lines.append("No changes beyond each series' noise.")
        return "\n".join(lines) + "\n"
    ordered = sorted(verdicts, key=lambda v: (not v.is_regression, v.kind.value, v.test,
                                              v.metric, v.run_index))
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "---|" * len(COLUMNS))
    for verdict in ordered:
        lines.append("| " + " | ".join(_escape(cell) for cell in cells(verdict)) + " |")
    for verdict in ordered:
        if verdict.kind in (VerdictKind.REGRESSION, VerdictKind.ENVIRONMENT_CHANGE):
            lines += ["", f"<details><summary>Reproduce: {verdict.test} · {verdict.metric}"
                      "</summary>", "", "```bash", verdict.repro, "```", "", "</details>"]
    return "\n".join(lines) + "\n"
