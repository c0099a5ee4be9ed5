"""A check's outcome as GitHub-flavoured Markdown (a CI step summary)."""

from __future__ import annotations

from collections.abc import Sequence
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


def needed_lines(needed: Sequence[tuple[str, str, int]]) -> list[str]:
    """A collapsed list of the series without enough history yet (no verdict, no colour)."""
    if not needed:
        return []
    lines = [f"<details><summary>{len(needed)} series not judged yet: they need more runs in "
             "their environment</summary>", ""]
    lines += [f"- `{_escape(test)}` {_escape(metric)}: {runs} more run{'s' * (runs != 1)}"
              for test, metric, runs in needed]
    return [*lines, "", "</details>", ""]


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(items: list[StoredVerdict], now: datetime | None) -> list[str]:
    lines = ["| " + " | ".join(STORED_COLUMNS) + " |", "|" + "---|" * len(STORED_COLUMNS)]
    lines += ["| " + " | ".join(_escape(cell) for cell in stored_cells(item, now)) + " |"
              for item in items]
    return lines


def markdown_report(  # pylint: disable=too-many-arguments  # the check's parts, all optional
        items: list[StoredVerdict], series_count: int,
        news: list[Transition] | None = None, now: datetime | None = None,
        title: str = "harness check",
        needed: Sequence[tuple[str, str, int]] = ()) -> str:
    """A heading, what changed since the last check, the open verdicts (regressions first),
    a repro recipe per open regression, and the series not judged yet (`needed`: test,
    metric, runs still needed)."""
    lines = [f"## {title}", "", stored_headline(items, series_count), ""]
    lines += needed_lines(needed)
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
