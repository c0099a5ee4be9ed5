"""A brand-new SQLite store opened while another process writes to the file: SQLite refuses
the switch to WAL at once, without its busy wait, so the store waits for the lock itself."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from harness.store import Store, StoreError


def rollback_mode_writer(path) -> sqlite3.Connection:
    """A connection holding the write lock of a file that is not in WAL mode yet."""
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE other_tool (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO other_tool VALUES (1)")
    return writer


def test_the_store_waits_for_a_writer_before_switching_the_file_to_wal(tmp_path):
    path = tmp_path / "results.db"
    writer = rollback_mode_writer(path)
    threading.Timer(0.3, writer.execute, ("COMMIT",)).start()

    store = Store(f"sqlite:///{path}", timeout_s=10)

    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("SELECT x FROM other_tool").scalars().all() == [1]
    store.close()
    writer.close()


def test_a_writer_that_keeps_the_lock_is_a_store_error_after_the_timeout(tmp_path):
    path = tmp_path / "results.db"
    writer = rollback_mode_writer(path)
    started = time.monotonic()

    with pytest.raises(StoreError, match=r"database is locked \(after 0.4 s, the store_timeout "
                                         r"setting: HARNESS_STORE_TIMEOUT\)$"):
        Store(f"sqlite:///{path}", timeout_s=0.4)

    assert time.monotonic() - started >= 0.4
    writer.execute("COMMIT")
    assert writer.execute("SELECT x FROM other_tool").fetchall() == [(1,)]
    writer.close()
