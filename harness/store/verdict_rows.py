"""Stored verdicts <-> rows of the `verdicts` table."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from harness.records import StoredVerdict, Triage, TriageState, Verdict, VerdictState


def _as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every record carries UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def to_row(item: StoredVerdict) -> dict[str, object]:
    """The row of one stored verdict (triage columns included)."""
    verdict, triage = item.verdict, item.triage
    return {
        "key": item.key,
        "test": verdict.test,
        "metric": verdict.metric,
        "env_fingerprint": verdict.env_fingerprint,
        "run_id": verdict.run_id,
        "commit_sha": verdict.commit,
        "kind": verdict.kind.value,
        "state": item.state.value,
        "evidence": json.dumps(verdict.to_dict(), sort_keys=True),
        "first_seen_at": item.first_seen_at,
        "updated_at": item.updated_at,
        "alerted_state": item.alerted_state,
        **triage_columns(triage),
    }


def triage_columns(triage: Triage | None) -> dict[str, object]:
    """The triage columns for `triage` (all empty for None)."""
    return {
        "triage_state": triage.state.value if triage else None,
        "triage_note": triage.note if triage else "",
        "triage_fixed_by": triage.fixed_by if triage else "",
        "triage_expires_at": triage.expires_at if triage else None,
        "triaged_at": triage.triaged_at if triage else None,
    }


def from_row(row) -> StoredVerdict:
    """The stored verdict of one row."""
    mapping = row._mapping  # pylint: disable=protected-access  # SQLAlchemy's public row API
    triage = None
    if mapping["triage_state"]:
        triage = Triage(
            state=TriageState(mapping["triage_state"]),
            note=mapping["triage_note"] or "",
            fixed_by=mapping["triage_fixed_by"] or "",
            expires_at=_as_utc(mapping["triage_expires_at"]),
            triaged_at=_as_utc(mapping["triaged_at"]),  # type: ignore[arg-type]
        )
    return StoredVerdict(
        key=mapping["key"],
        verdict=Verdict.from_dict(json.loads(mapping["evidence"])),
        state=VerdictState(mapping["state"]),
        first_seen_at=_as_utc(mapping["first_seen_at"]),  # type: ignore[arg-type]
        updated_at=_as_utc(mapping["updated_at"]),  # type: ignore[arg-type]
        triage=triage,
        alerted_state=mapping["alerted_state"] or "",
    )
