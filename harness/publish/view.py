"""The sheet as a view of the stored verdicts: styles for Summary cells, Regressions rows,
and what changed since a target last showed them.

Publishing never detects: it renders the verdicts the check stage stored. What each target
shows is remembered in the store as "marks" (an item and a digest of how it looks), so a
publish sends only the cells and rows whose look changed, earlier rows included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from harness.publish.layout import Mark, Restyle, metric_column
from harness.records import StoredVerdict, VerdictKind, VerdictState

# Verdict kinds that style a Summary cell (an environment change starts a new segment: it
# gets a Regressions row but no colour).
STYLED = {VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT, VerdictKind.OUTLIER}


def style_of(item: StoredVerdict, now: datetime) -> str | None:
    """The STYLES name a stored verdict shows with (None: no colour)."""
    if item.state is VerdictState.RETRACTED:
        return None
    if item.triaged(now):
        return "triaged"
    if item.state is VerdictState.UNCONFIRMED:
        return "unconfirmed"
    if item.verdict.kind is VerdictKind.OUTLIER:
        return "outlier"
    return item.verdict.kind.value if item.verdict.kind in STYLED else None


def note_of(item: StoredVerdict, now: datetime) -> str:
    """The cell note: what the verdict says, and what a person said of it."""
    verdict = item.verdict
    pct = f" {verdict.change_pct:+.1f} %" if verdict.change_pct is not None else ""
    unit = f" {verdict.unit}" if verdict.unit else ""
    lines = [f"{verdict.kind.value} {item.state.value}{pct} "
             f"({verdict.baseline:.4g} -> {verdict.value:.4g}{unit}), "
             f"confidence {verdict.confidence:.2f}"]
    if verdict.commit_range:
        lines.append(f"suspect commits {verdict.commit_range}")
    if item.triaged(now) and item.triage is not None:
        lines.append(f"triage: {item.triage.label}")
    lines.append(f"verdict {item.key}")
    return "\n".join(lines)


def cell_marks(items: Sequence[StoredVerdict], now: datetime) -> dict[tuple[str, str, str], Mark]:
    """{(run_id, test, metric): Mark} of every stored verdict that styles a Summary cell.

    Where two verdicts share a cell, the worse one shows (confirmed over suspected).
    """
    rank = {"regression": 5, "unconfirmed": 4, "triaged": 3, "improvement": 2, "outlier": 1}
    marks: dict[tuple[str, str, str], Mark] = {}
    for item in items:
        style = style_of(item, now)
        if style is None:
            continue
        cell = (item.verdict.run_id, item.verdict.test, item.verdict.metric)
        if cell not in marks or rank[style] > rank[marks[cell].flag]:
            marks[cell] = Mark(style, note_of(item, now))
    return marks


def regression_row(item: StoredVerdict, now: datetime,
                   run_dates: Mapping[str, datetime]) -> dict[str, object]:
    """The Regressions tab row of one stored verdict (REGRESSIONS_HEADER names)."""
    verdict = item.verdict
    moment = run_dates.get(verdict.run_id, item.first_seen_at)
    return {
        "key": item.key,
        "date": moment.replace(tzinfo=None),
        "run": verdict.run_id,
        "commit": verdict.commit[:8],
        "sha": verdict.commit,
        "test": verdict.test,
        "metric": verdict.metric,
        "kind": verdict.kind.value,
        "state": item.state.value,
        "flag": style_of(item, now),
        "change_pct": verdict.change_pct,
        "previous": verdict.baseline,
        "value": verdict.value,
        "unit": verdict.unit,
        "confidence": verdict.confidence,
        "min_change": verdict.min_detectable_change,
        "suspect_commits": verdict.commit_range,
        "triage": item.triage.label if item.triage and item.triaged(now) else "",
        "repro": verdict.repro,
    }


def _digest(*parts: object) -> str:
    text = "\0".join(str(part) for part in parts)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def cell_item(run_id: str, test: str, metric: str) -> str:
    """The marks key of a Summary cell."""
    return f"cell\0{run_id}\0{test}\0{metric}"


def verdict_item(key: str) -> str:
    """The marks key of a Regressions row."""
    return f"verdict\0{key}"


@dataclass(frozen=True)
class ViewUpdate:
    """What a publish sends of the verdicts, and the marks to record once it landed."""

    flags: Mapping[tuple[str, str, str], Mark]
    regressions: tuple[dict[str, object], ...]
    restyle: tuple[Restyle, ...]
    marks: Mapping[str, str | None]


def _restyle(flags: Mapping[tuple[str, str, str], Mark], shown: Mapping[str, str],
             published_runs: set[str], new_runs: set[str],
             marks: dict[str, str | None]) -> list[Restyle]:
    """Summary cells whose look changed (their new marks go into `marks`)."""
    restyle: list[Restyle] = []
    wanted = {cell_item(*cell): _digest(mark.flag, mark.note) for cell, mark in flags.items()}
    for (run_id, test, metric), mark in flags.items():
        item = cell_item(run_id, test, metric)
        if run_id in new_runs:
            marks[item] = wanted[item]
        elif run_id in published_runs and shown.get(item) != wanted[item]:
            restyle.append(Restyle(run_id, metric_column(test, metric), mark))
            marks[item] = wanted[item]
    for item in shown:
        if item.startswith("cell\0") and item not in wanted:
            _, run_id, test, metric = item.split("\0")
            restyle.append(Restyle(run_id, metric_column(test, metric), None))
            marks[item] = None
    return restyle


def plan_view(items: Sequence[StoredVerdict], shown: Mapping[str, str],
              published_runs: set[str], new_runs: set[str],
              run_dates: Mapping[str, datetime], now: datetime) -> ViewUpdate:
    """Bring a target from what it `shown` (its marks) to the stored verdicts' state.

    Cells of `new_runs` are styled in their new rows (`flags`); cells of `published_runs`
    whose look changed are restyled; Regressions rows whose look changed are sent whole.
    """
    flags = cell_marks(items, now)
    marks: dict[str, str | None] = {}
    restyle = _restyle(flags, shown, published_runs, new_runs, marks)
    rows = []
    for verdict in items:
        row = regression_row(verdict, now, run_dates)
        digest = _digest(*sorted(row.items()))
        if shown.get(verdict_item(verdict.key)) != digest:
            rows.append(row)
            marks[verdict_item(verdict.key)] = digest
    return ViewUpdate(flags, tuple(rows), tuple(restyle), marks)
