"""One workbook file per period: the current one stays small, earlier ones are kept beside it."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook

from harness.cli import main
from harness.publish.workbook_periods import archive_path, archives, period_label
from harness.records import Environment, GitInfo, Measurement, Run, RunStatus

WORKBOOK = Path(".harness/regression-sheet.xlsx")
START = datetime(2026, 1, 20, 2, 0, tzinfo=timezone.utc)


def nights(store, days: range) -> None:
    for day in days:
        run = Run(f"night{day:03d}", START + timedelta(days=day),
                  GitInfo(f"{day:040x}", "main", f"change {day}"), Environment(hostname="r1"),
                  RunStatus.COMPLETE)
        store.begin_run(run)
        store.record([Measurement(run.run_id, "t.py::test_a", "ms", 10.0 + day, "ms", False)])


def summary_runs(path: Path) -> list[str]:
    return [row[5] for row in load_workbook(path)["Summary"].iter_rows(min_row=3,
                                                                       values_only=True)]


def test_period_labels():
    moment = datetime(2026, 5, 31, 23, 59)
    assert [period_label(moment, period) for period in ("month", "quarter", "year", "none")] \
        == ["2026-05", "2026-Q2", "2026", ""]
    assert archive_path(WORKBOOK, "2026-05").name == "regression-sheet-2026-05.xlsx"


@pytest.mark.usefixtures("workdir")
def test_each_month_gets_its_file_and_the_current_one_holds_only_this_month(store):
    nights(store, range(0, 15))  # January 20 .. February 3
    assert main(["--store", "results.db", "sync"]) == 0  # one batch spanning two months
    nights(store, range(15, 45))  # .. March 5, one nightly at a time
    for day in range(15, 45):
        assert main(["--store", "results.db", "publish", f"night{day:03d}"]) == 0

    assert [path.name for path in archives(WORKBOOK)] == [
        "regression-sheet-2026-01.xlsx", "regression-sheet-2026-02.xlsx"]
    assert summary_runs(WORKBOOK) == [f"night{day:03d}" for day in range(44, 39, -1)]
    assert summary_runs(archive_path(WORKBOOK, "2026-01"))[-1] == "night000"
    every = [run for path in (WORKBOOK, *archives(WORKBOOK)) for run in summary_runs(path)]
    assert sorted(every) == [f"night{day:03d}" for day in range(45)]


@pytest.mark.usefixtures("workdir")
def test_a_late_run_of_an_earlier_month_goes_to_that_months_file(store):
    nights(store, range(0, 3))
    nights(store, range(20, 22))  # February
    assert main(["--store", "results.db", "sync"]) == 0
    nights(store, range(5, 6))  # recorded late: January 25
    assert main(["--store", "results.db", "sync"]) == 0
    assert summary_runs(archive_path(WORKBOOK, "2026-01")) == [
        "night005", "night002", "night001", "night000"]
    assert summary_runs(WORKBOOK) == ["night021", "night020"]


@pytest.mark.usefixtures("workdir")
def test_regressions_carry_over_and_period_none_keeps_one_file(store, monkeypatch):
    for day in range(40):  # a 30 % step from day 25 (February 14) on
        nights(store, range(day, day + 1))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE measurements SET value = value * 1.3 "
                             "WHERE run_id >= 'night025'")
    assert main(["--store", "results.db", "check"]) in (0, 1)
    monkeypatch.setenv("HARNESS_WORKBOOK_PERIOD", "none")
    assert main(["--store", "results.db", "sync", "--workbook", "all.xlsx"]) == 0
    assert not archives(Path("all.xlsx")) and len(summary_runs(Path("all.xlsx"))) == 40
    monkeypatch.delenv("HARNESS_WORKBOOK_PERIOD")
    for day in range(40):
        assert main(["--store", "results.db", "publish", f"night{day:03d}"]) == 0
    regressions = list(load_workbook(WORKBOOK)["Regressions"].iter_rows(values_only=True))
    whole = list(load_workbook("all.xlsx")["Regressions"].iter_rows(values_only=True))
    assert len(regressions) > 1 and regressions == whole
