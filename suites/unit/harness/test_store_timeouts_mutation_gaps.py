"""The store's timeouts and refusals exactly: PostgreSQL connect arguments, the timeout a
store keeps and where Store.open finds it, messages of folders that cannot be made and of
timeouts, what create=False leaves alone, configs with non-JSON values, and ties in time."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from harness.detect.series import series_from_store
from harness.records import Measurement, Run
from harness.store import Store, StoreError
from harness.store.store import _connect_args  # pylint: disable=protected-access

T0 = datetime(2026, 3, 4, tzinfo=timezone.utc)


@pytest.mark.parametrize("url", ["postgresql://u@db/h", "postgresql+psycopg://u@db/h",
                                 "postgres://u@db/h"])
def test_postgresql_gives_up_connecting_and_cancels_statements_after_the_timeout(url):
    assert _connect_args(url, 30.0) == {"connect_timeout": 30,
                                        "options": "-c statement_timeout=30000"}
    assert _connect_args(url, 2.6) == {"connect_timeout": 3,
                                       "options": "-c statement_timeout=2600"}
    assert _connect_args(url, 0.4) == {"connect_timeout": 2,  # libpq's smallest useful wait
                                       "options": "-c statement_timeout=400"}


def test_sqlite_has_no_connect_arguments():
    assert not _connect_args("sqlite:///x.db", 30.0)


def test_a_store_keeps_its_timeout_and_open_reads_it_from_the_settings(tmp_path, monkeypatch):
    assert Store(f"sqlite:///{tmp_path / 'a.db'}", timeout_s=7.5).timeout_s == 7.5
    monkeypatch.setenv("HARNESS_STORE_TIMEOUT", "12.5")
    assert Store.open(str(tmp_path / "b.db")).timeout_s == 12.5


def test_a_folder_that_cannot_be_made_says_why(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        Store(f"sqlite:///{blocker / 'sub' / 'x.db'}")
    assert str(caught.value) == (f"cannot create the store's folder {blocker / 'sub'}: "
                                 "Not a directory; point HARNESS_STORE at a writable path")


def test_without_create_no_folder_is_made(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError):
        Store(f"sqlite:///{tmp_path / 'missing' / 'x.db'}", create=False)
    assert not (tmp_path / "missing").exists()
    Store("sqlite://")  # in memory: no folder either
    assert not list(Path(".").iterdir())


def test_a_missing_driver_is_refused_without_showing_the_password():
    with pytest.raises(StoreError) as caught:
        Store("postgresql+nosuchdriver://user:secret@db/h")
    assert "secret" not in str(caught.value)
    assert str(caught.value).startswith("cannot open store postgresql+nosuchdriver://user:***@db/h")


def test_a_timeout_while_opening_names_the_setting(tmp_path, monkeypatch):
    def timing_out(_engine, create):  # pylint: disable=unused-argument
        raise OperationalError("SELECT 1", {}, Exception("connection Timeout expired\nmore"))

    monkeypatch.setattr("harness.store.migrate.prepare", timing_out)
    with pytest.raises(StoreError) as caught:
        Store(f"sqlite:///{tmp_path / 'x.db'}", timeout_s=7.5)
    assert str(caught.value).endswith(
        "connection Timeout expired (after 7.5 s, the store_timeout setting: "
        "HARNESS_STORE_TIMEOUT)")

    def refusing(_engine, create):  # pylint: disable=unused-argument
        raise OperationalError("SELECT 1", {}, Exception("disk I/O error"))

    monkeypatch.setattr("harness.store.migrate.prepare", refusing)
    with pytest.raises(StoreError) as caught:
        Store(f"sqlite:///{tmp_path / 'y.db'}")
    assert str(caught.value).endswith("disk I/O error")


def test_a_config_with_values_json_does_not_know_reads_back_as_text(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.begin_run(Run("r1", T0))
    store.record_config("r1", "t::a", {"data": tmp_path, "lr": 0.1})
    assert store.configs("r1") == {"t::a": {"data": str(tmp_path), "lr": 0.1}}


def test_series_order_runs_started_together_by_id(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    for run_id in ("r2", "r1", "r3"):
        store.begin_run(Run(run_id, T0))
        store.record([Measurement(run_id, "t::a", "m", 1.0, recorded_at=T0)])
    [series] = series_from_store(store)
    assert [point.run_id for point in series.points] == ["r1", "r2", "r3"]
    assert [point.run_index for point in series.points] == [0, 1, 2]
