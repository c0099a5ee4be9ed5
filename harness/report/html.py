"""A self-contained HTML report: the verdict table on top, then one trend plot per series."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from harness.detect.series import Series
from harness.records import Verdict
from harness.report.plots import trend_png
from harness.report.rows import COLUMNS, cells, headline

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
tr.regression td { background: #fdecea; } tr.improvement td { background: #e8f5e9; }
tr.environment_change td { background: #f3e5f5; }
pre { background: #f6f8fa; padding: 0.5em; font-size: 0.85em; }
figure { margin: 1em 0; }
"""


def _table(verdicts: list[Verdict]) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in COLUMNS)
    rows = [
        f'<tr class="{verdict.kind.value}">'
        + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells(verdict)) + "</tr>"
        for verdict in verdicts
    ]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(series_list: list[Series], verdicts: list[Verdict],
                title: str = "harness regression report") -> str:
    """The whole report as one HTML string (plots embedded as base64 PNG)."""
    by_series: dict[tuple[str, str], list[Verdict]] = {}
    for verdict in verdicts:
        by_series.setdefault((verdict.test, verdict.metric), []).append(verdict)
    ordered = sorted(series_list, key=lambda s: ((s.test, s.metric) not in by_series,
                                                 s.test, s.metric))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(headline(verdicts, len(series_list)))}</p>",
        _table(verdicts) if verdicts else "<p>No changes beyond each series' noise.</p>",
    ]
    for verdict in verdicts:
        if verdict.repro and verdict.is_regression:
            parts.append(f"<h3>Reproduce {html.escape(verdict.test)} · "
                         f"{html.escape(verdict.metric)}</h3>"
                         f"<pre>{html.escape(verdict.repro)}</pre>")
    parts.append("<h2>Trends</h2>")
    for series in ordered:
        png = base64.b64encode(trend_png(series, by_series.get((series.test, series.metric), [])))
        label = html.escape(f"{series.test} · {series.metric}")
        parts.append(f'<figure><img alt="{label}" src="data:image/png;base64,{png.decode()}">'
                     f"<figcaption>{label}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(path: Path, series_list: list[Series], verdicts: list[Verdict],
               title: str = "harness regression report") -> Path:
    """Write the report to `path` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(series_list, verdicts, title), encoding="utf-8")
    return path
