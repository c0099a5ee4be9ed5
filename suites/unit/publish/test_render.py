"""The workbook as a person reads it: rendered by LibreOffice headless, its text read back.

Skips when LibreOffice is not installed, unless HARNESS_REQUIRE_RENDER=1 (CI), then fails.
Widths are measured in Calibri's metrics: install Carlito (fonts-crosextra-carlito).
"""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import os
import re
import shutil

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from harness.publish.layout import (
    REGRESSIONS_TAB,
    SUMMARY_TAB,
    TRENDS_HEADER,
    Cell,
    header_lines,
    summary_keys,
    trends,
)
from harness.testing import render

pytestmark = pytest.mark.slow  # LibreOffice renders the workbook (CI runs it; see noxfile.py)


@pytest.fixture(name="rendered")
def fixture_rendered(tmp_path):
    if render.soffice() is None or shutil.which("pdftotext") is None:
        if os.environ.get("HARNESS_REQUIRE_RENDER") == "1":
            pytest.fail("HARNESS_REQUIRE_RENDER=1 but soffice or pdftotext is missing")
        pytest.skip("LibreOffice (soffice) and poppler-utils (pdftotext) are not installed")
    workbook = render.demo_workbook(tmp_path)
    text = render.pdf_text(render.to_pdf(workbook, tmp_path))
    return load_workbook(workbook), text


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_rendered_workbook_shows_no_hashes_and_both_summary_header_rows_whole(rendered):
    book, text = rendered
    assert "###" not in text
    squeezed = _squeezed(text)
    sheet = book[SUMMARY_TAB]
    tests = [str(cell.value) for cell in sheet[1] if cell.value]
    metrics = [str(cell.value) for cell in sheet[2] if cell.value]
    # Row 1: each test, path dropped, whole on one line (it spans its merged columns).
    assert tests and all("::" not in test and "/" not in test for test in tests)
    lines = [line.strip() for line in text.splitlines()]
    for test in tests:
        assert any(test in line for line in lines), test
    # Row 2: each metric with its unit; a wrapped one shows each word whole, in order.
    assert "top1 (%)" in metrics and "throughput (samples/s)" in metrics
    for name in metrics:
        words = name.split()
        assert all(word in text for word in words), name
        assert _squeezed(name) in squeezed or all(w in squeezed for w in words), name
    # The metric row is tall enough for its wrapped lines (else they spill into the data).
    widths = [int(sheet.column_dimensions[get_column_letter(index + 1)].width) - 1
              for index in range(sheet.max_column)]
    names = [str(cell.value or "") for cell in sheet[2]]
    assert sheet.row_dimensions[2].height >= 15 * header_lines(names, widths) > 15


def test_rendered_summary_shows_every_number_with_its_significant_digits(rendered):
    book, text = rendered
    for row in book[SUMMARY_TAB].iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, float):
                kind = "change" if "%" in cell.number_format and '"' in cell.number_format \
                    else "number"
                assert Cell(cell.value, kind).shown in text, (cell.coordinate, cell.value)


def test_rendered_regressions_tab_shows_every_commit_range_whole(rendered):
    book, text = rendered
    rows = list(book[REGRESSIONS_TAB].iter_rows(min_row=1, values_only=True))
    column = rows[0].index("suspect_commits")
    ranges = {row[column] for row in rows[1:] if row[column]}
    assert ranges and all(commits in text for commits in ranges)


def test_rendered_trends_tab_draws_a_chart_per_metric_with_its_labels(rendered):
    book, text = rendered
    pages = text.split("\f")
    start = next(i for i, page in enumerate(pages) if TRENDS_HEADER[-1] in page)
    end = next(i for i, page in enumerate(pages) if i > start and "suspect_commits" in page)
    shown = "\n".join(pages[start:end])
    summary = book[SUMMARY_TAB]
    found = trends(summary_keys([c.value for c in summary[1]], [c.value for c in summary[2]]))
    assert len(found) == 6
    ticks = [float(n.replace(",", "")) for n in re.findall(r"(?<![\w.])[\d,]+\.?\d*", shown)
             if n.replace(",", "").replace(".", "").isdigit()]
    for trend in found:
        assert re.search(rf"{re.escape(trend.test)}\s+{re.escape(trend.metric)}", shown), trend
        values = [row[0] for row in summary.iter_rows(min_row=3, min_col=trend.column + 1,
                                                      max_col=trend.column + 1,
                                                      values_only=True)]
        low, high = min(values), max(values)
        # The chart's value axis is drawn: a tick label within its values' range.
        assert any(low - (high - low) <= tick <= high + (high - low) for tick in ticks), trend
