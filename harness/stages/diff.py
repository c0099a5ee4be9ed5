"""The diff stage: what differs between runs, read from the store (see harness.report.diff)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness.records import Run, Verdict
from harness.report.diff import Difference, Side, diff_sides, last_good_run, pairs
from harness.store import Store


def load_side(store: Store, run: Run) -> Side:
    """A run with its recorded configurations and measurements."""
    return Side(run, store.configs(run.run_id), tuple(store.measurements(run.run_id)))


def range_diffs(store: Store, series: Iterable, verdicts: Iterable[Verdict]
                ) -> dict[str, Sequence[Difference]]:
    """For each flagged commit range (as the HTML report names it), what differs between
    its last good and first bad run: configuration, environment, git."""
    # pylint: disable-next=import-outside-toplevel  # the HTML report needs matplotlib
    from harness.report.html import commit_range_label

    points = {(item.test, item.metric): item.points for item in series}
    diffs: dict[str, Sequence[Difference]] = {}
    for verdict in verdicts:
        label = commit_range_label(verdict)
        good = last_good_run(points.get((verdict.test, verdict.metric), ()), verdict.run_id)
        if label in diffs or good is None:
            continue
        before, after = (Side(run, store.configs(run.run_id)) for run in
                         (store.get_run(good), store.get_run(verdict.run_id)))
        diffs[label] = diff_sides(before, after, pairs(before, after))
    return diffs
