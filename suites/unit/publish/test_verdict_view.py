"""The sheet is a view of the stored verdicts: nightlies record -> check -> publish, and what
a later night confirms, retracts or a person triages shows on earlier rows too."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook

from harness.cli import main
from harness.publish.layout import (
    FILLS,
    REGRESSIONS_HEADER,
    find_column,
    metric_column,
    summary_keys,
)
from harness.publish.sheet_plan import color
from harness.publish.workbook_periods import archives
from harness.records import Environment, GitInfo, Measurement, Run, RunStatus
from harness.testing.slack_receiver import SlackReceiver

TEST, METRIC = "suites/integration/test_models.py::test_train[resnet]", "step_ms"
OTHER = "suites/integration/test_models.py::test_eval[resnet]"
ORIGIN = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.fixture(name="slack")
def fixture_slack(monkeypatch):
    receiver = SlackReceiver()
    monkeypatch.setenv("HARNESS_SLACK_WEBHOOK", receiver.url)
    yield receiver
    receiver.close()


def commit(index: int) -> str:
    """The sha of night `index`'s commit."""
    return hashlib.sha1(str(index).encode()).hexdigest()


def night(store, index: int, values: dict[str, float]) -> str:
    """One nightly's recording: a run at commit `index` with the given step times."""
    run = Run(f"night{index:03d}", ORIGIN + timedelta(days=index),
              GitInfo(commit(index), "main", f"change {index}"),
              Environment(hostname="runner-1"), RunStatus.COMPLETE)
    store.begin_run(run)
    store.record([Measurement.checked(run.run_id, test, METRIC, value, "ms", False)
                  for test, value in values.items()])
    return run.run_id


def nightly(store, index: int, values: dict[str, float], *args: str) -> int:
    """record -> check -> publish, as `nox -s integration` runs them; check's exit code."""
    night(store, index, values)
    code = main(["--store", "results.db", "check", "--new", "--slack"])
    assert main(["--store", "results.db", "sync", *args]) == 0
    return code


def quiet(index: int) -> float:
    """A steady 20 ms with 1 % noise (seeded by the night)."""
    return 20.0 * (1 + random.Random(index).gauss(0.0, 0.01))


def history(store, nights: int = 30) -> None:
    for index in range(nights):
        night(store, index, {TEST: quiet(index), OTHER: quiet(index + 1)})
    assert main(["--store", "results.db", "check"]) == 0


def holding(run_id: str):
    """The workbook file that holds the run: the current one or an earlier month's."""
    current = Path(".harness/regression-sheet.xlsx")
    for path in (current, *archives(current)):
        book = load_workbook(path)
        if any(row[5] == run_id for row in book["Summary"].iter_rows(values_only=True)):
            return book
    raise AssertionError(f"no workbook holds {run_id}")


def summary_cell(book, run_id: str, test: str = TEST):
    sheet = book["Summary"]
    header = summary_keys([c.value for c in sheet[1]], [c.value for c in sheet[2]])
    row = next((r for r in sheet.iter_rows(min_row=3) if r[5].value == run_id), None)
    if row is None:  # a run of an earlier month: in that month's file
        return summary_cell(holding(run_id), run_id, test)
    return row[find_column(header, metric_column(test, METRIC))]


def fill(cell) -> str | None:
    colour = cell.fill.start_color.rgb if cell.fill and cell.fill.fill_type == "solid" else None
    return str(colour)[-6:] if colour else None


