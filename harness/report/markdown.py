"""A check's outcome as GitHub-flavoured Markdown (a CI step summary)."""

from __future__ import annotations

from datetime import datetime

from harness.detect.lifecycle import Transition
from harness.records import StoredVerdict, VerdictKind
from harness.report.rows import (
    CHANGE_WORDS,
    CONFIDENCE_NOTE,
    STORED_COLUMNS,
    stored_cells,
    stored_headline,
)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(items: list[StoredVerdict], now: datetime | None) -> list[str]:
    lines = ["| " + " | ".join(STORED_COLUMNS) + " |", "|" + "---|" * len(STORED_COLUMNS)]
    lines += ["| " + " | ".join(_escape(cell) for cell in stored_cells(item, now)) + " |"
              for item in items]
    return lines


def markdown_report(items: list[StoredVerdict], series_count: int,
                    news: list[Transition] | None = None, now: datetime | None = None,
                    title: str = "harness check") -> str:
    """A heading, what changed since the last check, the open verdicts (regressions first)
    and a repro recipe per open regression."""
    lines = [f"## {title}", "", stored_headline(items, series_count), ""]
    if news:
        lines += ["### Since the last check", ""]
        lines += [f"- {CHANGE_WORDS[t.change]}: {t.after.verdict.kind.value} "
                  f"`{_escape(t.after.verdict.test)}` {t.after.verdict.metric} "
                  f"(verdict {t.after.key[:8]}, now {t.after.state.value})" for t in news]
        lines.append("")
    ordered = sorted((item for item in items if item.is_open),
                     key=lambda v: (not v.verdict.is_regression, v.verdict.kind.value,
                                    v.verdict.test, v.verdict.metric, v.verdict.run_index))
    if not ordered:
        lines.append("No changes beyond each series' noise.")
        return "\n".join(lines) + "\n"
    lines += _table(ordered, now) + ["", f"_{CONFIDENCE_NOTE}_"]
    for item in ordered:
        verdict = item.verdict
        if verdict.kind in (VerdictKind.REGRESSION, VerdictKind.ENVIRONMENT_CHANGE):
            lines += ["", f"<details><summary>Reproduce: {verdict.test} · {verdict.metric}"
                      "</summary>", "", "```bash", verdict.repro, "```", "", "</details>"]
    return "\n".join(lines) + "\n"
