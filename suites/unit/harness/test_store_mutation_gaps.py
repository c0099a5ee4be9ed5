"""The store, read back whole: every field of runs, measurements and verdicts survives a round
trip, reads filter by test, metric and target, and writes keep what people own."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_mock_engine, text
from sqlalchemy.dialects import postgresql, sqlite

from harness.records import (
    Environment,
    GitInfo,
    Measurement,
    MeasurementStatus,
    Run,
    RunStatus,
    StoredVerdict,
    Triage,
    TriageState,
    Verdict,
    VerdictKind,
    VerdictState,
)
from harness.settings import resolve
from harness.store import Store, StoreError, open_store, schema
from harness.store.store import _insert  # pylint: disable=protected-access  # the dialect seam

T0 = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
ENV = Environment(python="3.11.9", torch="2.13.0", cuda="12.6", cudnn="9.1", gpu_name="H100",
                  gpu_count=2, gpu_driver="560.1", cpu_model="EPYC", hostname="gpu-a",
                  platform="linux", ci_url="https://ci.example/1", image_digest="sha256:ab")


def full_run(run_id: str, minutes: int = 0, **changes) -> Run:
    """A run with every field set to something other than its default."""
    run = Run(run_id=run_id, started_at=T0 + timedelta(minutes=minutes),
              git=GitInfo(commit="c" * 40, branch="feature/x", subject="Faster conv",
                          commit_time="2026-03-04T01:00:00+00:00", dirty=True),
              env=ENV, status=RunStatus.FAILED, ended_at=T0 + timedelta(minutes=minutes + 5))
    return replace(run, **changes)


def measurement(run_id: str, test: str, metric: str, value: float | None, **changes):
    """A measurement with a unit, lower-is-better and a fixed recording time."""
    item = Measurement(run_id, test, metric, value, unit="ms", higher_is_better=False,
                       status=MeasurementStatus.OK, recorded_at=T0 + timedelta(seconds=1))
    return replace(item, **changes)


def verdict(run_id: str, test: str = "t::a", kind: VerdictKind = VerdictKind.REGRESSION):
    """A detected change with every evidence field set."""
    return Verdict(test=test, metric="step_ms", kind=kind, run_id=run_id, run_index=7,
                   commit="b" * 40, last_good_commit="a" * 40, commit_range="aaaa..bbbb",
                   env_fingerprint="fp1", baseline=40.0, value=52.0, change_abs=12.0,
                   change_pct=30.0, confidence=0.97, noise=0.4, min_detectable_change=1.5,
                   higher_is_better=False, unit="ms", confirmed=True, image_digest="sha256:ab",
                   repro="nox -s integration", p_value=0.001, runs=(run_id, "other"))


def stored(key: str, item: Verdict, state=VerdictState.CONFIRMED, minutes: int = 0,
           triage: Triage | None = None) -> StoredVerdict:
    """A verdict as the store keeps it."""
    return StoredVerdict(key=key, verdict=item, state=state,
                         first_seen_at=T0 + timedelta(minutes=minutes),
                         updated_at=T0 + timedelta(minutes=minutes + 1), triage=triage,
                         alerted_state="")


@pytest.fixture(name="store")
def fixture_store(tmp_path):
    opened = Store.open(str(tmp_path / "nested" / "folder" / "results.db"))
    yield opened
    opened.close()


def test_a_run_reads_back_whole_and_finishing_changes_only_status_and_end(store):
    run = full_run("r1")
    store.begin_run(run)
    store.begin_run(replace(run, status=RunStatus.COMPLETE))  # beginning again changes nothing
    assert store.get_run("r1") == run
    ended = T0 + timedelta(hours=1)
    assert store.finish_run("r1", RunStatus.COMPLETE, ended_at=ended)
    assert store.get_run("r1") == replace(run, status=RunStatus.COMPLETE, ended_at=ended)
    assert store.runs() == [replace(run, status=RunStatus.COMPLETE, ended_at=ended)]


def test_finishing_without_an_end_time_stamps_now_in_utc(store):
    store.begin_run(full_run("r1", ended_at=None))
    before = datetime.now(timezone.utc)
    store.finish_run("r1", RunStatus.INCOMPLETE)
    finished = store.get_run("r1")
    assert finished.status is RunStatus.INCOMPLETE
    assert finished.ended_at is not None and finished.ended_at.tzinfo is not None
    assert finished.ended_at >= before - timedelta(seconds=1)


def test_measurements_read_back_whole_and_an_update_replaces_every_field(store):
    store.begin_run(full_run("r1"))
    first = measurement("r1", "t::b", "step_ms", 12.5)
    second = measurement("r1", "t::a", "top1", 0.9, unit="fraction", higher_is_better=True)
    assert store.record([first, second]) == 2
    assert store.record([]) == 0
    assert store.measurements("r1") == [second, first]  # by test, then metric
    changed = replace(first, value=None, unit="s", higher_is_better=True,
                      status=MeasurementStatus.INVALID, recorded_at=T0 + timedelta(hours=2))
    store.record([changed])
    assert store.measurements("r1") == [second, changed]
    assert store.count_measurements() == 2


def test_history_selects_one_test_and_one_metric_among_several(store):
    for index in range(3):
        run = full_run(f"r{index}", minutes=index)
        store.begin_run(run)
        store.record([measurement(run.run_id, "t::a", "step_ms", 10.0 + index),
                      measurement(run.run_id, "t::a", "peak_mb", 500.0 + index),
                      measurement(run.run_id, "t::b", "step_ms", 90.0 + index)])
    history = store.history("t::a", "step_ms")
    assert [(run.run_id, item) for run, item in history] == [
        (f"r{index}", measurement(f"r{index}", "t::a", "step_ms", 10.0 + index))
        for index in range(3)
    ]
    assert history[0][0] == full_run("r0")
    assert [item.value for _, item in store.history("t::b", "step_ms")] == [90.0, 91.0, 92.0]
    assert store.history("t::b", "peak_mb") == []
    assert store.series_names() == [("t::a", "peak_mb"), ("t::a", "step_ms"),
                                    ("t::b", "step_ms")]


def test_history_of_an_environment_segment_and_ties_in_start_time(store):
    other = replace(ENV, hostname="gpu-b")
    for run_id, env in (("rb", ENV), ("ra", ENV), ("rc", other)):
        store.begin_run(full_run(run_id, env=env))
        store.record([measurement(run_id, "t::a", "step_ms", 1.0)])
    assert [run.run_id for run, _ in store.history("t::a", "step_ms")] == ["ra", "rb", "rc"]
    segment = store.history("t::a", "step_ms", other.fingerprint)
    assert [run.run_id for run, _ in segment] == ["rc"]


def test_runs_in_both_orders_with_a_limit(store):
    for index, run_id in enumerate(["r0", "r1", "r2"]):
        store.begin_run(full_run(run_id, minutes=index))
    assert [run.run_id for run in store.runs()] == ["r2", "r1", "r0"]
    assert [run.run_id for run in store.runs(limit=2)] == ["r2", "r1"]
    assert [run.run_id for run in store.runs(newest_first=False)] == ["r0", "r1", "r2"]
    assert store.last_run() == full_run("r2", minutes=2)


def test_an_empty_store_has_no_last_run_and_the_current_schema(store):
    assert store.last_run() is None
    assert store.schema_version == schema.SCHEMA_VERSION
    assert store.count_measurements() == 0


def test_unpublished_runs_are_per_target_oldest_first(store):
    for index in range(3):
        store.begin_run(full_run(f"r{index}", minutes=index))
    store.mark_published("r1", "sheet-A")
    store.mark_published("r1", "sheet-A")
    assert [run.run_id for run in store.unpublished_runs("sheet-A")] == ["r0", "r2"]
    assert [run.run_id for run in store.unpublished_runs("book.xlsx")] == ["r0", "r1", "r2"]


def test_published_marks_are_per_target_and_none_forgets(store):
    store.set_published_marks("sheet-A", {"v1": "d1", "v2": "d2"})
    store.set_published_marks("sheet-B", {"v1": "x1"})
    store.set_published_marks("sheet-A", {"v1": None, "v2": "d3"})
    store.set_published_marks("sheet-A", {})
    assert store.published_marks("sheet-A") == {"v2": "d3"}
    assert store.published_marks("sheet-B") == {"v1": "x1"}
    store.set_published_marks("sheet-B", {"v1": None})
    assert store.published_marks("sheet-B") == {}


def test_verdicts_read_back_whole_oldest_first(store):
    later, earlier = stored("k2", verdict("r2"), minutes=5), stored("k1", verdict("r1"))
    seen = []
    assert store.update_verdicts(lambda old: seen.append(old) or [later, earlier]) == [
        later, earlier]
    assert seen == [[]]
    assert store.verdicts() == [earlier, later]
    assert store.update_verdicts(lambda old: seen.append(old) or []) == []
    assert seen[-1] == [earlier, later]


def test_open_only_leaves_out_retracted_verdicts(store):
    kept = stored("k1", verdict("r1"), state=VerdictState.UNCONFIRMED)
    gone = stored("k2", verdict("r2", kind=VerdictKind.IMPROVEMENT),
                  state=VerdictState.RETRACTED, minutes=1)
    store.update_verdicts(lambda _: [kept, gone])
    assert store.verdicts(open_only=True) == [kept]
    assert store.verdicts() == [kept, gone]


def test_triage_is_set_counted_cleared_and_never_overwritten_by_detection(store):
    first, second = stored("k1", verdict("r1")), stored("k2", verdict("r2"), minutes=1)
    store.update_verdicts(lambda _: [first, second])
    triage = Triage(TriageState.FIXED, note="reverted", fixed_by="d" * 40,
                    expires_at=T0 + timedelta(days=30), triaged_at=T0 + timedelta(hours=3))
    assert store.set_triage(["k1", "k1", "missing"], triage) == 1
    assert store.set_triage([], triage) == 0
    moved = replace(first, state=VerdictState.RETRACTED, updated_at=T0 + timedelta(days=1))
    store.update_verdicts(lambda _: [moved])
    assert store.verdicts() == [replace(moved, triage=triage), second]
    assert store.set_triage(["k1"], None) == 1
    assert store.verdicts()[0] == moved


def test_alerted_states_are_remembered_per_verdict(store):
    first, second = stored("k1", verdict("r1")), stored("k2", verdict("r2"), minutes=1)
    store.update_verdicts(lambda _: [first, second])
    store.mark_alerted({"k1": "confirmed", "k2": "unconfirmed"})
    store.mark_alerted({})
    assert [item.alerted_state for item in store.verdicts()] == ["confirmed", "unconfirmed"]


def test_opening_without_create_needs_an_existing_file(tmp_path):
    missing = tmp_path / "none" / "results.db"
    with pytest.raises(StoreError, match="^no results store at .*results.db: run the suites "
                       r"first \(`nox -s integration`\), or point HARNESS_STORE at an "
                       "existing store$"):
        Store.open(str(missing), create=False)
    assert not missing.parent.exists()


def test_a_url_whose_driver_is_missing_is_a_store_error():
    with pytest.raises(StoreError, match="^cannot open store "):
        Store("mysql+nosuchdriver://user@localhost/db")


def test_a_failed_write_is_a_store_error_naming_the_store(store):
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE measurements"))
    store.begin_run(full_run("r1"))
    with pytest.raises(StoreError, match="^writing to store .*results.db failed: "):
        store.record([measurement("r1", "t::a", "step_ms", 1.0)])


def test_sqlite_stores_run_in_wal_mode_and_wait_for_writers(store):
    with store.engine.connect() as conn:
        pragmas = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}
    wait_ms = round(float(resolve().store_timeout) * 1000)  # the store_timeout setting
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": wait_ms,
                       "foreign_keys": 1}


def test_no_other_writer_can_start_while_verdicts_are_being_decided(store):
    database = store.url.removeprefix("sqlite:///")
    outcomes = []

    def change(_stored):
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            outcomes.append("started")
            other.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            outcomes.append(str(error))
        finally:
            other.close()
        return []

    store.update_verdicts(change)
    assert outcomes == ["database is locked"]


def test_each_backend_gets_its_own_upsert_and_others_are_refused():
    def ignore(*_args, **_kwargs):
        return None

    assert isinstance(_insert(create_mock_engine("postgresql://", ignore), schema.runs),
                      postgresql.Insert)
    assert isinstance(_insert(create_mock_engine("sqlite://", ignore), schema.runs),
                      sqlite.Insert)
    with pytest.raises(StoreError, match="^unsupported database 'mysql': use SQLite or "):
        _insert(create_mock_engine("mysql://", ignore), schema.runs)


def test_a_store_from_a_newer_harness_and_a_file_that_is_no_database_are_refused(tmp_path):
    path = tmp_path / "results.db"
    Store.open(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE {schema.meta.name} SET value = '999' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(StoreError, match=r"^store sqlite:///.*results\.db: "):
        Store.open(str(path))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError,
                       match=r"^cannot use store sqlite:///.*junk\.db: file is not a database$"):
        Store.open(str(junk))


def test_open_store_passes_create_on(tmp_path):
    with pytest.raises(StoreError, match="^no results store at "):
        open_store(str(tmp_path / "missing.db"), create=False)
    opened = open_store(str(tmp_path / "made.db"))
    assert opened.last_run() is None and (tmp_path / "made.db").is_file()
    opened.close()


def test_runs_and_verdicts_that_tie_are_ordered_by_id(store):
    for run_id in ("rb", "ra", "rc"):
        store.begin_run(full_run(run_id))
    assert [run.run_id for run in store.runs()] == ["ra", "rb", "rc"]
    assert [run.run_id for run in store.runs(newest_first=False)] == ["ra", "rb", "rc"]
    assert [run.run_id for run in store.unpublished_runs("t")] == ["ra", "rb", "rc"]
    items = [stored(key, verdict(key)) for key in ("kb", "ka", "kc")]
    store.update_verdicts(lambda _: items)
    assert [item.key for item in store.verdicts()] == ["ka", "kb", "kc"]


def test_reads_order_by_time_before_id(store):
    # ids in the opposite order of their start times
    for minutes, run_id in enumerate(["rc", "rb", "ra"]):
        store.begin_run(full_run(run_id, minutes=minutes))
        store.record([measurement(run_id, "t::a", "step_ms", float(minutes))])
    assert [run.run_id for run, _ in store.history("t::a", "step_ms")] == ["rc", "rb", "ra"]
    assert [run.run_id for run in store.unpublished_runs("t")] == ["rc", "rb", "ra"]
    assert [run.run_id for run in store.runs()] == ["ra", "rb", "rc"]
    later, earlier = stored("k1", verdict("r1"), minutes=5), stored("k2", verdict("r2"))
    store.update_verdicts(lambda _: [later, earlier])
    assert [item.key for item in store.verdicts()] == ["k2", "k1"]


def test_names_and_measurements_are_sorted_by_test_then_metric(store):
    store.begin_run(full_run("r1"))
    store.record([measurement("r1", "t::a", "z", 1.0), measurement("r1", "t::b", "a", 2.0),
                  measurement("r1", "t::a", "b", 3.0)])
    assert store.series_names() == [("t::a", "b"), ("t::a", "z"), ("t::b", "a")]
    assert [(item.test, item.metric) for item in store.measurements("r1")] == [
        ("t::a", "b"), ("t::a", "z"), ("t::b", "a")]


def test_forgetting_one_mark_keeps_the_others_of_the_target(store):
    store.set_published_marks("sheet-A", {"v1": "d1", "v2": "d2"})
    store.set_published_marks("sheet-A", {"v1": None})
    assert store.published_marks("sheet-A") == {"v2": "d2"}


def test_readers_are_not_blocked_by_a_writer(store):
    store.begin_run(full_run("r1"))
    writer = sqlite3.connect(store.url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE runs SET branch = 'elsewhere'")
    try:
        assert [run.git.branch for run in store.runs()] == ["feature/x"]  # the committed state
    finally:
        writer.execute("ROLLBACK")
        writer.close()