def regressions(book) -> list[dict]:
    rows = list(book["Regressions"].iter_rows(values_only=True))
    assert list(rows[0]) == list(REGRESSIONS_HEADER)
    return [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.mark.usefixtures("workdir")
def test_confirmed_two_nights_later_turns_night_n_red_and_alerts_once(store, slack):
    history(store)
    # Night N: the step time jumps 30 %: suspected, not yet confirmed; no alert, no failure.
    assert nightly(store, 30, {TEST: 26.0, OTHER: quiet(31)}) == 0
    book = load_workbook(".harness/regression-sheet.xlsx")
    assert fill(summary_cell(book, "night030")) == FILLS["unconfirmed"]
    assert [r["state"] for r in regressions(book)] == ["unconfirmed"]
    # Night N+1: the test crashed before measuring; nothing new about the series.
    assert nightly(store, 31, {OTHER: quiet(32)}) == 0
    # Night N+2: it holds: confirmed, the nightly fails once, one alert.
    assert nightly(store, 32, {TEST: 26.1, OTHER: quiet(33)}) == 1
    book = load_workbook(".harness/regression-sheet.xlsx")
    cell = summary_cell(book, "night030")
    assert fill(cell) == FILLS["regression"] and "regression confirmed" in cell.comment.text
    assert [(r["run"], r["state"], r["kind"]) for r in regressions(book)] == [
        ("night030", "confirmed", "regression")]
    assert len(slack.bodies) == 1 and "1 confirmed" in slack.bodies[0]["text"]
    # The next nightly reports nothing again: never the same finding twice.
    assert nightly(store, 33, {TEST: 26.0, OTHER: quiet(34)}) == 0
    assert len(slack.bodies) == 1


@pytest.mark.usefixtures("workdir")
def test_a_retracted_verdict_loses_its_colour(store, slack):
    history(store)
    assert nightly(store, 30, {TEST: 26.0, OTHER: quiet(31)}, ) == 0
    assert nightly(store, 31, {TEST: quiet(31), OTHER: quiet(32)}) == 0
    assert nightly(store, 32, {TEST: quiet(32), OTHER: quiet(33)}) == 0
    book = load_workbook(".harness/regression-sheet.xlsx")
    assert fill(summary_cell(book, "night030")) in (None, FILLS["outlier"])
    states = {(r["kind"], r["state"]) for r in regressions(book)}
    assert ("regression", "retracted") in states
    assert not slack.bodies  # never confirmed, never announced: its retraction is no news


@pytest.mark.usefixtures("workdir")
def test_expected_stops_failing_keeps_its_note_and_invalid_counts_in_stats(store, capsys,
                                                                          monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")  # a wide terminal (xdist workers say 80)
    history(store)
    night(store, 30, {TEST: 26.0, OTHER: 30.0})
    assert main(["--store", "results.db", "check"]) == 0
    capsys.readouterr()
    assert main(["--store", "results.db", "triage"]) == 0
    listed = capsys.readouterr().out
    assert "2 verdict(s), 2 untriaged" in listed
    assert main(["--store", "results.db", "triage", "expected", "--commit", commit(30)[:10],
                 "--note", "new augmentation"]) == 0
    night(store, 31, {TEST: 26.1, OTHER: 30.1})
    assert main(["--store", "results.db", "check"]) == 0  # confirmed, but expected: no failure
    assert main(["--store", "results.db", "sync"]) == 0
    book = load_workbook(".harness/regression-sheet.xlsx")
    cell = summary_cell(book, "night030")
    assert fill(cell) == FILLS["triaged"] and "expected: new augmentation" in cell.comment.text
    assert {r["triage"] for r in regressions(book)} == {"expected: new augmentation"}
    keys = [r["key"] for r in regressions(book)]
    assert main(["--store", "results.db", "triage", "invalid", keys[0][:6],
                 "--note", "runner throttled"]) == 0
    capsys.readouterr()
    assert main(["--store", "results.db", "check", "--stats"]) == 0
    stats = capsys.readouterr().out
    assert "│ time        │      2 │" in stats and "50 %" in stats


@pytest.mark.usefixtures("workdir")
def test_bad_triage_input_is_one_line_and_exit_two(store, capsys):
    history(store, nights=5)
    for args, message in (
        (["triage", "expected"], "name the verdicts"),
        (["triage", "expected", "zzzz"], "no verdict with key starting 'zzzz'"),
        (["triage", "fixed", "--commit", "abc"], "--fixed-by"),
        (["triage", "expected", "--run", "x", "--expires", "soon"], "--expires"),
    ):
        assert main(["--store", "results.db", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.splitlines()) == 1, err


def test_the_local_sheets_server_shows_the_same_lifecycle(store, sheet_env, server, slack):
    history(store)
    assert nightly(store, 30, {TEST: 26.0, OTHER: quiet(31)}) == 0
    writes = server.counts["write"]
    assert nightly(store, 31, {OTHER: quiet(32)}) == 0
    assert nightly(store, 32, {TEST: 26.1, OTHER: quiet(33)}) == 1
    assert server.counts["write"] - writes == 2  # one batchUpdate per publish
    values = server.values(sheet_env, "Summary")
    header, rows = summary_keys(values[0], values[1]), values[2:]
    row = next(index for index, r in enumerate(rows, start=2) if r[5] == "night030")
    cell = server.cell(sheet_env, "Summary", row, find_column(header, metric_column(TEST, METRIC)))
    assert cell["f"]["backgroundColor"] == color(FILLS["regression"])
    assert "regression confirmed" in cell["n"]
    found = server.values(sheet_env, "Regressions")
    states = [dict(zip(found[0], r))["state"] for r in found[1:]]
    assert states == ["confirmed"] and len(slack.bodies) == 1
