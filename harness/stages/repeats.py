"""Which tests to measure again before a change is believed (as Pinpoint does).

A newest-run jump is unconfirmed: one run cannot tell a regression from a noisy night. Runs
of the same commit are replicates, so rerunning just the flagged tests settles it: the next
check confirms the change when the new level holds, and calls it drift (and retracts the
suspicion) when the rerun is back at the old level.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.records import StoredVerdict, VerdictKind, VerdictState

_SHIFTS = (VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT)


def flagged_for_rerun(verdicts: Iterable[StoredVerdict], run_id: str) -> list[str]:
    """Test ids with an unconfirmed, untriaged regression or improvement first seen in run
    `run_id` (the run just checked), in order."""
    return sorted({
        item.verdict.test for item in verdicts
        if item.state is VerdictState.UNCONFIRMED and item.verdict.kind in _SHIFTS
        and item.verdict.run_id == run_id and not item.triaged()
    })
