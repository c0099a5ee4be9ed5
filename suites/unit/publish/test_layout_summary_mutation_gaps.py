"""The Summary's two header rows: laid out and read back, spans of each test, widths that
fit every test label over the columns it spans, and the note of a series not judged yet."""

from __future__ import annotations

from harness.publish.layout import (
    CHANGE_SUFFIX,
    KEY_SEPARATOR,
    MAX_WIDTH,
    SUMMARY_FIXED,
    Cell,
    axis_format,
    fitted_widths,
    number_format,
    summary_header_rows,
    summary_keys,
    summary_spans,
    summary_widths,
    waiting_note,
)

A = "t.py::test_a"
KEYS = [*SUMMARY_FIXED, A + KEY_SEPARATOR + "step_ms", A + KEY_SEPARATOR + "step_ms"
        + CHANGE_SUFFIX, A + KEY_SEPARATOR + "mem", "b" + KEY_SEPARATOR + "acc"]


def test_header_rows_name_each_test_once_over_its_metrics_and_read_back():
    top, bottom = summary_header_rows(KEYS)
    assert top == ["", "", "", "", "", "", A, "", "", "b"]
    assert bottom == [*SUMMARY_FIXED, "step_ms", "Δ%", "mem", "acc"]
    assert summary_spans(top) == [(6, 8)]
    assert summary_keys(top, bottom) == KEYS
    # merged cells may read back as None, and trailing empty columns are dropped
    assert summary_keys([None if not label else label for label in top] + [None],
                        bottom + [""]) == KEYS


def test_spans_of_one_column_are_left_out_and_the_last_reaches_the_end():
    assert summary_spans(["", "x", "", "y"]) == [(1, 2)]
    assert summary_spans(["", "x", "y", "", ""]) == [(2, 4)]
    assert not summary_spans(["", "", ""])


def row(values):
    """A Summary row of plain cells."""
    return [Cell(value) for value in values]


def test_a_long_test_label_widens_the_last_column_of_its_span():
    long_test = "suites/integration/test_models.py::test_resnet_training_throughput"
    keys = [*SUMMARY_FIXED, long_test + KEY_SEPARATOR + "a", long_test + KEY_SEPARATOR + "b",
            "c" + KEY_SEPARATOR + "d"]
    rows = [row(["2026-01-01", "abc", "subject", "main", "cpu", "r1", 1.0, 2.0, 3.0])]
    top, bottom = summary_header_rows(keys)
    base = fitted_widths(bottom, rows, wrap_from=len(SUMMARY_FIXED))
    widths = summary_widths(keys, rows)
    need = round(len(long_test) * 1.1 + 1.5)
    assert widths[:7] == base[:7] and widths[8] == base[8]
    assert widths[7] == base[7] + need - base[6] - base[7]
    assert sum(widths[6:8]) == need
    assert top[8] == "c" and widths[8] >= round(len("c") * 1.1 + 1.5)


def test_a_label_wider_than_the_widest_column_is_capped():
    huge = "x" * 200
    keys = [*SUMMARY_FIXED, huge + KEY_SEPARATOR + "a"]
    rows = [row(["2026-01-01", "abc", "subject", "main", "cpu", "r1", 1.0])]
    assert summary_widths(keys, rows)[6] == MAX_WIDTH


def test_short_labels_keep_the_fitted_widths():
    keys = [*SUMMARY_FIXED, "t" + KEY_SEPARATOR + "metric_name", "t" + KEY_SEPARATOR + "other"]
    rows = [row(["2026-01-01", "abc", "subject", "main", "cpu", "r1", 1.0, 2.0])]
    _top, bottom = summary_header_rows(keys)
    assert summary_widths(keys, rows) == fitted_widths(bottom, rows, wrap_from=6)


def test_the_waiting_note_counts_the_runs_still_needed():
    assert waiting_note(0) is None
    assert waiting_note(-1) is None
    assert waiting_note(1) == ("not judged yet: this series needs 1 more run in this "
                               "environment before detection colours it")
    assert waiting_note(3) == ("not judged yet: this series needs 3 more runs in this "
                               "environment before detection colours it")


def test_header_rows_read_back_from_rows_of_different_lengths():
    top, bottom = summary_header_rows(KEYS)
    # a sheet may return a short first row: the last test label holds to the end
    assert summary_keys(top[:7], bottom) == [*KEYS[:9], A + KEY_SEPARATOR + "acc"]
    # and a short second row ends the keys there
    assert summary_keys(top, bottom[:8]) == KEYS[:8]


def test_a_column_without_a_test_is_its_own_key():
    keys = [*SUMMARY_FIXED, "notes"]
    top, bottom = summary_header_rows(keys)
    assert top == [""] * 7 and bottom == keys
    assert summary_keys(top, bottom) == keys


def test_an_axis_shows_enough_decimals_to_tell_about_four_ticks_apart():
    assert axis_format([]) == "0.00"
    assert axis_format([0.001234]) == number_format(0.001234)
    assert axis_format([0.001234, 0.001234]) == number_format(0.001234)
    assert axis_format([0.0, 40.0]) == "#,##0"
    assert axis_format([0.0, 4.0]) == "#,##0"
    assert axis_format([0.0, 0.4]) == "0.0"  # ticks 0.1 apart
    assert axis_format([1.0, 1.04]) == "0.00"
    assert axis_format(["x", None, 1.0, 1.04]) == "0.00"


def test_each_of_several_spans_ends_before_the_next_label():
    assert summary_spans(["", "x", "", "y", "", "z"]) == [(1, 2), (3, 4)]


def test_long_metric_headers_wrap_instead_of_widening_their_column():
    keys = [*SUMMARY_FIXED, "t" + KEY_SEPARATOR + "throughput images per second"]
    rows = [row(["2026-01-01", "abc", "subject", "main", "cpu", "r1", 1.0])]
    _top, bottom = summary_header_rows(keys)
    widths = summary_widths(keys, rows)
    assert widths == fitted_widths(bottom, rows, wrap_from=len(SUMMARY_FIXED))
    assert widths[6] < fitted_widths(bottom, rows)[6]
