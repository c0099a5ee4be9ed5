"""Two runners publishing into one workbook / one spreadsheet at once: every row exactly once.

Each runner is a real process with its own store, publishing its runs one at a time (one
load-modify-save or one Sheets write per run), so the two interleave many times.
benchmarks/concurrent_publish.py runs the same at 2 x 1,000 runs.
"""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from openpyxl import load_workbook

from harness.publish.layout import summary_keys
from harness.publish.workbook_periods import archives
from harness.testing.fixtures import add_runs, new_store

pytestmark = pytest.mark.slow  # writer processes racing on one target (CI runs it; see noxfile.py)

RUNS, METRICS = 8, 3

# One runner: its own store, then `publish` of each run in turn through the stage function.
RUNNER = """
import sys
from harness.settings import resolve
from harness.stages.publish import publish
from harness.store import Store

store = Store.open(sys.argv[1], create=False)
for run in store.runs(newest_first=False):
    publish(store, resolve(), [run])
print(len(store.unpublished_runs(sys.argv[2])))
"""


def _runner_stores(folder: Path) -> list[Path]:
    paths = []
    for number in range(2):
        (folder / f"runner{number}").mkdir()
        store = new_store(folder / f"runner{number}")
        add_runs(store, RUNS, METRICS, start=number * 1000)
        store.close()
        paths.append(folder / f"runner{number}" / "results.db")
    return paths


def _publish_at_once(stores: list[Path], target: str) -> None:
    with ExitStack() as running:
        runners = [running.enter_context(subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(path), target], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)) for path in stores]
        for runner in runners:
            out, err = runner.communicate(timeout=600)
            assert runner.returncode == 0, err[-2000:]
            assert out.strip() == "0", "every run is marked published"


def _assert_once(keys: list, summary_runs: list, header: list) -> None:
    assert len(set(header)) == len(header), "no Summary column twice"
    counts = Counter(keys)
    assert len(counts) == 2 * RUNS * METRICS and set(counts.values()) == {1}
    assert sorted(Counter(summary_runs).values()) == [1] * (2 * RUNS)


@pytest.mark.usefixtures("workdir")
def test_two_processes_publishing_into_one_workbook_keep_every_row_once(workdir, monkeypatch):
    book_path = workdir / "shared.xlsx"
    monkeypatch.setenv("HARNESS_WORKBOOK", str(book_path))
    _publish_at_once(_runner_stores(workdir), f"workbook:{book_path.resolve()}")

    # The runners' runs are a month apart: each month has its file (workbook_periods.py).
    files = [book_path, *archives(book_path)]
    assert len(files) == 2
    keys, summary = [], []
    for path in files:
        book = load_workbook(path, read_only=True)
        keys += [row[0] for row in book["Runs"].iter_rows(min_row=2, values_only=True)]
        summary += [row[5] for row in book["Summary"].iter_rows(min_row=3, values_only=True)]
        header = summary_keys(*book["Summary"].iter_rows(max_row=2, values_only=True))
        assert len(set(header)) == len(header)
    _assert_once(keys, summary, [])


def test_two_processes_publishing_into_one_spreadsheet_keep_every_row_once(
        server, sheet_env, workdir):
    _publish_at_once(_runner_stores(workdir), f"sheet:{sheet_env}")

    runs = server.values(sheet_env, "Runs")
    summary = server.values(sheet_env, "Summary")
    _assert_once([row[0] for row in runs[1:]], [row[5] for row in summary[2:]],
                 summary_keys(summary[0], summary[1]))
