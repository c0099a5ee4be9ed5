"""Markdown and HTML reports from real verdicts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from harness.detect import detect
from harness.records import StoredVerdict, VerdictState, utc_now
from harness.report.markdown import markdown_report
from harness.settings import resolve
from harness.stages.check import check_store
from harness.store import Store

from .helpers import fill_store, make_series


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.plots = 0
        self.cells: list[str] = []
        self.plot_text: list[str] = []
        self._in_cell = self._in_plot = False

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.plots += 1
            self._in_plot = True
        self._in_cell = tag == "td"

    def handle_endtag(self, tag):
        if tag == "svg":
            self._in_plot = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)
        if self._in_plot and data.strip():
            self.plot_text.append(data.strip())


def _history():
    slow = make_series(21, shifts={40: 0.10}, env_changes={60: -0.2})
    steady = make_series(22, level=0.9, noise=0.002, higher_is_better=True, metric="accuracy")
    return [slow, steady], detect([slow, steady])


def test_markdown_has_the_table_and_a_repro_per_regression() -> None:
    series, verdicts = _history()
    now = utc_now()
    items = [StoredVerdict(f"key{n:013d}", v, VerdictState.CONFIRMED, now, now)
             for n, v in enumerate(verdicts)]
    text = markdown_report(items, len(series))
    assert "1 regression, 0 improvements, 0 outliers, 1 environment change in 2 series" in text
    assert "| key00000 | confirmed | regression | suites/x.py::test_model | step_ms |" in text
    assert "| environment change |" in text
    assert text.count("<details>") == 2 and "harness bisect --test" in text


def test_html_is_self_contained_with_table_and_one_plot_per_metric(tmp_path) -> None:
    pytest.importorskip("matplotlib", reason="the optional `report` extra is not installed")
    from harness.report.html import write_html  # pylint: disable=import-outside-toplevel

    series, verdicts = _history()
    path = write_html(tmp_path / "out" / "report.html", series, verdicts)
    parser = _Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.plots == 2
    # The plots' text is text: the title and the commits on the x axis.
    assert f"{series[0].test} · step_ms" in parser.plot_text
    assert series[0].points[40].commit[:8] in parser.plot_text
    assert "regression" in parser.cells and "environment change" in parser.cells
    page = path.read_text(encoding="utf-8")
    assert page.index("What changed") < page.index("<table>") < page.index("<svg ")
    assert "chance that noise alone made this shift" in page
    # Self-contained: nothing to fetch (XML namespace names are names, not requests).
    assert not re.search(r"""(src|href)=["']?(https?:|//)|url\((?!#)|@import""", page)


def test_series_without_enough_history_are_listed_with_the_runs_they_need(tmp_path) -> None:
    store = Store.open(str(tmp_path / "results.db"))
    fill_store(store, make_series(3, runs=3))
    result = check_store(store, resolve())
    assert result.needed == (("suites/x.py::test_model", "step_ms", 2),)
    text = markdown_report(list(result.verdicts), len(result.series), needed=result.needed)
    assert "1 series not judged yet" in text
    assert "- `suites/x.py::test_model` step_ms: 2 more runs" in text
    assert "1 series not judged yet" not in markdown_report([], 1)
    pytest.importorskip("matplotlib", reason="the optional `report` extra is not installed")
    from harness.report.html import render_html  # pylint: disable=import-outside-toplevel

    page = render_html(list(result.series), [], needed=result.needed)
    assert "suites/x.py::test_model · step_ms: 2 more runs</li>" in page
    store.close()
