"""The store: round trips, idempotent writes, ordering, publication bookkeeping, errors."""

from datetime import datetime, timedelta, timezone

import pytest

from harness.records import Environment, GitInfo, Measurement, MeasurementStatus, Run, RunStatus
from harness.store import Store, StoreError
from harness.store.locate import resolve_store_target, to_url

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def make_run(run_id: str, minutes: int = 0, commit: str = "a" * 40, host: str = "runner-a") -> Run:
    """A run started `minutes` after T0."""
    return Run(
        run_id=run_id,
        started_at=T0 + timedelta(minutes=minutes),
        git=GitInfo(commit=commit, branch="main", subject="Do a thing", dirty=False),
        env=Environment(python="3.11", torch="2.13.0", hostname=host),
    )


@pytest.fixture(name="store")
def fixture_store(tmp_path):
    opened = Store.open(str(tmp_path / "results.db"))
    yield opened
    opened.close()


def test_run_round_trip(store):
    run = make_run("r1")
    store.begin_run(run)
    assert store.last_run() == run
    assert store.finish_run("r1", RunStatus.COMPLETE)
    finished = store.get_run("r1")
    assert finished.status is RunStatus.COMPLETE and finished.ended_at is not None
    assert not store.finish_run("missing", RunStatus.COMPLETE)


def test_measurements_are_upserted_never_duplicated(store):
    store.begin_run(make_run("r1"))
    first = Measurement.checked("r1", "t::a", "acc", 0.5)
    store.record(
        [first, Measurement.checked("r1", "t::a", "loss", float("nan"), higher_is_better=False)]
    )
    store.record([Measurement.checked("r1", "t::a", "acc", 0.75)])
    values = {m.metric: m for m in store.measurements("r1")}
    assert store.count_measurements() == 2
    assert values["acc"].value == 0.75
    assert values["loss"].status is MeasurementStatus.INVALID and values["loss"].value is None
    assert values["loss"].higher_is_better is False


def test_history_is_ordered_and_segmented_by_environment(store):
    for index, host in enumerate(["runner-a", "runner-b", "runner-a"]):
        run = make_run(f"r{index}", minutes=index, host=host)
        store.begin_run(run)
        store.record([Measurement.checked(run.run_id, "t::a", "acc", index / 10)])
    history = store.history("t::a", "acc")
    assert [m.value for _, m in history] == [0.0, 0.1, 0.2]
    segment = history[0][0].env.fingerprint
    assert [m.value for _, m in store.history("t::a", "acc", segment)] == [0.0, 0.2]
    assert store.series_names() == [("t::a", "acc")]


def test_runs_newest_first_and_prefix_lookup(store):
    store.begin_run(make_run("abc1", minutes=1))
    store.begin_run(make_run("abd2", minutes=2))
    assert [run.run_id for run in store.runs()] == ["abd2", "abc1"]
    assert store.get_run("abc").run_id == "abc1"
    with pytest.raises(StoreError, match="ambiguous"):
        store.get_run("ab")
    with pytest.raises(StoreError, match="no run"):
        store.get_run("zzz")


def test_publication_bookkeeping(store):
    for index in range(3):
        store.begin_run(make_run(f"r{index}", minutes=index))
    store.mark_published("r1", "workbook:x")
    store.mark_published("r1", "workbook:x")
    assert [run.run_id for run in store.unpublished_runs("workbook:x")] == ["r0", "r2"]
    assert len(store.unpublished_runs("sheet:y")) == 3


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no results store"):
        Store.open(str(tmp_path / "absent.db"), create=False)
    assert not (tmp_path / "absent.db").exists()


def test_foreign_database_is_rejected(tmp_path):
    import sqlite3  # pylint: disable=import-outside-toplevel

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE harness_meta (key TEXT PRIMARY KEY, value TEXT)")
    with pytest.raises(StoreError, match="not a harness results store"):
        Store.open(str(path), create=False)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    Store.open(str(path)).close()
    import sqlite3  # pylint: disable=import-outside-toplevel

    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE harness_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="upgrade harness"):
        Store.open(str(path))


