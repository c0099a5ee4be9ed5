"""A publish reads back only the newest rows of a long sheet, and writes the same sheet as a
publisher that reads every row (gspread's real client against the local server)."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import re
from functools import partial

import pytest

from harness.cli import main
from harness.publish.layout import RUNS_TAB, SUMMARY_TAB
from harness.publish import retry
from harness.publish.sheet import SheetTarget
from harness.testing.fixtures import add_runs

TABS = (RUNS_TAB, SUMMARY_TAB, "Regressions", "Trends")


def _nightly(store, server, key, start: int, count: int) -> None:
    """`count` runs recorded and published one at a time, as nightlies do."""
    for index in range(start, start + count):
        add_runs(store, 1, metrics=4, start=index, drift=0.02)
        assert main(["--store", "results.db", "publish"]) == 0
    server.wait_idle()
    assert not store.unpublished_runs(f"sheet:{key}")


def _content(server, key) -> dict[str, list]:
    return {tab: server.values(key, tab) for tab in TABS}


def test_a_windowed_publish_writes_what_a_whole_read_writes(store, sheet_env, server,
                                                            monkeypatch):
    monkeypatch.setattr(SheetTarget, "state_window", 3)
    _nightly(store, server, sheet_env, 0, 12)
    server.reset_counts()
    _nightly(store, server, sheet_env, 12, 1)
    # The Runs keys from near the bottom, the Summary's first rows: not whole columns.
    assert f"'{RUNS_TAB}'!A1:A" not in server.ranges_read
    assert any(text.startswith(f"'{RUNS_TAB}'!A") and text != f"'{RUNS_TAB}'!A1:A"
               for text in server.ranges_read)
    summary_reads = [text for text in server.ranges_read if text.startswith(f"'{SUMMARY_TAB}'!A")]
    assert summary_reads and all(text[len(f"'{SUMMARY_TAB}'!A1:A"):].isdigit()
                                 for text in summary_reads)  # 'Summary'!A1:A12, never A1:A
    windowed = _content(server, sheet_env)

    whole_key = server.create_spreadsheet()
    monkeypatch.setenv("HARNESS_SHEET_KEY", whole_key)
    monkeypatch.setattr(SheetTarget, "state_window", 10_000)
    assert main(["--store", "results.db", "sync"]) == 0
    assert _content(server, whole_key) == windowed
    assert len(windowed[RUNS_TAB]) == 1 + 13 * 4 and len(windowed[SUMMARY_TAB]) == 2 + 13


def test_a_late_run_older_than_the_window_reads_the_whole_summary(store, sheet_env, server,
                                                                 monkeypatch):
    monkeypatch.setattr(SheetTarget, "state_window", 2)
    _nightly(store, server, sheet_env, 10, 8)
    server.reset_counts()
    add_runs(store, 1, metrics=4, start=1)  # started long before every published run
    assert main(["--store", "results.db", "sync"]) == 0  # publish takes the newest run
    assert f"'{SUMMARY_TAB}'!A1:A" in server.ranges_read  # the window could not place it
    summary = server.values(sheet_env, SUMMARY_TAB)
    dates = [row[0] for row in summary[2:]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 9  # newest first, in place


@pytest.mark.parametrize("window", [2, 10_000])
def test_an_ambiguous_write_leaves_each_row_once_with_or_without_a_window(
        store, sheet_env, server, monkeypatch, window):
    monkeypatch.setattr(SheetTarget, "state_window", window)
    monkeypatch.setattr(retry, "RetryPolicy", partial(retry.RetryPolicy, settle_s=0.2))
    _nightly(store, server, sheet_env, 0, 6)
    add_runs(store, 1, metrics=4, start=6)
    server.inject("write-then-503", on="batchUpdate")  # lands, but the answer is an error
    assert main(["--store", "results.db", "publish"]) == 0
    server.wait_idle()
    runs = [row[0] for row in server.values(sheet_env, RUNS_TAB)[1:]]
    assert len(runs) == len(set(runs)) == 7 * 4  # a row per run and metric
    assert len(server.values(sheet_env, SUMMARY_TAB)) == 2 + 7


def test_the_roll_over_is_announced_before_the_cell_limit(store, sheet_env, server, monkeypatch,
                                                          capsys):
    _nightly(store, server, sheet_env, 0, 2)
    assert "cells a run" not in capsys.readouterr().out
    used = server.books[sheet_env].total_cells()
    monkeypatch.setattr(SheetTarget, "cell_limit", int(used / 0.8))
    _nightly(store, server, sheet_env, 2, 1)
    out = " ".join(capsys.readouterr().out.split())
    match = re.search(r"holds ([\d,]+) of its ([\d,]+) cells \((\d+) %\): at about ([\d,]+) "
                      r"cells a run it is full after about ([\d,]+) more runs", out)
    assert match, out
    held, limit, share, per_run, runs = (int(group.replace(",", "")) for group in match.groups())
    assert limit == int(used / 0.8) and 80 <= share <= 100 and held <= limit
    assert runs == (limit - held) // per_run and "set HARNESS_SHEET_KEY" in out
    assert server.books[sheet_env].total_cells() <= limit  # the run itself was published
