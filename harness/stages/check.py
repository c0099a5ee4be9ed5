"""The check stage: detect once over the history, bring the stored verdicts up to date, and
say what changed. Publishing and alerting read the verdicts this stage wrote."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.detect import DetectorConfig, detect, history_needed, series_from_store
from harness.detect.lifecycle import Transition, newly_failing, reconcile
from harness.detect.series import Series
from harness.records import (
    StoredVerdict,
    Verdict,
    VerdictKind,
    VerdictState,
    utc_now,
    verdict_key,
)
from harness.settings import Settings
from harness.store import Store


@dataclass(frozen=True)
class CheckResult:
    """What one check found: every series judged, the stored verdicts after it, what changed,
    and what fails the check."""

    series: tuple[Series, ...]
    verdicts: tuple[StoredVerdict, ...]
    transitions: tuple[Transition, ...]
    failing: tuple[StoredVerdict, ...]
    drift: tuple[Verdict, ...] = ()
    needed: tuple[tuple[str, str, int], ...] = ()

    @property
    def news(self) -> list[Transition]:
        """Transitions a reader should hear of (new, confirmed, reopened, retracted)."""
        return [t for t in self.transitions if t.is_news]

    @property
    def open(self) -> list[StoredVerdict]:
        """Unconfirmed and confirmed verdicts, in run order."""
        return sorted((v for v in self.verdicts if v.is_open),
                      key=lambda v: (v.verdict.run_index, v.verdict.test, v.verdict.metric))


def detector_config(settings: Settings) -> DetectorConfig:
    """The detector's configuration from the settings."""
    return DetectorConfig(method=settings.detect_method)


def _split(series: Sequence[Series], detected: list[Verdict]
           ) -> tuple[list[Verdict], tuple[Verdict, ...], tuple[tuple[str, str, int], ...]]:
    """Findings to keep as verdicts; drift inside one commit's replicates (a note on the
    environment, never a regression, not stored); series that need more history."""
    kept = [v for v in detected if v.kind is not VerdictKind.ENVIRONMENT_DRIFT]
    drift = tuple(v for v in detected if v.kind is VerdictKind.ENVIRONMENT_DRIFT)
    needed = tuple((s.test, s.metric, n) for s in series if (n := history_needed(s)))
    return kept, drift, needed


def check_store(store: Store, settings: Settings, *, fail_on_unconfirmed: bool = False
                ) -> CheckResult:
    """Detect over the store's history, write the verdict transitions, return the result.

    A regression fails the check only when it became confirmed in this check and nobody has
    triaged it (with `fail_on_unconfirmed`, also when it is newly suspected), so a finding
    fails one nightly, not every nightly after it.
    """
    now = utc_now()
    series = series_from_store(store)
    detected, drift, needed = _split(series, detect(series, detector_config(settings)))
    positions = {run.run_id: index
                 for index, run in enumerate(store.runs(newest_first=False))}
    seen: list[tuple[list[StoredVerdict], list[Transition]]] = []

    def change(stored: list[StoredVerdict]) -> list[StoredVerdict]:
        transitions = reconcile(detected, stored, positions, now,
                                judged={(s.test, s.metric) for s in series})
        seen.append((stored, transitions))
        return [t.after for t in transitions]

    store.update_verdicts(change)
    stored, transitions = seen[-1]
    final = {item.key: item for item in stored} | {t.after.key: t.after for t in transitions}
    failing = newly_failing(transitions, now, fail_on_unconfirmed)
    return CheckResult(tuple(series), tuple(final.values()), tuple(transitions), tuple(failing),
                       drift, needed)


def check_imported(series: Sequence[Series], settings: Settings, *,
                   fail_on_unconfirmed: bool = False) -> CheckResult:
    """Detect over imported histories (CSV, pytest-benchmark JSON): no store, so every
    verdict is new and nothing is remembered."""
    now = utc_now()
    detected, drift, needed = _split(series, detect(list(series), detector_config(settings)))
    items = [StoredVerdict(verdict_key(v.test, v.metric, v.env_fingerprint, v.run_id,
                                       v.kind.value), v,
                           VerdictState.CONFIRMED if v.confirmed else VerdictState.UNCONFIRMED,
                           now, now)
             for v in detected]
    transitions = [Transition("new", item) for item in items]
    failing = newly_failing(transitions, now, fail_on_unconfirmed)
    return CheckResult(tuple(series), tuple(items), tuple(transitions), tuple(failing), drift,
                       needed)
