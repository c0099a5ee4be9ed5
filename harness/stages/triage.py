"""The triage stage: people mark verdicts acknowledged, expected, invalid or fixed, and the
detector's record is read back from what they said."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from harness.errors import CommandError
from harness.records import StoredVerdict, Triage, TriageState, VerdictKind, utc_now
from harness.store import Store

_DURATION = re.compile(r"^(\d+)\s*([dhw])$")
# Verdict kinds that are alarms: changes a person is asked to look at.
ALARMS = {VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT}


def parse_expiry(text: str | None, now: datetime | None = None) -> datetime | None:
    """'30d', '12h', '2w' or an ISO date ('2027-01-31') as a UTC moment; None for none."""
    if not text:
        return None
    now = now or utc_now()
    found = _DURATION.match(text.strip().lower())
    if found:
        amount, unit = int(found.group(1)), found.group(2)
        return now + timedelta(**{{"d": "days", "h": "hours", "w": "weeks"}[unit]: amount})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--expires: '{text}' is neither a duration (30d, 12h, 2w) nor a "
                           "date (2027-01-31)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    if moment <= now:
        raise CommandError(f"--expires: {text} lies in the past")
    return moment


def select(verdicts: Sequence[StoredVerdict], keys: Sequence[str] = (), commit: str = "",
           run: str = "") -> list[StoredVerdict]:
    """Verdicts named by key prefixes, or by the commit or run of their first bad run."""
    chosen: dict[str, StoredVerdict] = {}
    for prefix in keys:
        hits = [v for v in verdicts if v.key.startswith(prefix)]
        if not hits:
            raise CommandError(f"no verdict with key starting '{prefix}' (see `harness "
                               "triage` for the keys)")
        if len(hits) > 1:
            raise CommandError(f"verdict key prefix '{prefix}' is ambiguous: give more of it")
        chosen[hits[0].key] = hits[0]
    for item in verdicts:
        if commit and item.verdict.commit.startswith(commit):
            chosen[item.key] = item
        if run and item.verdict.run_id.startswith(run):
            chosen[item.key] = item
    return list(chosen.values())


def set_triage(store: Store, state: str | None, *, keys: Sequence[str] = (), commit: str = "",
               run: str = "", note: str = "", fixed_by: str = "", expires: str | None = None,
               ) -> list[StoredVerdict]:
    """Triage (or with state None clear the triage of) the selected verdicts; which."""
    if not (keys or commit or run):
        raise CommandError("name the verdicts: keys, --commit SHA or --run ID")
    if state == TriageState.FIXED.value and not fixed_by:
        raise CommandError("fixed: say which commit fixed it with --fixed-by SHA")
    expiry = parse_expiry(expires)
    chosen = select(store.verdicts(), keys, commit, run)
    if not chosen:
        raise CommandError(f"no verdict matches {'commit ' + commit if commit else 'run ' + run}")
    triage = None
    if state is not None:
        triage = Triage(TriageState(state), note.strip(), fixed_by.strip(), expiry)
    store.set_triage([item.key for item in chosen], triage)
    return chosen


def metric_kind(metric: str, unit: str) -> str:
    """What a metric measures, from its unit and name: time, throughput, memory or score."""
    unit, metric = unit.strip().lower(), metric.lower()
    if unit.endswith("/s") or "throughput" in metric:
        return "throughput"
    if unit in {"s", "ms", "us", "µs", "ns", "min"} or "latency" in metric or "seconds" in metric:
        return "time"
    if unit in {"b", "kb", "mb", "gb", "kib", "mib", "gib", "bytes"} or "memory" in metric:
        return "memory"
    return "score"


@dataclass(frozen=True)
class RecordRow:
    """The detector's record for one metric kind over a window."""

    metric_kind: str
    alarms: int
    confirmed: int
    retracted: int
    triaged: int
    invalid: int
    expected: int
    acknowledged: int
    fixed: int

    @property
    def false_alarm_share(self) -> float | None:
        """Invalid among the triaged alarms (None when none was triaged)."""
        return self.invalid / self.triaged if self.triaged else None


def detector_record(verdicts: Sequence[StoredVerdict], days: int,
                    now: datetime | None = None) -> list[RecordRow]:
    """Per metric kind: alarms raised within `days` and how people triaged them."""
    now = now or utc_now()
    since = now - timedelta(days=days)
    groups: dict[str, list[StoredVerdict]] = {}
    for item in verdicts:
        if item.verdict.kind in ALARMS and item.first_seen_at >= since:
            kind = metric_kind(item.verdict.metric, item.verdict.unit)
            groups.setdefault(kind, []).append(item)
    rows = []
    for kind in sorted(groups):
        items = groups[kind]
        states = [item.triage.state for item in items if item.triage is not None]
        rows.append(RecordRow(
            kind, len(items),
            sum(item.state.value == "confirmed" for item in items),
            sum(item.state.value == "retracted" for item in items),
            len(states),
            *(states.count(state) for state in (TriageState.INVALID, TriageState.EXPECTED,
                                                TriageState.ACKNOWLEDGED, TriageState.FIXED)),
        ))
    return rows
