"""The sheet layout: sanitised values, unique keys, order and change flags (pure functions)."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest

from harness.publish import layout
from harness.publish.layout import RunRecords
from harness.records import Measurement, MeasurementStatus, Run
from harness.testing.fixtures import T0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None, "fast", np.float64("nan")])
def test_non_finite_values_become_empty_cells_flagged_invalid(bad):
    cell = layout.number(bad)
    assert cell.value is None and cell.flag == "invalid"


def test_numpy_scalars_become_python_floats():
    for value in (np.float32(0.25), np.float64(0.25), np.int64(3)):
        cell = layout.number(value)
        # np.float64 subclasses float: only an exact type check proves the conversion.
        assert type(cell.value) is float  # pylint: disable=unidiomatic-typecheck
        assert cell.flag is None


def _run(index: int) -> Run:
    return Run(f"run{index}", T0.replace(hour=index))


def _records(index: int, values: dict, previous: dict | None = None) -> RunRecords:
    items = tuple(
        Measurement(f"run{index}", "suites/t.py::test_x", metric, value,
                    higher_is_better=metric.startswith("acc"))
        for metric, value in values.items()
    )
    return RunRecords(_run(index), items, previous or {})


def test_runs_rows_have_one_unique_key_per_run_test_metric():
    rows = layout.runs_rows(_records(1, {"acc": 0.5, "latency": 2.0, "loss": float("nan")}))
    keys = [row.key for row in rows]
    assert len(set(keys)) == 3
    assert keys[0] == layout.row_key("run1", "suites/t.py::test_x", "acc")
    invalid = next(row for row in rows if row.cells[7].value == "loss")
    assert invalid.cells[8].value is None and invalid.cells[11].value == "invalid"


def test_same_metric_in_another_run_gets_another_key():
    assert layout.row_key("a", "t", "m") != layout.row_key("b", "t", "m")


def test_detection_flags_colour_summary_cells():
    records = _records(3, {"acc": 0.9})
    mark = layout.Mark("outlier", "one run off")
    row = layout.summary_row(records, {("run3", "suites/t.py::test_x", "acc"): mark})
    assert row.metrics["test_x · acc"].flag == "outlier"
    assert row.metrics["test_x · acc"].note == "one run off"


def test_summary_rows_are_inserted_newest_first():
    existing = [datetime(2026, 1, 3), datetime(2026, 1, 2), None]
    assert layout.insert_position(existing, datetime(2026, 1, 4)) == 0
    assert layout.insert_position(existing, datetime(2026, 1, 2, 12)) == 1
    assert layout.insert_position(existing, datetime(2026, 1, 1)) == 2
    assert layout.insert_position([], datetime(2026, 1, 1)) == 0


def test_summary_header_keeps_existing_columns_in_place():
    old = [*layout.SUMMARY_FIXED, "z.py::t · m"]
    row = layout.summary_row(_records(1, {"acc": 1.0}))
    header = layout.summary_header(old, [row])
    assert header[: len(old)] == old and header[-2:] == ["test_x · acc", "test_x · acc · Δ%"]
    cells = layout.summary_cells(row, header)
    assert cells[len(old) - 1].value is None and cells[-2].value == 1.0


def test_regression_rows_come_from_simple_dicts():
    rows = layout.regression_rows([
        {"key": "k1", "run": "r1", "test": "t", "metric": "m", "kind": "regression",
         "state": "confirmed", "flag": "regression", "change_pct": -12.5, "date": T0},
    ])
    cells = dict(zip(layout.REGRESSIONS_HEADER, rows[0].cells))
    assert cells["kind"].value == "regression" and cells["change_pct"].value == -12.5
    assert cells["state"].value == "confirmed" and cells["state"].flag == "regression"
    assert cells["date"].kind == "date" and cells["key"].value == rows[0].key == "k1"


def test_measurement_status_is_kept():
    records = RunRecords(_run(1), (Measurement("run1", "t", "m", None,
                                               status=MeasurementStatus.INVALID),))
    assert layout.runs_rows(records)[0].cells[11].value == "invalid"


@pytest.mark.parametrize("value, shown", [
    (3594.453433, "3,594"), (123.456, "123.5"), (12.3456, "12.35"), (0.51234, "0.512"),
    (0.012345, "0.0123"), (0.00012345, "1.23E-04"), (0.0, "0.00"), (-2.5, "-2.50"),
])
def test_numbers_show_three_to_four_significant_digits(value, shown):
    assert layout.Cell(value, "number").shown == shown


def test_summary_headers_drop_the_test_path_and_carry_the_unit_and_change():
    records = RunRecords(_run(2), (Measurement("run2", "suites/integration/test_models.py::"
                                               "test_train[resnet]", "top1", 71.0, "%"),),
                         {("suites/integration/test_models.py::test_train[resnet]", "top1"):
                          70.0})
    row = layout.summary_row(records)
    assert list(row.metrics) == ["test_train[resnet] · top1 (%)",
                                 "test_train[resnet] · top1 (%) · Δ%"]
    delta = row.metrics["test_train[resnet] · top1 (%) · Δ%"]
    assert delta.shown == "+1.4%" and delta.number_format == layout.CHANGE_FORMAT
    header = layout.summary_header([], [row])
    assert layout.find_column(header, layout.metric_column(
        "suites/integration/test_models.py::test_train[resnet]", "top1")) == 6


def test_widths_fit_every_cell_and_the_longest_header_word():
    cells = [layout.Cell(3594.45, "number"), layout.date(T0), layout.text("x")]
    widths = layout.fitted_widths(["v", "date", "test_train[resnet] · top1 (%)"], [cells],
                                  wrap_from=2)
    assert widths[0] >= len("3,594") + 1 and widths[1] >= len("2026-01-01 00:00") + 1
    assert len("test_train[resnet]") < widths[2] < len("test_train[resnet] · top1 (%)")


@pytest.mark.parametrize("remote", [
    "git@github.com:owner/repo.git", "https://github.com/owner/repo",
    "https://github.com/owner/repo.git", "https://user:token@github.com/owner/repo.git"])
def test_commit_links_come_from_a_github_remote(remote):
    # pylint: disable=import-outside-toplevel
    from harness.publish.settings import commit_url_from_remote

    template = commit_url_from_remote(remote)
    assert template == "https://github.com/owner/repo/commit/{sha}"
    assert layout.commit_link(template, "abc123") == "https://github.com/owner/repo/commit/abc123"


def test_no_commit_link_when_unknown():
    # pylint: disable=import-outside-toplevel
    from harness.publish.settings import commit_url_from_remote

    assert commit_url_from_remote("/srv/git/repo.git") == ""
    assert layout.commit_link("", "abc") is None and layout.commit_link("x/{sha}", "") is None


def test_two_header_rows_round_trip_to_the_column_keys():
    keys = [*layout.SUMMARY_FIXED, "test_a[resnet] · top1 (%)", "test_a[resnet] · top1 (%) · Δ%",
            "test_a[resnet] · loss", "test_a[resnet] · loss · Δ%", "test_b[vit] · top1 (%)",
            "test_b[vit] · top1 (%) · Δ%"]
    top, bottom = layout.summary_header_rows(keys)
    assert top[6:] == ["test_a[resnet]", "", "", "", "test_b[vit]", ""]
    assert bottom[6:] == ["top1 (%)", "Δ%", "loss", "Δ%", "top1 (%)", "Δ%"]
    assert layout.summary_spans(top) == [(6, 9), (10, 11)]
    # Merged cells read back empty: the keys come back whole.
    assert layout.summary_keys(top, bottom) == keys
    assert layout.summary_keys([*top, ""], [*bottom, None]) == keys


def test_new_columns_are_grouped_by_the_tests_parameter():
    rows = [layout.summary_row(RunRecords(_run(1), tuple(
        Measurement("run1", f"s.py::{test}", "m", 1.0)
        for test in ("test_z[vit]", "test_a[vit]", "test_z[resnet]", "test_a[resnet]"))))]
    header = layout.summary_header([], rows)
    assert [key for key in header[6:] if not key.endswith(layout.CHANGE_SUFFIX)] == [
        "test_a[resnet] · m", "test_z[resnet] · m", "test_a[vit] · m", "test_z[vit] · m"]


def test_trend_per_value_column_and_axis_formats_tell_ticks_apart():
    keys = [*layout.SUMMARY_FIXED, "t[x] · a (s)", "t[x] · a (s) · Δ%", "t[x] · b"]
    assert layout.trends(keys) == [layout.Trend("t[x]", "a (s)", 6), layout.Trend("t[x]", "b", 8)]
    assert layout.axis_format([3000.0, 3600.0]) == "#,##0"
    assert layout.axis_format([71.0, 71.6]) == "0.0"
    assert layout.axis_format([0.01228, 0.0124]) == "0.00000"
    assert layout.axis_format([5.0, 5.0]) == layout.number_format(5.0)
