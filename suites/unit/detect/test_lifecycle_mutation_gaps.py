"""The verdict lifecycle on small hand-made stores: matching a finding to a stored verdict
(same run, nearest run within the tolerance, open before retracted), how a stored verdict
changes, retractions, and which verdicts fail the night or reach Slack."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from harness.detect.lifecycle import (
    CONFIRMED,
    NEW,
    REOPENED,
    RETRACTED,
    UPDATED,
    Transition,
    newly_failing,
    reconcile,
    to_alert,
)
from harness.records import (
    StoredVerdict,
    Triage,
    TriageState,
    Verdict,
    VerdictKind,
    VerdictState,
    verdict_key,
)

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=1)
POSITIONS = {f"run{index}": index for index in range(20)}


def found(run: int, *, confirmed: bool = True, kind: VerdictKind = VerdictKind.REGRESSION,
          test: str = "t.py::test_a", metric: str = "step_ms", env: str = "fp1",
          value: float = 52.0) -> Verdict:
    """A finding whose first bad run is run{run}."""
    return Verdict(test=test, metric=metric, kind=kind, run_id=f"run{run}", run_index=run,
                   commit=f"{run:040x}", last_good_commit=f"{run - 1:040x}",
                   commit_range="a..b", env_fingerprint=env, baseline=40.0, value=value,
                   change_abs=value - 40.0, change_pct=30.0, confidence=0.97, noise=0.4,
                   min_detectable_change=1.5, confirmed=confirmed)


def stored(verdict: Verdict, state: VerdictState = VerdictState.CONFIRMED, key: str = "",
           triage: Triage | None = None, alerted: str = "") -> StoredVerdict:
    """`verdict` as the store holds it, first seen at T0."""
    return StoredVerdict(key or f"k-{verdict.run_id}-{state.value}", verdict, state, T0,
                         T0 + timedelta(hours=1), triage, alerted)


def only(transitions):
    """The one transition in `transitions`."""
    assert len(transitions) == 1, transitions
    return transitions[0]


def changes(transitions):
    """(change, key, state) of each transition."""
    return [(item.change, item.after.key, item.after.state) for item in transitions]


def test_a_finding_without_a_stored_verdict_is_new_under_its_stable_key():
    verdict = found(5, confirmed=False)
    transition = only(reconcile([verdict], [], POSITIONS, NOW))
    key = verdict_key("t.py::test_a", "step_ms", "fp1", "run5", "regression")
    assert transition == Transition(
        NEW, StoredVerdict(key, verdict, VerdictState.UNCONFIRMED, NOW, NOW))
    assert transition.before is None and transition.is_news


def test_the_same_finding_again_changes_nothing():
    item = stored(found(5))
    assert not reconcile([found(5)], [item], POSITIONS, NOW)


@pytest.mark.parametrize("run, matches", [(3, True), (7, True), (8, False), (2, False)])
def test_a_first_bad_run_that_moved_within_the_tolerance_keeps_the_key(run, matches):
    item = stored(found(5))
    transitions = reconcile([found(run)], [item], POSITIONS, NOW)
    if matches:
        assert changes(transitions) == [(UPDATED, item.key, VerdictState.CONFIRMED)]
        transition = only(transitions)
        assert transition.after == replace(item, verdict=found(run), updated_at=NOW)
        assert transition.before == item and not transition.is_news
    else:
        assert [t.change for t in transitions] == [NEW, RETRACTED]


def test_the_tolerance_is_a_parameter():
    item = stored(found(5))
    assert [t.change for t in reconcile([found(8)], [item], POSITIONS, NOW, tolerance=3)] \
        == [UPDATED]
    assert [t.change for t in reconcile([found(6)], [item], POSITIONS, NOW, tolerance=0)] \
        == [NEW, RETRACTED]


def test_a_run_missing_from_the_positions_matches_only_by_its_id():
    item = stored(found(5))
    positions = {"run6": 6}  # run5 is gone from the history
    assert [t.change for t in reconcile([found(6)], [item], positions, NOW)] == [NEW, RETRACTED]
    assert not reconcile([found(5)], [item], positions, NOW)


def test_a_finding_whose_run_is_unknown_is_placed_by_its_run_index():
    item = stored(found(5))
    verdict = replace(found(6), run_id="unknown")
    assert [t.change for t in reconcile([verdict], [item], POSITIONS, NOW)] == [UPDATED]


def test_the_nearest_open_verdict_wins_over_nearer_retracted_and_farther_open_ones():
    retracted = stored(found(6), VerdictState.RETRACTED)
    far = stored(found(4))
    near = stored(found(7))
    transitions = reconcile([found(6, value=53.0)], [far, retracted, near], POSITIONS, NOW)
    assert changes(transitions) == [(UPDATED, near.key, VerdictState.CONFIRMED),
                                    (RETRACTED, far.key, VerdictState.RETRACTED)]


def test_the_verdict_of_the_same_run_wins_over_one_a_run_away():
    same, next_run = stored(found(5)), stored(found(6))
    transitions = reconcile([found(5, value=53.0)], [next_run, same], POSITIONS, NOW)
    assert changes(transitions) == [(UPDATED, same.key, VerdictState.CONFIRMED),
                                    (RETRACTED, next_run.key, VerdictState.RETRACTED)]


def test_the_position_in_the_history_counts_not_the_index_in_the_series():
    item = stored(found(5))
    verdict = replace(found(6), run_index=50)  # run6 is 6th in the history
    assert [t.change for t in reconcile([verdict], [item], POSITIONS, NOW)] == [UPDATED]


def test_of_two_equally_near_verdicts_the_first_stored_wins():
    before, after = stored(found(4)), stored(found(6))
    transitions = reconcile([found(5)], [before, after], POSITIONS, NOW)
    assert changes(transitions) == [(UPDATED, before.key, VerdictState.CONFIRMED),
                                    (RETRACTED, after.key, VerdictState.RETRACTED)]


def test_a_retracted_verdict_found_again_is_reopened():
    item = stored(found(5), VerdictState.RETRACTED)
    transition = only(reconcile([found(5, confirmed=False)], [item], POSITIONS, NOW))
    assert transition.change == REOPENED and transition.is_news
    assert transition.before == item
    assert transition.after == replace(item, verdict=found(5, confirmed=False),
                                       state=VerdictState.UNCONFIRMED, updated_at=NOW)


def test_an_unconfirmed_verdict_is_confirmed_and_a_confirmed_one_never_unconfirmed():
    suspected = stored(found(5, confirmed=False), VerdictState.UNCONFIRMED)
    transition = only(reconcile([found(5)], [suspected], POSITIONS, NOW))
    assert transition.change == CONFIRMED and transition.before == suspected
    assert transition.after == replace(suspected, verdict=found(5),
                                       state=VerdictState.CONFIRMED, updated_at=NOW)
    sure = stored(found(5))
    transition = only(reconcile([found(5, confirmed=False)], [sure], POSITIONS, NOW))
    assert transition.change == UPDATED
    assert transition.after.state is VerdictState.CONFIRMED


def test_series_environment_and_kind_all_separate_verdicts():
    item = stored(found(5))
    for other in (found(5, test="t.py::test_b"), found(5, metric="mem"), found(5, env="fp2"),
                  found(5, kind=VerdictKind.IMPROVEMENT)):
        assert [t.change for t in reconcile([other], [item], POSITIONS, NOW)] \
            == [NEW, RETRACTED]


def test_one_stored_verdict_continues_one_finding_only():
    item = stored(found(5))
    transitions = reconcile([found(5), found(6)], [item], POSITIONS, NOW)
    key = verdict_key("t.py::test_a", "step_ms", "fp1", "run6", "regression")
    assert changes(transitions) == [(NEW, key, VerdictState.CONFIRMED)]


def test_a_new_finding_does_not_end_the_reconciliation():
    item = stored(found(5))
    other = found(5, test="t.py::test_b")
    transitions = reconcile([other, found(5)], [item], POSITIONS, NOW)
    key = verdict_key("t.py::test_b", "step_ms", "fp1", "run5", "regression")
    assert changes(transitions) == [(NEW, key, VerdictState.CONFIRMED)]


def test_only_open_verdicts_of_judged_series_are_retracted():
    open_a = stored(found(5))
    open_b = stored(found(5, test="t.py::test_b"))
    gone = stored(found(9), VerdictState.RETRACTED)
    transitions = reconcile([], [open_a, open_b, gone], POSITIONS, NOW,
                            judged={("t.py::test_a", "step_ms")})
    transition = only(transitions)
    assert transition == Transition(
        RETRACTED, replace(open_a, state=VerdictState.RETRACTED, updated_at=NOW), open_a)
    everything = reconcile([], [open_a, open_b, gone], POSITIONS, NOW)
    assert changes(everything) == [(RETRACTED, open_a.key, VerdictState.RETRACTED),
                                   (RETRACTED, open_b.key, VerdictState.RETRACTED)]


def regression(state: VerdictState, *, kind: VerdictKind = VerdictKind.REGRESSION,
               triage: Triage | None = None, alerted: str = "") -> StoredVerdict:
    """A stored verdict of run5 in `state`."""
    return stored(found(5, kind=kind), state, triage=triage, alerted=alerted)


def test_newly_failing_are_new_confirmed_or_reopened_untriaged_confirmed_regressions():
    sure = regression(VerdictState.CONFIRMED)
    suspected = regression(VerdictState.UNCONFIRMED)
    improvement = regression(VerdictState.CONFIRMED, kind=VerdictKind.IMPROVEMENT)
    held = regression(VerdictState.CONFIRMED, triage=Triage(TriageState.EXPECTED,
                                                            triaged_at=T0))
    lapsed = regression(VerdictState.CONFIRMED, triage=Triage(
        TriageState.EXPECTED, expires_at=NOW - timedelta(seconds=1), triaged_at=T0))
    expiring = regression(VerdictState.CONFIRMED, triage=Triage(
        TriageState.EXPECTED, expires_at=NOW + timedelta(days=1), triaged_at=T0))
    transitions = [Transition(NEW, sure), Transition(CONFIRMED, sure),
                   Transition(REOPENED, sure), Transition(UPDATED, sure),
                   Transition(RETRACTED, sure), Transition(NEW, suspected),
                   Transition(NEW, improvement), Transition(NEW, held), Transition(NEW, lapsed),
                   Transition(NEW, expiring)]
    assert newly_failing(transitions, NOW) == [sure, sure, sure, lapsed]
    assert newly_failing(transitions, NOW, include_unconfirmed=True) \
        == [sure, sure, sure, suspected, lapsed]
    retracted = regression(VerdictState.RETRACTED)
    assert not newly_failing([Transition(REOPENED, retracted)], NOW, include_unconfirmed=True)


def test_each_state_of_an_untriaged_regression_is_alerted_once():
    suspected = regression(VerdictState.UNCONFIRMED)
    sure = regression(VerdictState.CONFIRMED, alerted="unconfirmed")
    told = regression(VerdictState.CONFIRMED, alerted="confirmed")
    retracted_told = regression(VerdictState.RETRACTED, alerted="confirmed")
    retracted_quiet = regression(VerdictState.RETRACTED)
    improvement = regression(VerdictState.CONFIRMED, kind=VerdictKind.IMPROVEMENT)
    held = regression(VerdictState.CONFIRMED, triage=Triage(TriageState.ACKNOWLEDGED,
                                                            triaged_at=T0))
    # every kind of skipped item before one that is chosen
    items = [improvement, held, told, retracted_quiet, suspected, sure, retracted_told]
    assert to_alert(items, NOW) == [sure, retracted_told]
    assert to_alert(items, NOW, include_unconfirmed=True) == [suspected, sure, retracted_told]
    expiring = regression(VerdictState.CONFIRMED, triage=Triage(
        TriageState.ACKNOWLEDGED, expires_at=NOW + timedelta(days=1), triaged_at=T0))
    assert not to_alert([expiring], NOW)
    assert to_alert([expiring], NOW + timedelta(days=2)) == [expiring]