def test_store_target_resolution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_STORE", raising=False)
    assert resolve_store_target() == ".harness/results.db"
    (tmp_path / "pyproject.toml").write_text('[tool.harness]\nstore = "db/x.db"\n')
    assert resolve_store_target() == "db/x.db"
    monkeypatch.setenv("HARNESS_STORE", "postgresql://u:secret@h/db")
    assert resolve_store_target() == "postgresql://u:secret@h/db"
    assert resolve_store_target("explicit.db") == "explicit.db"
    assert to_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert to_url("rel.db") == f"sqlite:///{tmp_path / 'rel.db'}"


def test_malformed_config_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_STORE", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.harness\nstore = 1\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        resolve_store_target()
    (tmp_path / "pyproject.toml").write_text("[tool.harness]\nstore = 1\n")
    with pytest.raises(ValueError, match="must be a string"):
        resolve_store_target()


def test_measurement_details_round_trip_and_follow_the_latest_write(store):
    store.begin_run(make_run("r1"))
    store.record([
        Measurement("r1", "t::a", "top1", 0.5, details={"samples": "AQID", "rounds": 3}),
        Measurement("r1", "t::a", "loss", 1.5),
    ])
    assert {m.metric: m.details for m in store.measurements("r1")} == {
        "loss": {}, "top1": {"rounds": 3, "samples": "AQID"},
    }
    store.record([Measurement("r1", "t::a", "top1", 0.6, details={"rounds": 9})])
    [(_, item)] = store.history("t::a", "top1")
    assert (item.value, item.details) == (0.6, {"rounds": 9})


def test_test_configs_are_kept_per_run_and_test(store):
    store.begin_run(make_run("r1"))
    store.begin_run(make_run("r2", minutes=1))
    store.record_config("r1", "t::a", {"lr": 0.1, "nested": {"depth": 2}})
    store.record_config("r1", "t::b", {"lr": 0.2})
    store.record_config("r2", "t::a", {"lr": 0.3})
    store.record_config("r1", "t::a", {"lr": 0.4})  # a repeat replaces
    assert store.configs("r1") == {"t::a": {"lr": 0.4}, "t::b": {"lr": 0.2}}
    assert store.configs("r2") == {"t::a": {"lr": 0.3}}
    assert store.configs("missing") == {}


def test_valid_points_are_the_usable_measurements_with_only_sample_details(store):
    store.begin_run(make_run("r1"))
    store.begin_run(make_run("r2", 10))
    store.record([
        Measurement("r1", "t.py::a", "top1", 0.5, "fraction", True,
                    details={"samples": "AQID", "rounds": 3}),
        Measurement("r1", "t.py::a", "ms", 12.0, "ms", False, details={"rounds": 7}),
        Measurement("r1", "t.py::a", "train_ms", 9.0, "ms", False, details={"ci_rel": 0.02}),
        Measurement("r1", "t.py::b", "ms", None, "ms", False,
                    status=MeasurementStatus.INVALID),
        Measurement("r1", "t.py::b", "unmeasured", None),  # no value, though not marked
        Measurement("r2", "t.py::b", "ms", 3.0, "ms", False),
        Measurement("r2", "t.py::b", "count", 4.0),  # no unit
        Measurement("r2", "t.py::b", "loss", 2.0, status=MeasurementStatus.INVALID),
    ])
    points = sorted(store.valid_points())
    assert [tuple(point) for point in points] == [
        ("r1", "t.py::a", "ms", 12.0, "ms", False, None),
        ("r1", "t.py::a", "top1", 0.5, "fraction", True, '{"rounds": 3, "samples": "AQID"}'),
        ("r1", "t.py::a", "train_ms", 9.0, "ms", False, '{"ci_rel": 0.02}'),
        ("r2", "t.py::b", "count", 4.0, "", True, None),
        ("r2", "t.py::b", "ms", 3.0, "ms", False, None),
    ]


def test_a_store_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the store's folder .*file"):
        Store.open(str(blocker / "sub" / "results.db"))
