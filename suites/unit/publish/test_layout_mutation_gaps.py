"""The sheet layout, cell by cell: every field of a Runs row, changes against previous values
other than 1, number formats at their bounds, widths and header heights worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harness.publish import layout
from harness.publish.layout import Cell, Mark, RunRecords
from harness.records import Environment, GitInfo, Measurement, MeasurementStatus, Run

START = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
ENV = Environment(python="3.11", torch="2.13.0", gpu_name="H100", gpu_count=2,
                  hostname="gpu-a")
TEST = "suites/integration/test_models.py::test_train_speed[vit]"


def run_of(run_id: str = "run-7", dirty: bool = False, hours: int = 0) -> Run:
    """A run on two GPUs of a feature branch."""
    return Run(run_id, START + timedelta(hours=hours),
               GitInfo(commit="0123456789abcdef" * 2 + "01234567", branch="feature/vit",
                       subject="Faster attention", dirty=dirty), ENV)


def only(rows: list):
    """The one element of `rows`."""
    assert len(rows) == 1
    return rows[0]


def records(*items: Measurement, previous=None, dirty: bool = False) -> RunRecords:
    """The records of run-7 with these measurements."""
    return RunRecords(run_of(dirty=dirty), items, previous or {})


def test_a_runs_row_carries_every_field_of_the_run_and_measurement():
    item = Measurement("run-7", TEST, "train_latency_p50", 12.5, unit="ms",
                       higher_is_better=False)
    row = only(layout.runs_rows(records(item)))
    shown = dict(zip(layout.RUNS_HEADER, (cell.value for cell in row.cells)))
    assert shown == {
        "key": layout.row_key("run-7", TEST, "train_latency_p50"),
        "date": datetime(2026, 3, 4, 5, 6, 7),
        "run": "run-7",
        "commit": "01234567",
        "branch": "feature/vit",
        "device": "2x H100",
        "test": TEST,
        "metric": "train_latency_p50",
        "value": 12.5,
        "unit": "ms",
        "direction": "lower",
        "status": "ok",
        "env": ENV.fingerprint,
    }
    assert row.key == shown["key"]
    assert [cell.flag for cell in row.cells] == [None] * len(layout.RUNS_HEADER)


def test_runs_rows_are_ordered_by_test_then_metric_and_say_higher_is_better():
    items = [Measurement("run-7", "t::b", "acc", 0.5), Measurement("run-7", "t::a", "z", 1.0),
             Measurement("run-7", "t::a", "acc", 0.7)]
    rows = layout.runs_rows(records(*items))
    assert [(row.cells[6].value, row.cells[7].value) for row in rows] == [
        ("t::a", "acc"), ("t::a", "z"), ("t::b", "acc")]
    assert {row.cells[10].value for row in rows} == {"higher"}


def test_an_invalid_status_is_kept_and_flagged():
    item = Measurement("run-7", TEST, "acc", None, status=MeasurementStatus.INVALID)
    row = only(layout.runs_rows(records(item)))
    assert (row.cells[11].value, row.cells[11].flag) == ("invalid", "invalid")
    assert row.cells[8] == Cell(None, "number", "invalid")


@pytest.mark.parametrize("value,previous,pct", [
    (110.0, 100.0, 10.0),
    (45.0, 50.0, -10.0),
    (-90.0, -100.0, 10.0),
    (3.0, 2.0, 50.0),
    (2.0, 0.0, None),
    (None, 2.0, None),
    (2.0, None, None),
])
def test_change_in_percent(value, previous, pct):
    assert layout.change_pct(value, previous) == pct
    assert layout.change(value, previous) == Cell(pct, "change")


def test_a_summary_row_shows_values_changes_marks_and_the_run():
    accuracy = Measurement("run-7", TEST, "top1", 0.88, unit="fraction")
    latency = Measurement("run-7", TEST, "step", 40.0, unit="ms", higher_is_better=False)
    broken = Measurement("run-7", TEST, "loss", None, status=MeasurementStatus.INVALID)
    row = layout.summary_row(
        records(accuracy, latency, broken, previous={(TEST, "top1"): 0.8, (TEST, "step"): 50.0},
                dirty=True),
        flags={("run-7", TEST, "step"): Mark("improvement", "faster by 20 %"),
               ("run-8", TEST, "top1"): Mark("regression", "another run")},
        commit_url="https://git.example/c/{sha}",
    )
    assert row.key == "run-7" and row.sort_key == datetime(2026, 3, 4, 5, 6, 7)
    assert [cell.value for cell in row.fixed] == [
        datetime(2026, 3, 4, 5, 6, 7), "01234567", "Faster attention (dirty)", "feature/vit",
        "2x H100", "run-7"]
    assert row.fixed[1].link == "https://git.example/c/" + run_of().git.commit
    name = "test_train_speed[vit] · "
    assert row.metrics == {
        name + "top1 (fraction)": Cell(0.88, "number"),
        name + "top1 (fraction) · Δ%": Cell(pytest.approx(10.0), "change"),
        name + "step (ms)": Cell(40.0, "number", "improvement", "faster by 20 %"),
        name + "step (ms) · Δ%": Cell(-20.0, "change"),
        name + "loss": Cell(None, "number", "invalid"),
        name + "loss · Δ%": Cell(None, "change"),
    }


def test_a_mark_without_a_note_adds_no_note():
    item = Measurement("run-7", TEST, "top1", 0.88)
    row = layout.summary_row(records(item), flags={("run-7", TEST, "top1"): Mark("outlier")})
    cell = row.metrics["test_train_speed[vit] · top1"]
    assert (cell.flag, cell.note) == ("outlier", None)
    assert row.fixed[2].value == "Faster attention" and row.fixed[1].link is None


@pytest.mark.parametrize("value,pattern,shown", [
    (1000.0, "#,##0", "1,000"),
    (-12345.6, "#,##0", "-12,346"),
    (999.94, "0.0", "999.9"),
    (100.0, "0.0", "100.0"),
    (99.99, "0.00", "99.99"),
    (1.0, "0.00", "1.00"),
    (0.999, "0.000", "0.999"),
    (0.1, "0.000", "0.100"),
    (0.0999, "0.0000", "0.0999"),
    (0.01, "0.0000", "0.0100"),
    (0.00999, "0.00E+00", "9.99E-03"),
    (0.0, "0.00", "0.00"),
])
def test_number_formats_at_their_bounds(value, pattern, shown):
    assert layout.number_format(value) == pattern
    assert layout.shown_number(value) == shown
    assert Cell(value, "number").number_format == pattern
    assert Cell(value, "number").shown == shown


def test_what_cells_show_and_how_they_are_formatted():
    assert layout.number_format("not a number") == "0.00"
    assert Cell(None).shown == "" and Cell("").shown == ""
    assert Cell(datetime(2026, 3, 4, 5, 6, 7), "date").shown == "2026-03-04 05:06"
    assert Cell(12.345, "change").shown == "+12.3%"
    assert Cell(-0.04, "change").shown == "-0.0%"
    assert Cell("abc").shown == "abc" and Cell(3, "number").shown == "3"
    assert Cell(12.3, "text").shown == "12.3"
    assert Cell(1.0, "change").number_format == layout.CHANGE_FORMAT
    assert Cell(START, "date").number_format == layout.DATE_FORMAT
    assert Cell("x").number_format is None
    assert layout.date(START) == Cell(datetime(2026, 3, 4, 5, 6, 7), "date")
    assert layout.text(None) == Cell("") and layout.text(7) == Cell("7")


def test_names_of_summary_columns():
    assert layout.short_test("a/b/test_m.py::test_t[x]") == "test_t[x]"
    assert layout.short_test("test_plain") == "test_plain"
    assert layout.metric_column("a/test_m.py::test_t", "acc") == "test_t · acc"
    assert layout.summary_name("a/test_m.py::test_t", "acc", "%") == "test_t · acc (%)"
    assert layout.summary_name("a/test_m.py::test_t", "acc") == "test_t · acc"


def test_columns_are_found_with_or_without_a_unit_never_by_their_change_column():
    header = ["date", "t · acc · Δ%", "t · acc (%)", "t · loss", "t · accuracy"]
    assert layout.find_column(header, "t · acc") == 2
    assert layout.find_column(header, "t · loss") == 3
    assert layout.find_column(header, "t · lat") is None
    assert layout.find_column(["t · acc · Δ%"], "t · acc · Δ%") is None


def test_commit_links_need_a_template_with_sha_and_a_commit():
    assert layout.commit_link("https://g/{sha}/x", "abc") == "https://g/abc/x"
    assert layout.commit_link("https://g/commit", "abc") is None
    assert layout.commit_link("https://g/{sha}", "") is None
    assert layout.commit_link("", "abc") is None


def test_regression_rows_cell_by_cell():
    moment = datetime(2026, 3, 5, 1, 2, tzinfo=timezone.utc)
    item = {"key": "k1", "date": moment, "run": "run-7", "commit": "0123abcd",
            "sha": "0123abcd" * 5, "test": TEST, "metric": "step", "kind": "regression",
            "state": "confirmed", "flag": "regression", "change_pct": 25.0,
            "previous": 40.0, "value": 50.0, "unit": "ms", "confidence": 0.97,
            "min_change": 1.5, "suspect_commits": "a..b", "triage": None, "repro": "nox"}
    row = only(layout.regression_rows([item], commit_url="https://g/{sha}"))
    cells = dict(zip(layout.REGRESSIONS_HEADER, row.cells))
    assert row.key == "k1"
    assert cells["date"] == Cell(datetime(2026, 3, 5, 1, 2), "date")
    assert cells["commit"] == Cell("0123abcd", link="https://g/" + "0123abcd" * 5)
    assert cells["state"] == Cell("confirmed", "text", "regression")
    assert cells["change_pct"] == Cell(25.0, "change")
    assert [cells[name] for name in ("previous", "value", "confidence", "min_change")] == [
        Cell(40.0, "number"), Cell(50.0, "number"), Cell(0.97, "number"), Cell(1.5, "number")]
    assert [cells[name].value for name in ("run", "test", "kind", "unit", "triage")] == [
        "run-7", TEST, "regression", "ms", ""]


def test_regression_rows_leave_missing_fields_empty():
    row = only(layout.regression_rows([{"key": 5, "commit": "abc", "change_pct": ""}],
                                         commit_url="https://g/{sha}"))
    cells = dict(zip(layout.REGRESSIONS_HEADER, row.cells))
    assert row.key == "5"
    assert cells["commit"] == Cell("abc", link="https://g/abc")
    assert cells["state"] == Cell("", "text", None)
    assert cells["change_pct"] == Cell("") and cells["value"] == Cell("")
    bare = only(layout.regression_rows([{"key": "k"}]))
    assert dict(zip(layout.REGRESSIONS_HEADER, bare.cells))["commit"] == Cell("")


def test_the_legend_has_one_row_per_style_in_its_own_colour():
    rows = layout.legend_rows()
    assert [row.key for row in rows] == list(layout.STYLES)
    assert all(row.cells == (Cell(row.key, "text", row.key), Cell(layout.STYLES[row.key][1]))
               for row in rows)


def test_summary_rows_go_where_the_newest_stays_first():
    t1, t2, t3 = (datetime(2026, 1, day) for day in (1, 2, 3))
    assert layout.insert_position([t3, t1], t2) == 1
    assert layout.insert_position([t3, t2], t2) == 2
    assert layout.insert_position([t2, None, t1], t3) == 0
    assert layout.insert_position([t3, None], t2) == 1
    assert layout.insert_position([], t2) == 0


def test_a_new_header_sorts_new_columns_with_each_change_column_after_its_value():
    row = layout.SummaryRow("r", START, (), {"b · x": Cell(1.0), "b · x · Δ%": Cell(None),
                                              "a · y · Δ%": Cell(None), "a · y": Cell(2.0)})
    assert layout.summary_header([], [row]) == [
        *layout.SUMMARY_FIXED, "a · y", "a · y · Δ%", "b · x", "b · x · Δ%"]
    assert layout.summary_header(["date", "b · x"], [row]) == [
        "date", "b · x", "a · y", "a · y · Δ%", "b · x · Δ%"]


def test_summary_cells_follow_the_header_and_are_empty_where_a_metric_is_missing():
    fixed = tuple(Cell(name.upper()) for name in layout.SUMMARY_FIXED)
    row = layout.SummaryRow("r", START, fixed, {"a · y": Cell(2.0, "number")})
    assert layout.summary_cells(row, ["run", "a · y", "b · x", "date"]) == (
        Cell("RUN"), Cell(2.0, "number"), Cell(None), Cell("DATE"))


def test_widths_worked_out_by_hand():
    # "abc": 3 x 1.1 + 1.5 -> 5, raised to the minimum 6; a 20-character header: 22 + 1.5 -> 24;
    # a cell of 30 characters: 30 + 1.5 -> 32 (two lines: the longer counts); 200: capped at 90.
    header = ["abc", "h" * 20, "c", "w"]
    rows = [[Cell("x"), Cell(""), Cell("y" * 30 + "\nshort"), Cell("z" * 200)]]
    assert layout.fitted_widths(header, rows) == [6, 24, 32, 90]
    assert layout.fitted_widths(["abc"], [[Cell("a" * 10), Cell("extra column")]]) == [12]


def test_wrapped_headers_need_their_longest_word_up_to_the_wrapped_width():
    header = ["fixed header of thirty chars..", "a b", "short words in a long header text",
              "averyveryverylongwordofthirty1"]
    widths = layout.fitted_widths(header, [], wrap_from=1)
    # 30 x 1.1 + 1.5; "a b": 3 x 1.1; 16 x 1.1 (wrapped width); the 30-letter word x 1.1.
    assert widths == [34, 6, 19, 34]


def test_header_lines_worked_out_by_hand():
    # Width 6 leaves (6 - 1) / 1.1 = 4.5 characters: "aaa", "bbb", "ccc" take a line each.
    assert layout.header_lines(["aaa bbb ccc"], [6]) == 3
    assert layout.header_lines(["aa bb", "x"], [8, 6]) == 1  # 5 characters fit in 6.4
    assert layout.header_lines(["aaaaa b"], [6]) == 2
    assert layout.header_lines([], []) == 1
    assert layout.header_lines(["abcdefgh"], [1]) == 1  # at least a character of room


def test_content_counts_the_cells_it_adds():
    items = (Measurement("run-7", TEST, "top1", 0.88), Measurement("run-7", TEST, "step", 4.0))
    content = layout.build_content(
        [records(*items)], regressions=[{"key": "k1"}],
        restyle=[layout.Restyle("run-1", "c", None)], commit_url="https://g/{sha}")
    assert len(content.runs) == 2 and len(content.summary) == 1
    assert content.summary[0].fixed[1].link == "https://g/" + run_of().git.commit
    assert content.regressions[0].key == "k1"
    assert content.restyle == (layout.Restyle("run-1", "c", None),)
    runs_cells = 2 * len(layout.RUNS_HEADER)
    summary_cells = len(layout.SUMMARY_FIXED) + 4
    assert content.cell_count == runs_cells + summary_cells + len(layout.REGRESSIONS_HEADER)


@pytest.mark.parametrize("name,lines", [
    ("aaaa bbbbb", 1),  # 4 + 1 + 5 = 10 characters: exactly the room
    ("aaaa bbbbbbb", 2),  # 12 characters
    ("aaa bbb ccc", 2),  # 3 + 1 + 3 = 7, then 11
    ("aaa bbb cc", 1),  # 10
    ("aaaaa bbbb", 1),  # 10
])
def test_header_lines_at_a_room_of_exactly_ten_characters(name, lines):
    assert (12 - 1) / 1.1 == 10.0
    assert layout.header_lines([name], [12]) == lines


def test_an_empty_wrapped_header_gets_the_minimum_width():
    assert layout.fitted_widths(["", "x"], [], wrap_from=0) == [6, 6]


def test_short_test_names_keep_the_last_part_of_the_test_id():
    assert layout.short_test("a/test_m.py::TestX::test_t[x]") == "test_t[x]"
    assert layout.short_test("a/test_m.py::test_t[a b]") == "test_t[a b]"
    assert layout.short_test("a/test_m.py::test_t[x/y/z]") == "z]"
    assert layout.short_test("suites/x/test_file.py") == "test_file.py"


def test_row_keys_are_twenty_hex_digits():
    key = layout.row_key("run-7", TEST, "acc")
    assert len(key) == 20 and int(key, 16) >= 0


def test_change_columns_follow_their_value_column_even_before_longer_names():
    row = layout.SummaryRow("r", START, (), {name: Cell(None) for name in (
        "t · lat", "t · lat · Δ%", "t · lat p50", "t · lat p50 · Δ%")})
    assert layout.summary_header(list(layout.SUMMARY_FIXED), [row])[6:] == [
        "t · lat", "t · lat · Δ%", "t · lat p50", "t · lat p50 · Δ%"]


def test_a_runs_status_cell_is_plain_text():
    row = layout.runs_rows(records(Measurement("run-7", TEST, "acc", 0.5)))[0]
    assert row.cells[11] == Cell("ok", "text", None)


def test_content_styles_summary_cells_and_links_regression_commits():
    item = Measurement("run-7", TEST, "top1", 0.88)
    content = layout.build_content(
        [records(item)], flags={("run-7", TEST, "top1"): Mark("regression", "down")},
        regressions=[{"key": "k1", "commit": "abc"}], commit_url="https://g/{sha}")
    assert content.summary[0].metrics["test_train_speed[vit] · top1"].flag == "regression"
    commit = content.regressions[0].cells[layout.REGRESSIONS_HEADER.index("commit")]
    assert commit.link == "https://g/abc"
