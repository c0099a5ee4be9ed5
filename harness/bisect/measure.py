"""One measurement: run the chosen pytest test into a fresh temporary store, read it back."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.store import STORE_ENV, Store


def _pick(store: Store, test: str, metric: str) -> float | None:
    names = store.series_names()
    matches = [name for name in names if name == (test, metric)]
    if not matches:  # the recorded id may be a full node id containing the given name
        matches = [name for name in names if name[1] == metric and test in name[0]]
    if len(matches) != 1:
        return None
    history = store.history(*matches[0])
    return history[-1][1].value if history else None


def measure_once(test: str, metric: str, cwd: Path, pytest_args: list[str] | None = None,
                 timeout: float = 1800.0) -> float | None:
    """The metric's value from one pytest run of `test`, or None if it did not record one."""
    with tempfile.TemporaryDirectory(prefix="harness-bisect-") as scratch:
        env = dict(os.environ, **{STORE_ENV: str(Path(scratch) / "results.db")})
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test,
                   *(pytest_args or [])]
        try:
            subprocess.run(command, cwd=cwd, env=env, timeout=timeout, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None
        if not (Path(scratch) / "results.db").exists():
            return None
        store = Store.open(env[STORE_ENV], create=False)
        try:
            return _pick(store, test, metric)
        finally:
            store.close()


def measure(test: str, metric: str, cwd: Path, repeat: int,
            pytest_args: list[str] | None = None) -> list[float]:
    """`repeat` measurements (runs that recorded nothing are left out)."""
    values = [measure_once(test, metric, cwd, pytest_args) for _ in range(repeat)]
    return [value for value in values if value is not None]
