"""Stored verdicts to rows of the `verdicts` table and back: every column named as the
schema names it, whole records round-tripped with and without triage, SQLite's naive times
and NULL text read as UTC and empty text."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from harness.records import StoredVerdict, Triage, TriageState, VerdictState
from harness.store import schema
from harness.store.verdict_rows import from_row, to_row, triage_columns

from .test_records_mutation_gaps import verdict

T0 = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
VERDICT = verdict()  # every field set
TRIAGE = Triage(TriageState.FIXED, note="reverted", fixed_by="c" * 40,
                expires_at=T0 + timedelta(days=7), triaged_at=T0 + timedelta(hours=2))
ITEM = StoredVerdict("k1", VERDICT, VerdictState.UNCONFIRMED, T0, T0 + timedelta(hours=1),
                     TRIAGE, "unconfirmed")


def row_of(mapping: dict[str, object]) -> SimpleNamespace:
    """A database row as SQLAlchemy gives it (its `_mapping`)."""
    return SimpleNamespace(_mapping=mapping)


def test_a_row_has_exactly_the_columns_of_the_verdicts_table():
    assert set(to_row(ITEM)) == {column.name for column in schema.verdicts.columns}


def test_a_row_holds_every_field_under_its_column():
    assert to_row(ITEM) == {
        "key": "k1", "test": "t.py::test_a", "metric": "step_ms", "env_fingerprint": "fp1",
        "run_id": "run5", "commit_sha": "b" * 40, "kind": "regression",
        "state": "unconfirmed", "evidence": json.dumps(VERDICT.to_dict(), sort_keys=True),
        "first_seen_at": T0, "updated_at": T0 + timedelta(hours=1),
        "alerted_state": "unconfirmed", "triage_state": "fixed", "triage_note": "reverted",
        "triage_fixed_by": "c" * 40, "triage_expires_at": T0 + timedelta(days=7),
        "triaged_at": T0 + timedelta(hours=2)}


def test_the_evidence_is_json_with_sorted_keys():
    evidence = to_row(ITEM)["evidence"]
    assert list(json.loads(evidence)) == sorted(VERDICT.to_dict())


def test_no_triage_is_empty_columns():
    assert triage_columns(None) == {"triage_state": None, "triage_note": "",
                                    "triage_fixed_by": "", "triage_expires_at": None,
                                    "triaged_at": None}


def test_a_stored_verdict_round_trips_whole_with_and_without_triage():
    assert from_row(row_of(to_row(ITEM))) == ITEM
    bare = StoredVerdict("k2", VERDICT, VerdictState.RETRACTED, T0, T0, None, "")
    assert from_row(row_of(to_row(bare))) == bare
    open_ended = StoredVerdict("k3", VERDICT, VerdictState.CONFIRMED, T0, T0,
                               Triage(TriageState.ACKNOWLEDGED, triaged_at=T0))
    assert from_row(row_of(to_row(open_ended))) == open_ended


def test_naive_times_and_null_texts_from_sqlite_read_as_utc_and_empty():
    naive = {name: value.replace(tzinfo=None) if isinstance(value, datetime) else value
             for name, value in to_row(ITEM).items()}
    naive.update(triage_note=None, triage_fixed_by=None, alerted_state=None)
    item = from_row(row_of(naive))
    assert item.first_seen_at == T0 and item.first_seen_at.tzinfo is timezone.utc
    assert item.updated_at == T0 + timedelta(hours=1)
    assert item.triage == Triage(TriageState.FIXED, expires_at=T0 + timedelta(days=7),
                                 triaged_at=T0 + timedelta(hours=2))
    assert item.alerted_state == ""
    other = timezone(timedelta(hours=2))
    aware = dict(naive, first_seen_at=T0.astimezone(other))
    assert from_row(row_of(aware)).first_seen_at.tzinfo is other
