"""A store made by the v1 code is upgraded in place, once, keeping every row (both backends)."""

from __future__ import annotations

import multiprocessing
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import schema_v1  # pylint: disable=import-error  # pytest puts this folder on sys.path
from sqlalchemy import create_engine, inspect

from harness.records import Measurement
from harness.store import Store, StoreError, schema
from harness.store.migrate import MIGRATIONS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-v1.db"
TEST = "suites/integration/test_train.py::test_resnet"


def build_v1_store(url: str) -> None:
    """Create the v1 tables with the v1 DDL and fill them as the v1 store did."""
    engine = create_engine(url)
    moment = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        schema_v1.metadata.create_all(conn)
        conn.execute(schema_v1.meta.insert(), [{"key": "schema_version", "value": "1"}])
        conn.execute(schema_v1.runs.insert(), [
            {"run_id": f"old-{host}", "started_at": moment, "status": "complete",
             "commit_sha": "abc", "env_fingerprint": f"fp-{host}",
             "env": f'{{"hostname": "{host}"}}'}
            for host in ("a", "b")
        ])
        conn.execute(schema_v1.measurements.insert(), [
            {"run_id": f"old-{host}", "test": TEST, "metric": "top1", "value": 0.8,
             "unit": "", "higher_is_better": True, "status": "ok", "recorded_at": moment}
            for host in ("a", "b")
        ])
    engine.dispose()


def series_index_exists(url: str) -> bool:
    """Whether the v2 index on measurements(test, metric) is in the database."""
    engine = create_engine(url)
    try:
        names = {index["name"] for index in inspect(engine).get_indexes("measurements")}
    finally:
        engine.dispose()
    return "ix_measurements_series" in names


def test_migrations_lead_to_the_current_schema_version():
    assert [step.version for step in MIGRATIONS] == list(range(2, schema.SCHEMA_VERSION + 1))


def test_a_v1_store_is_upgraded_in_place_keeping_its_rows(store_url):
    build_v1_store(store_url)
    assert not series_index_exists(store_url)

    store = Store.open(store_url)

    assert [step.version for step in store.migrations_applied] == [2, 3, 4]
    assert store.schema_version == schema.SCHEMA_VERSION
    assert series_index_exists(store_url)
    assert [run.run_id for run, _ in store.history(TEST, "top1")] == ["old-a", "old-b"]
    assert [m.details for _, m in store.history(TEST, "top1")] == [{}, {}]
    # still writable after the upgrade, with what v4 added
    store.record([Measurement("old-a", TEST, "top1", 0.9, details={"rounds": 7})])
    store.record_config("old-a", TEST, {"lr": 0.1})
    assert [(m.value, m.details) for _, m in store.history(TEST, "top1", "fp-a")] == [
        (0.9, {"rounds": 7})
    ]
    assert store.configs("old-a") == {TEST: {"lr": 0.1}}
    store.close()
    again = Store.open(store_url)
    assert again.migrations_applied == []
    again.close()


def test_the_committed_v1_sqlite_file_upgrades(tmp_path):
    copy = tmp_path / "store-v1.db"
    shutil.copyfile(FIXTURE, copy)
    store = Store.open(str(copy), create=False)
    assert [step.version for step in store.migrations_applied] == [2, 3, 4]
    assert len(store.runs()) == 2
    assert store.count_measurements() == 6
    assert [r.run_id for r in store.unpublished_runs("sheet:example")] == ["v1-run-runner-b"]
    store.close()
    assert series_index_exists(f"sqlite:///{copy}")


def _open_and_report(url: str, barrier, results) -> None:
    barrier.wait()
    store = Store.open(url)
    results.put([step.version for step in store.migrations_applied])
    store.close()


def test_processes_opening_an_old_store_at_once_upgrade_it_once(store_url):
    build_v1_store(store_url)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    workers = [
        context.Process(target=_open_and_report, args=(store_url, barrier, results))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    applied = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    # each migration ran exactly once, in order, though several processes may share the work
    assert sorted(version for steps in applied for version in steps) == [2, 3, 4]
    assert all(steps == sorted(steps) for steps in applied)
    assert Store.open(store_url).schema_version == schema.SCHEMA_VERSION


def test_a_store_from_a_newer_harness_is_refused(store_url):
    Store.open(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(schema.meta.update().values(value=str(schema.SCHEMA_VERSION + 1)))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this harness understands"):
        Store.open(store_url)


def test_a_database_that_is_not_a_store_is_refused(store_url):
    engine = create_engine(store_url)
    with engine.begin() as conn:
        schema_v1.runs.create(conn)  # a table of ours but no schema version: not ours to touch
    engine.dispose()
    with pytest.raises(StoreError, match="not a harness results store"):
        Store.open(store_url)
