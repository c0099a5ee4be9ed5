"""The offline regression sheet: `harness publish`/`sync` write a .xlsx, reopened here."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import math
import os
import stat
import random
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from harness.cli import main
from harness.publish.layout import (
    DATE_FORMAT,
    FILLS,
    REGRESSIONS_HEADER,
    RUNS_HEADER,
    STYLES,
    SUMMARY_FIXED,
    number_format,
    summary_keys,
)
from harness.records import Environment, GitInfo, Measurement, Run, RunStatus
from harness.testing.fixtures import T0, add_runs

WORKBOOK = Path(".harness/regression-sheet.xlsx")


def _fill(cell) -> str | None:
    colour = cell.fill.start_color.rgb if cell.fill and cell.fill.fill_type == "solid" else None
    return str(colour)[-6:] if colour else None


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.usefixtures("workdir")
def test_sync_writes_three_tabs_with_formats_and_frozen_headers(store, capsys):
    add_runs(store, 2, metrics=4, drift=0.2)
    assert main(["--store", "results.db", "sync"]) == 0
    out = capsys.readouterr().out
    assert str(WORKBOOK.resolve()) in out.replace("\n", "") and "[2/2]" in out

    book = load_workbook(WORKBOOK)
    assert book.sheetnames == ["Runs", "Summary", "Trends", "Regressions", "Legend"]
    runs, summary = book["Runs"], book["Summary"]
    assert [c.value for c in runs[1]] == list(RUNS_HEADER)
    assert runs["A1"].font.bold and runs.freeze_panes == "B2"
    assert summary.freeze_panes == "C3" and book["Regressions"].freeze_panes == "B2"
    assert runs.max_row == 1 + 2 * 4
    assert runs["B2"].number_format == DATE_FORMAT
    assert runs["I2"].number_format == number_format(1.0)
    assert runs["I2"].value == 1.0

    header = summary_keys([c.value for c in summary[1]], [c.value for c in summary[2]])
    assert header[:6] == list(SUMMARY_FIXED) and len(header) == 6 + 2 * 4  # value, change
    newest, oldest = summary[3], summary[4]
    assert newest[0].value > oldest[0].value  # newest first
    assert newest[2].value == "Change number 1"
    # Run 2 grew every value by 20 %, but no check has judged it: nothing is coloured.
    assert all(_fill(cell) is None for cell in (*newest[6:], *oldest[6:]))
    assert not store.unpublished_runs(f"workbook:{WORKBOOK.resolve()}")


@pytest.mark.usefixtures("workdir")
def test_a_second_run_appends_and_never_rewrites_history(store):
    add_runs(store, 1, metrics=3)
    assert main(["--store", "results.db", "publish"]) == 0
    before = load_workbook(WORKBOOK)
    runs_before, summary_before = _rows(before["Runs"]), _rows(before["Summary"])

    add_runs(store, 1, metrics=3, start=1)
    assert main(["--store", "results.db", "publish"]) == 0
    after = load_workbook(WORKBOOK)
    runs_after, summary_after = _rows(after["Runs"]), _rows(after["Summary"])
    assert runs_after[: len(runs_before)] == runs_before
    assert len(runs_after) == len(runs_before) + 3
    assert summary_after[3] == summary_before[2]  # the older run moved down, unchanged
    assert summary_after[2][2] == "Change number 1"


@pytest.mark.usefixtures("workdir")
def test_publishing_again_adds_nothing(store):
    add_runs(store, 2, metrics=3)
    assert main(["--store", "results.db", "sync"]) == 0
    first = _rows(load_workbook(WORKBOOK)["Runs"])
    for run in store.runs():
        assert main(["--store", "results.db", "publish", run.run_id[:8]]) == 0
    assert _rows(load_workbook(WORKBOOK)["Runs"]) == first
    assert len(_rows(load_workbook(WORKBOOK)["Summary"])) == 4  # two header rows, two runs


@pytest.mark.usefixtures("workdir")
def test_summary_has_a_test_row_merged_over_its_metrics_then_metric_and_unit(store):
    store.begin_run(Run("arch0", T0, GitInfo(commit="c0ffee"), Environment(cpu_model="cpu"),
                        RunStatus.COMPLETE))
    store.record([Measurement.checked("arch0", f"suites/m.py::test_{name}[{arch}]", metric,
                                      1.5, unit)
                  for arch in ("vit", "resnet") for name in ("eval", "train")
                  for metric, unit in (("top1", "%"), ("loss", ""))])
    assert main(["--store", "results.db", "publish"]) == 0
    summary = load_workbook(WORKBOOK)["Summary"]
    top = [c.value for c in summary[1]]
    bottom = [c.value for c in summary[2]]
    # Grouped by architecture, the path dropped; each test merged across value and change.
    assert [label for label in top if label] == [
        "test_eval[resnet]", "test_train[resnet]", "test_eval[vit]", "test_train[vit]"]
    assert bottom[:8] == [*SUMMARY_FIXED, "loss", "Δ%"] and bottom[8:10] == ["top1 (%)", "Δ%"]
    assert "G1:J1" in {str(merged) for merged in summary.merged_cells.ranges}
    assert summary.freeze_panes == "C3" and summary["G2"].font.bold


@pytest.mark.usefixtures("workdir")
def test_trends_tab_has_a_line_chart_per_metric_over_its_summary_column(store):
    add_runs(store, 3, metrics=3, drift=0.1)
    assert main(["--store", "results.db", "sync"]) == 0
    add_runs(store, 1, metrics=3, start=3)
    assert main(["--store", "results.db", "sync"]) == 0  # charts drawn again, over 4 runs
    book = load_workbook(WORKBOOK, rich_text=False)
    trends = book["Trends"]
    rows = [row for row in trends.iter_rows(min_row=2, values_only=True) if row[0]]
    assert [row[:2] for row in rows] == [
        ("test_metric[0]", "metric_000"), ("test_metric[1]", "metric_001 (s)"),
        ("test_metric[2]", "metric_002")]
    # openpyxl does not read charts back: look at what the file holds.
    with zipfile.ZipFile(WORKBOOK) as archive:
        charts = sorted(name for name in archive.namelist() if name.startswith("xl/charts/"))
        first = archive.read(charts[0]).decode()
    assert len(charts) == 3 and "<lineChart>" in first
    assert "'Summary'!$G$3:$G$6" in first and "'Summary'!$B$3:$B$6" in first


@pytest.mark.usefixtures("workdir")
def test_a_summary_with_one_header_row_gets_the_second(store):
    from openpyxl import Workbook  # pylint: disable=import-outside-toplevel

    add_runs(store, 2, metrics=1)
    old = Workbook()
    sheet = old.active
    sheet.title = "Summary"
    column = "test_metric[0] · metric_000"
    sheet.append([*SUMMARY_FIXED, column, column + " · Δ%"])
    sheet.append([(T0 - timedelta(days=1)).replace(tzinfo=None), "c0", "s", "main", "cpu",
                  "old-run", 2.0, None])
    WORKBOOK.parent.mkdir(parents=True, exist_ok=True)
    old.save(WORKBOOK)
    assert main(["--store", "results.db", "sync"]) == 0
    summary = load_workbook(WORKBOOK)["Summary"]
    assert summary_keys([c.value for c in summary[1]], [c.value for c in summary[2]]) == [
        *SUMMARY_FIXED, "test_metric[0] · metric_000", "test_metric[0] · metric_000 · Δ%"]
    assert [c.value for c in summary[5]][5:7] == ["old-run", 2.0]  # below the two new runs


@pytest.mark.usefixtures("workdir")
def test_invalid_values_are_empty_and_flagged(store):
    runs = add_runs(store, 1, metrics=1)
    store.record([Measurement.checked(runs[0].run_id, "suites/t.py::test_x", "loss", math.inf)])
    assert main(["--store", "results.db", "publish"]) == 0
    sheet = load_workbook(WORKBOOK)["Runs"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[7].value == "loss")
    assert row[8].value is None and row[11].value == "invalid"
    assert _fill(row[11]) == FILLS["invalid"]


@pytest.mark.usefixtures("workdir")
def test_a_workbook_that_is_not_xlsx_is_left_alone_and_runs_stay_unpublished(store, capsys):
    add_runs(store, 1, metrics=2)
    WORKBOOK.parent.mkdir(parents=True, exist_ok=True)
    WORKBOOK.write_text("not a workbook", encoding="utf-8")
    assert main(["--store", "results.db", "publish"]) == 2
    err = capsys.readouterr().err
    assert "not a readable .xlsx" in err and "harness sync" in err
    assert WORKBOOK.read_text(encoding="utf-8") == "not a workbook"
    assert len(store.unpublished_runs(f"workbook:{WORKBOOK.resolve()}")) == 1


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize("where", ["env", "option"])
def test_workbook_path_can_be_chosen(store, monkeypatch, where):
    add_runs(store, 1, metrics=1)
    args = ["--store", "results.db", "publish"]
    if where == "env":
        monkeypatch.setenv("HARNESS_WORKBOOK", "elsewhere/sheet.xlsx")
    else:
        args += ["--workbook", "elsewhere/sheet.xlsx"]
    assert main(args) == 0
    assert load_workbook("elsewhere/sheet.xlsx")["Runs"].max_row == 2
    assert not WORKBOOK.exists()


def _step_history(store, runs: int = 20, step_at: int = 14) -> None:
    """A lower-is-better step time that jumps 30 % at run `step_at`, with a little noise."""
    noise = random.Random(7)
    for index in range(runs):
        run = Run(f"step{index:02d}", T0 + timedelta(hours=index),
                  GitInfo(f"{index:040x}", "main", f"change {index}"),
                  Environment(cpu_model="cpu"), RunStatus.COMPLETE)
        store.begin_run(run)
        value = 10.0 * (1.3 if index >= step_at else 1.0) + noise.gauss(0, 0.05)
        store.record([Measurement.checked(run.run_id, "t.py::test_step", "step_ms", value, "ms",
                                          higher_is_better=False)])


@pytest.mark.usefixtures("workdir")
def test_stored_verdicts_fill_the_regressions_tab_after_check(store):
    _step_history(store)
    assert main(["--store", "results.db", "check"]) == 1
    assert main(["--store", "results.db", "sync"]) == 0
    book = load_workbook(WORKBOOK)
    header = list(_rows(book["Regressions"])[0])
    assert header == list(REGRESSIONS_HEADER)
    verdicts = [dict(zip(header, row)) for row in _rows(book["Regressions"])[1:]]
    verdicts = [row for row in verdicts if row["kind"] == "regression"]
    assert [(row["run"], row["test"], row["metric"], row["state"]) for row in verdicts] == [
        ("step14", "t.py::test_step", "step_ms", "confirmed")]
    assert verdicts[0]["suspect_commits"] == f"{13:040x}..{14:040x}"
    assert verdicts[0]["change_pct"] == pytest.approx(30, abs=2)
    summary = book["Summary"]
    row = next(r for r in summary.iter_rows(min_row=3) if r[5].value == "step14")
    assert _fill(row[6]) == FILLS["regression"] and "confirmed" in row[6].comment.text
    quiet = next(r for r in summary.iter_rows(min_row=3) if r[5].value == "step10")
    assert _fill(quiet[6]) is None and quiet[6].comment is None
    legend = [row[0] for row in _rows(book["Legend"])[1:]]
    assert legend == list(STYLES)


@pytest.mark.usefixtures("workdir")
def test_publishing_never_detects(store):
    _step_history(store)
    assert main(["--store", "results.db", "sync"]) == 0
    book = load_workbook(WORKBOOK)
    assert len(_rows(book["Regressions"])) == 1  # the header only: no check has run
    row = next(r for r in book["Summary"].iter_rows(min_row=3) if r[5].value == "step14")
    assert _fill(row[6]) is None


@pytest.mark.usefixtures("workdir")
def test_an_unknown_pyproject_key_is_a_clear_error(store, capsys):
    add_runs(store, 1, metrics=1)
    Path("pyproject.toml").write_text('[tool.harness]\nsheet_colouring = "rainbow"\n')
    assert main(["--store", "results.db", "publish"]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'sheet_colouring' in [tool.harness]" in err and len(err.splitlines()) == 1


@pytest.mark.usefixtures("workdir")
def test_the_workbook_keeps_its_mode_and_a_new_one_follows_the_umask(store):
    add_runs(store, 1, metrics=1)
    previous = os.umask(0o027)
    try:
        assert main(["--store", "results.db", "publish"]) == 0
        assert stat.S_IMODE(WORKBOOK.stat().st_mode) == 0o640
        WORKBOOK.chmod(0o664)
        add_runs(store, 1, metrics=1, start=1)
        assert main(["--store", "results.db", "publish"]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(WORKBOOK.stat().st_mode) == 0o664
    assert load_workbook(WORKBOOK)["Runs"].max_row == 3


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize("path", ["a-file/sheet.xlsx", "sheet.txt"])
def test_an_unusable_workbook_path_is_one_line_and_exit_2(store, capsys, path):
    add_runs(store, 1, metrics=1)
    Path("a-file").write_text("", encoding="utf-8")
    assert main(["--store", "results.db", "publish", "--workbook", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness: error: ") and "HARNESS_WORKBOOK" in err
    assert "Traceback" not in err and "1 run(s) stay unpublished" in err
