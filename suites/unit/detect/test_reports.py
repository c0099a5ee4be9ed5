"""Markdown and HTML reports from real verdicts."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from harness.detect import detect
from harness.records import StoredVerdict, VerdictState, utc_now
from harness.report.markdown import markdown_report

from .helpers import make_series


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        self._in_cell = tag == "td"

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)


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
    assert len(parser.images) == 2
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG")
    assert "regression" in parser.cells and "environment change" in parser.cells
    page = path.read_text(encoding="utf-8")
    assert page.index("What changed") < page.index("<table>") < page.index("<img ")
    assert "chance that noise alone made this shift" in page
    assert "http" not in path.read_text(encoding="utf-8").replace("http-equiv", "")
