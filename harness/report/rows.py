"""How a verdict reads in a table: the cells every report shares."""

from __future__ import annotations

from datetime import datetime

from harness.records import StoredVerdict, Verdict, VerdictKind

KIND_LABELS = {
    VerdictKind.REGRESSION: "regression",
    VerdictKind.IMPROVEMENT: "improvement",
    VerdictKind.OUTLIER: "outlier",
    VerdictKind.ENVIRONMENT_CHANGE: "environment change",
    VerdictKind.ENVIRONMENT_DRIFT: "environment drift",
}
CONFIDENCE_NOTE = ("confidence: 1 - p of the shift against the series' own noise (0.99 = a "
                   "1 % chance that noise alone did it); noise: run-to-run standard "
                   "deviation; min. change: the smallest shift the detector reports")
COLUMNS = ("kind", "test", "metric", "commit", "change", "baseline → value", "noise (min. change)",
           "confidence")


def number(value: float | None) -> str:
    """A compact number with 4 significant digits."""
    return "-" if value is None else f"{value:.4g}"


def cells(verdict: Verdict) -> tuple[str, ...]:
    """The table cells of one verdict, in COLUMNS order."""
    unit = f" {verdict.unit}" if verdict.unit else ""
    pct = f"{verdict.change_pct:+.2f} %" if verdict.change_pct is not None else "-"
    kind = KIND_LABELS.get(verdict.kind, verdict.kind.value)
    commits = verdict.commit[:10] or "-"
    if verdict.last_good_commit:
        commits = f"{verdict.last_good_commit[:10]}..{verdict.commit[:10]}"
    return (
        kind,
        verdict.test,
        verdict.metric,
        commits,
        f"{pct} ({verdict.change_abs:+.4g}{unit})",
        f"{number(verdict.baseline)} → {number(verdict.value)}{unit}",
        f"{number(verdict.noise)}{unit} ({number(verdict.min_detectable_change)}{unit})",
        f"{verdict.confidence:.2f}",
    )


def headline(verdicts: list[Verdict], series_count: int) -> str:
    """One line: how many of each kind, out of how many series."""
    counts = {kind: sum(v.kind is kind for v in verdicts) for kind in VerdictKind}
    parts = [f"{counts[kind]} {KIND_LABELS.get(kind, kind.value)}"
             f"{'s' if counts[kind] != 1 else ''}"
             for kind in VerdictKind
             if counts[kind] or kind is not VerdictKind.ENVIRONMENT_DRIFT]  # drift: only if any
    return f"{', '.join(parts)} in {series_count} series"


STORED_COLUMNS = ("key", "state", *COLUMNS, "triage")
CHANGE_WORDS = {"new": "newly found", "confirmed": "confirmed", "retracted": "retracted",
                "reopened": "found again", "updated": "updated"}


def stored_cells(item: StoredVerdict, now: datetime | None = None) -> tuple[str, ...]:
    """The table cells of one stored verdict, in STORED_COLUMNS order."""
    triage = item.triage.label if item.triage is not None and item.triaged(now) else ""
    return (item.key[:8], item.state.value, *cells(item.verdict), triage)


def stored_headline(items: list[StoredVerdict], series_count: int) -> str:
    """One line: open verdicts by kind and state, out of how many series."""
    open_items = [item for item in items if item.is_open]
    confirmed = sum(item.state.value == "confirmed" for item in open_items)
    return (f"{headline([item.verdict for item in open_items], series_count)}; "
            f"{confirmed} confirmed, {len(open_items) - confirmed} unconfirmed")
