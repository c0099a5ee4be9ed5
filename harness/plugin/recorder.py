"""The run being recorded: created at the first measurement, finished at session end."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.records import Measurement, Run, RunStatus
    from harness.store import Store


def new_run_id() -> str:
    """A fresh, globally unique run id (128 random bits, as hex)."""
    return os.urandom(16).hex()


class RunRecorder:
    """Writes one run's measurements to the store as each test finishes.

    The store is opened lazily, so a session that measures nothing touches no database and
    pays for no imports. A run row is written with status INCOMPLETE before the first
    measurement, so a process that dies later leaves an incomplete run with every result
    measured before the crash.
    """

    def __init__(self, store_target: str | None, run_id: str, rootdir: Path, enabled: bool):
        self.store_target = store_target
        self.run_id = run_id
        self.rootdir = rootdir
        self.enabled = enabled
        self.written = 0
        self._store: Store | None = None
        self._run: Run | None = None

    @property
    def store(self):
        """The opened store (opened on first use). A store that cannot be used ends the
        session at once with its error (pytest.exit), instead of erroring every test."""
        if self._store is None:
            from harness.store import StoreError  # pylint: disable=import-outside-toplevel

            try:
                self.open_store()
            except StoreError as error:  # an xdist worker, which opens it at its first write
                self.enabled = False  # nothing more is written, and the run is not finished
                pytest.exit(f"harness: {error}", returncode=pytest.ExitCode.INTERRUPTED)
        return self._store

    def open_store(self) -> None:
        """Open the store now (raises StoreError when it cannot be used)."""
        if self._store is None:
            from harness.store import Store  # pylint: disable=import-outside-toplevel  # lazy

            self._store = Store.open(self.store_target)

    @property
    def run(self) -> Run | None:
        """The run, once something has been recorded."""
        return self._run

    def ensure_run(self) -> Run:
        """Create the run record (git and environment collected now) if not done yet."""
        if self._run is None:
            # pylint: disable=import-outside-toplevel  # only sessions that measure pay for these
            from harness.measure.environment import collect_environment
            from harness.measure.gitinfo import read_git_info
            from harness.records import Run, utc_now

            run = Run(
                run_id=self.run_id,
                started_at=utc_now(),
                git=read_git_info(self.rootdir),
                env=collect_environment(),
            )
            self.store.begin_run(run)
            self._run = run
        return self._run

    def write(self, items: Iterable[Measurement]) -> int:
        """Persist measurements now (one transaction). Returns how many were written."""
        batch = list(items)
        if not batch or not self.enabled:
            return 0
        self.ensure_run()
        count = self.store.record(batch)
        self.written += count
        return count

    def write_config(self, test: str, config: Mapping[str, Any]) -> None:
        """Persist what `test` ran with (its training arguments, model config)."""
        if not self.enabled:
            return
        self.ensure_run()
        self.store.record_config(self.run_id, test, config)

    def finish(self, status: RunStatus) -> bool:
        """Close the run with `status`; False when this process recorded nothing."""
        if self._run is None:
            return False
        self.store.finish_run(self.run_id, status)
        return True

    def close(self) -> None:
        """Release the store's connections."""
        if self._store is not None:
            self._store.close()
