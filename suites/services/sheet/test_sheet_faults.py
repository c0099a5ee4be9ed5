"""Exactly once under faults: the fault matrix, and a late write repaired by the next publish.

Slower than unit tests (each case waits out timeouts and settling on purpose).
"""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import pytest

from harness.cli.publish import publish_runs
from harness.publish.layout import RUNS_TAB, SUMMARY_TAB
from harness.publish.sheet import SheetTarget
from harness.testing.fault_matrix import CASES, TEST_POLICY, count_rows, run_case
from harness.testing.fixtures import add_runs
from harness.testing.sheets_server import SheetsServer


def test_a_late_duplicate_is_removed_by_the_next_publish(store, workdir):
    add_runs(store, 3, metrics=4)
    clean, late, after = store.runs(newest_first=False)
    with SheetsServer(stall_s=1.6) as server:  # outlasts timeout + 2 settles: lands too late
        key = server.create_spreadsheet()
        credentials = server.service_account_file(workdir / "sa.json")
        target = SheetTarget(key, credentials, server.url, TEST_POLICY)
        publish_runs(store, target, [clean], 5.0, lambda _: None)
        server.inject("stall-then-write")
        publish_runs(store, target, [late], 5.0, lambda _: None)
        server.wait_idle()
        keys = {str(row[0]) for row in server.values(key, RUNS_TAB)[1:]}
        assert count_rows(server, key, RUNS_TAB, keys) == (0, 4)  # the late write landed twice
        publish_runs(store, target, [after], 5.0, lambda _: None)
        keys = {str(row[0]) for row in server.values(key, RUNS_TAB)[1:]}
        assert len(keys) == 12 and count_rows(server, key, RUNS_TAB, keys) == (0, 0)
        runs = {clean.run_id, late.run_id, after.run_id}
        assert count_rows(server, key, SUMMARY_TAB, runs) == (0, 0)


@pytest.mark.parametrize("case", CASES, ids=[case.fault + "@" + case.on for case in CASES])
def test_fault_matrix_leaves_every_row_exactly_once(case, tmp_path):
    result = run_case(case, tmp_path)
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.expected == 3 * 20 + 3
