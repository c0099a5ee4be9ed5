"""Verdict lifecycle: compare what detection finds now with what the store holds.

Pure functions over records. A finding that matches a stored verdict (same series,
environment segment and kind, first bad run within `tolerance` runs) keeps the stored key and
triage; an unconfirmed one becomes confirmed when detection confirms it; a stored open
verdict that detection no longer supports is retracted. Each change is a `Transition`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from harness.records import StoredVerdict, Verdict, VerdictKind, VerdictState, verdict_key

NEW, CONFIRMED, RETRACTED, REOPENED, UPDATED = "new", "confirmed", "retracted", "reopened", \
    "updated"


@dataclass(frozen=True)
class Transition:
    """One change of a stored verdict: `before` is None for a new one."""

    change: str
    after: StoredVerdict
    before: StoredVerdict | None = None

    @property
    def is_news(self) -> bool:
        """Whether a reader should hear of it (not a mere refresh of the evidence)."""
        return self.change != UPDATED


def _series(verdict: Verdict) -> tuple[str, str, str, VerdictKind]:
    return verdict.test, verdict.metric, verdict.env_fingerprint, verdict.kind


def _state(verdict: Verdict) -> VerdictState:
    return VerdictState.CONFIRMED if verdict.confirmed else VerdictState.UNCONFIRMED


def _match(found: Verdict, candidates: list[StoredVerdict], positions: Mapping[str, int],
           tolerance: int) -> StoredVerdict | None:
    """The stored verdict `found` continues: the same key, else the nearest within reach,
    open ones before retracted ones."""
    here = positions.get(found.run_id, found.run_index)
    best, best_rank = None, None
    for item in candidates:
        there = positions.get(item.verdict.run_id)
        if item.verdict.run_id == found.run_id:
            distance = 0
        elif there is None or abs(there - here) > tolerance:
            continue
        else:
            distance = abs(there - here)
        rank = (not item.is_open, distance)
        if best_rank is None or rank < best_rank:
            best, best_rank = item, rank
    return best


def _continued(previous: StoredVerdict, found: Verdict, now: datetime) -> Transition | None:
    """How a stored verdict changes when detection finds it again (None: not at all)."""
    state = _state(found)
    if previous.state is VerdictState.CONFIRMED:
        state = VerdictState.CONFIRMED  # later runs may blur it, they never unconfirm it
    after = replace(previous, verdict=found, state=state, updated_at=now)
    if not previous.is_open:
        return Transition(REOPENED, after, previous)
    if state is not previous.state:
        return Transition(CONFIRMED, after, previous)
    if found != previous.verdict:
        return Transition(UPDATED, after, previous)
    return None


def reconcile(detected: Sequence[Verdict], stored: Sequence[StoredVerdict],
              positions: Mapping[str, int], now: datetime, tolerance: int = 2,
              judged: set[tuple[str, str]] | None = None) -> list[Transition]:
    """The transitions that bring `stored` to what `detected` says now.

    `positions` maps run ids to their order in the history (to measure how far a first bad
    run moved). Only series in `judged` ((test, metric) pairs; None: all) are retracted when
    detection no longer reports them: a check over part of the store leaves the rest alone.
    """
    by_series: dict[tuple, list[StoredVerdict]] = {}
    for item in stored:
        by_series.setdefault(_series(item.verdict), []).append(item)
    transitions: list[Transition] = []
    matched: set[str] = set()
    for found in detected:
        pool = [item for item in by_series.get(_series(found), []) if item.key not in matched]
        previous = _match(found, pool, positions, tolerance)
        if previous is None:
            key = verdict_key(found.test, found.metric, found.env_fingerprint, found.run_id,
                              found.kind.value)
            item = StoredVerdict(key, found, _state(found), now, now)
            transitions.append(Transition(NEW, item))
            matched.add(key)
            continue
        matched.add(previous.key)
        transition = _continued(previous, found, now)
        if transition is not None:
            transitions.append(transition)
    return transitions + _retractions(stored, matched, judged, now)


def _retractions(stored: Sequence[StoredVerdict], matched: set[str],
                 judged: set[tuple[str, str]] | None, now: datetime) -> list[Transition]:
    """Open verdicts of judged series that detection no longer reports."""
    gone = []
    for item in stored:
        series = (item.verdict.test, item.verdict.metric)
        if item.is_open and item.key not in matched and (judged is None or series in judged):
            after = replace(item, state=VerdictState.RETRACTED, updated_at=now)
            gone.append(Transition(RETRACTED, after, item))
    return gone


def newly_failing(transitions: Sequence[Transition], now: datetime,
                  include_unconfirmed: bool = False) -> list[StoredVerdict]:
    """Regressions that became confirmed in these transitions and nobody has triaged (with
    `include_unconfirmed`, newly suspected ones too): what fails tonight's check."""
    failing = []
    for transition in transitions:
        after = transition.after
        if transition.change not in (NEW, CONFIRMED, REOPENED) or after.triaged(now):
            continue
        if not after.verdict.is_regression:
            continue
        if after.state is VerdictState.CONFIRMED or (
                include_unconfirmed and after.state is VerdictState.UNCONFIRMED):
            failing.append(after)
    return failing


def to_alert(items: Sequence[StoredVerdict], now: datetime | None = None,
             include_unconfirmed: bool = False) -> list[StoredVerdict]:
    """Regressions whose state changed since they were last alerted, untriaged: each
    finding reaches Slack once per state (suspected, confirmed, retracted)."""
    chosen = []
    for item in items:
        if not item.verdict.is_regression or item.triaged(now):
            continue
        if item.state.value == item.alerted_state:
            continue
        if item.state is VerdictState.RETRACTED and not item.alerted_state:
            continue  # never announced: its retraction is no news
        if item.state is VerdictState.UNCONFIRMED and not include_unconfirmed:
            continue
        chosen.append(item)
    return chosen
