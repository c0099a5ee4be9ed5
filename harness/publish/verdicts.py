"""Detection verdicts in the sheet's terms: cell flags and Regressions rows.

The detector (`harness.detect`) judges each series on the whole history held by the store;
this module only reshapes its verdicts for the publishers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.publish.layout import Flags, RunRecords
from harness.records import Verdict, VerdictKind

# Verdict kinds that colour a Summary cell (an environment change starts a new segment: it
# gets a Regressions row but no colour).
COLOURED = {VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT, VerdictKind.OUTLIER}


def verdict_flags(verdicts: Sequence[Verdict], run_ids: set[str]) -> Flags:
    """{(run_id, test, metric): kind} for the coloured verdicts of `run_ids`."""
    return {
        (v.run_id, v.test, v.metric): v.kind.value
        for v in verdicts if v.run_id in run_ids and v.kind in COLOURED
    }


def verdict_rows(verdicts: Sequence[Verdict], batch: Sequence[RunRecords]) -> list[dict]:
    """Regressions tab rows (dicts keyed by REGRESSIONS_HEADER names) for the batch's runs."""
    runs = {records.run.run_id: records.run for records in batch}
    rows = []
    for verdict in verdicts:
        run = runs.get(verdict.run_id)
        if run is None:
            continue
        rows.append({
            "date": run.started_at.replace(tzinfo=None),
            "run": verdict.run_id,
            "commit": verdict.commit[:8],
            "test": verdict.test,
            "metric": verdict.metric,
            "verdict": verdict.kind.value if verdict.confirmed else f"{verdict.kind.value}?",
            "change_pct": verdict.change_pct,
            "previous": verdict.baseline,
            "value": verdict.value,
            "unit": verdict.unit,
            "confidence": verdict.confidence,
            "suspect_commits": verdict.commit_range,
            "repro": verdict.repro,
        })
    return rows


def detection_hooks(store) -> tuple[Callable[[list], Flags], Callable[[list], list[dict]]]:
    """(flags_for, regressions_for) for `publish_runs`, judging the store's whole history
    once, on first use."""
    cache: list[list[Verdict]] = []

    def verdicts() -> list[Verdict]:
        if not cache:
            from harness.detect import detect_all  # pylint: disable=import-outside-toplevel

            cache.append(detect_all(store))
        return cache[0]

    def flags_for(batch: list) -> Flags:
        return verdict_flags(verdicts(), {records.run.run_id for records in batch})

    def regressions_for(batch: list) -> list[dict]:
        return verdict_rows(verdicts(), batch)

    return flags_for, regressions_for
