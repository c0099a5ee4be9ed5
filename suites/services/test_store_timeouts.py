"""A store that does not answer is a clear error, not a hang: the store_timeout setting.

The silent server is a real TCP socket on loopback that accepts connections and never says a
word (a PostgreSQL host behind a stuck proxy, a server out of memory). The CLI and the pytest
plugin each run in a real process; their subprocess limit only keeps a regression from hanging
the suite.
"""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from harness.store import Store

pytest.importorskip("psycopg")


@pytest.fixture(name="silent_url")
def fixture_silent_url() -> Iterator[str]:
    """A PostgreSQL URL whose server accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    port = listener.getsockname()[1]
    yield f"postgresql+psycopg://harness:s3cret-pw@127.0.0.1:{port}/results"
    listener.close()
    for connection in held:
        connection.close()


def _harness(*args: str, timeout_s: str = "2") -> subprocess.CompletedProcess:
    env = {**os.environ, "HARNESS_STORE_TIMEOUT": timeout_s}
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def test_the_cli_gives_up_on_a_silent_server_with_one_line(silent_url):
    done = _harness("--store", silent_url, "check")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("harness: error: cannot use store")
    assert "HARNESS_STORE_TIMEOUT" in lines[0] and "after 2 s" in lines[0]
    assert "s3cret-pw" not in done.stderr + done.stdout


def test_pytest_with_a_silent_store_fails_once_with_the_stores_error(silent_url, tmp_path):
    (tmp_path / "test_many.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('index', range(50))\n"
        "def test_value(metrics, index):\n"
        "    metrics.record('value', float(index))\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--harness-store",
         silent_url, str(tmp_path / "test_many.py")],
        cwd=tmp_path, env={**os.environ, "HARNESS_STORE_TIMEOUT": "2"}, text=True,
        capture_output=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert output.count("harness: cannot use store") == 1, output
    assert "HARNESS_STORE_TIMEOUT" in output and "no tests ran" in output
    assert "Traceback" not in output and "s3cret-pw" not in output


def test_a_statement_past_the_timeout_is_cancelled(store_url):
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite has no statement timeout (store_timeout is its lock wait there)")
    store = Store(store_url, timeout_s=1)
    try:
        with pytest.raises(OperationalError, match="statement timeout"):
            with store.engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        store.close()
