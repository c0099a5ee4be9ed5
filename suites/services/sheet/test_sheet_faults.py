"""Exactly once under faults: the fault matrix, and a late write repaired by the next publish.

Slower than unit tests (each case waits out timeouts and settling on purpose).
"""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.stages.publish import publish_runs
from harness.publish.collect import RecordsCollector
from harness.publish.layout import RUNS_TAB, SUMMARY_TAB, build_content, row_key
from harness.publish.sheet import SheetTarget
from harness.testing.fault_matrix import CASES, TEST_POLICY, count_rows, run_case
from harness.testing.fixtures import add_runs
from harness.testing.sheets_server import SheetsServer


def test_a_late_duplicate_is_removed_by_the_next_publish(store, workdir):
    add_runs(store, 3, metrics=4)
    clean, late, after = store.runs(newest_first=False)
    with SheetsServer(stall_s=3.0) as server:  # outlasts timeout + 2 settles: lands too late
        key = server.create_spreadsheet()
        credentials = server.service_account_file(workdir / "sa.json")
        target = SheetTarget(key, credentials, server.url, TEST_POLICY)
        publish_runs(store, target, [clean], lambda _: None)
        server.inject("stall-then-write")
        publish_runs(store, target, [late], lambda _: None)
        server.wait_idle()
        keys = {str(row[0]) for row in server.values(key, RUNS_TAB)[1:]}
        assert count_rows(server, key, RUNS_TAB, keys) == (0, 4)  # the late write landed twice
        publish_runs(store, target, [after], lambda _: None)
        keys = {str(row[0]) for row in server.values(key, RUNS_TAB)[1:]}
        assert len(keys) == 12 and count_rows(server, key, RUNS_TAB, keys) == (0, 0)
        runs = {clean.run_id, late.run_id, after.run_id}
        assert count_rows(server, key, SUMMARY_TAB, runs) == (0, 0)


@pytest.mark.parametrize("case", CASES, ids=[
    case.fault + "@" + case.on + ("+recolour" if case.recolour else "") for case in CASES])
def test_fault_matrix_leaves_every_row_exactly_once(case, tmp_path):
    result = run_case(case, tmp_path)
    assert (result.lost, result.duplicated) == (0, 0)
    # Runs rows and Summary rows, plus a Regressions row whose Summary cell is restyled.
    assert result.expected == 3 * 20 + 3 + int(case.recolour)


def test_rows_written_before_a_crash_are_not_written_again(store, sheet_env, server):
    add_runs(store, 2, metrics=5)
    # The sheet got the rows, then the process died before marking the runs published.
    batch = RecordsCollector(store).collect(store.runs(newest_first=False))
    target = SheetTarget(sheet_env, Path("service-account.json"), server.url, TEST_POLICY)
    target.write(build_content(batch))
    assert len(store.unpublished_runs(target.name)) == 2
    assert main(["--store", "results.db", "sync"]) == 0
    keys = {str(row[0]) for row in server.values(sheet_env, RUNS_TAB)[1:]}
    assert len(keys) == 10 and count_rows(server, sheet_env, RUNS_TAB, keys) == (0, 0)
    assert not store.unpublished_runs(target.name)


def test_a_sync_killed_mid_write_and_run_again_leaves_each_row_once(store, sheet_env, server):
    add_runs(store, 3, metrics=5)
    runs = store.runs(newest_first=False)
    assert main(["--store", "results.db", "publish", runs[0].run_id]) == 0  # creates the tabs
    server.reset_counts()
    server.stall_s = 2.0
    server.inject("stall-then-write")  # the rows' write hangs, and lands after the kill
    command = [sys.executable, "-m", "harness.cli", "--store", "results.db", "sync"]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as child:
        deadline = time.monotonic() + 30
        while not any(op == "batchUpdate" for op, _ in server.log):
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    server.wait_idle()
    assert len(store.unpublished_runs(f"sheet:{sheet_env}")) == 2
    assert len(server.values(sheet_env, RUNS_TAB)) == 1 + 3 * 5  # the killed write landed
    assert main(["--store", "results.db", "sync"]) == 0
    expected = {row_key(m.run_id, m.test, m.metric)
                for run in runs for m in store.measurements(run.run_id)}
    assert count_rows(server, sheet_env, RUNS_TAB, expected) == (0, 0)
    assert count_rows(server, sheet_env, SUMMARY_TAB, {r.run_id for r in runs}) == (0, 0)
