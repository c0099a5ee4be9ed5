"""A self-contained HTML report: what changed in words first, the verdict table, the changed
series plotted large, the unchanged ones small and collapsed."""

from __future__ import annotations

import html
from pathlib import Path

from collections.abc import Mapping, Sequence

from harness.detect.series import Series
from harness.records import Verdict
from harness.report.diff import Difference, shown
from harness.report.plots import trend_svg
from harness.report.rows import COLUMNS, CONFIDENCE_NOTE, KIND_LABELS, cells, headline, number

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
tr.regression td { background: #fdecea; } tr.improvement td { background: #e8f5e9; }
tr.environment_change td { background: #f3e5f5; }
pre { background: #f6f8fa; padding: 0.5em; font-size: 0.85em; }
figure { margin: 1em 0; }
.summary li { margin: 0.3em 0; }
.small { display: flex; flex-wrap: wrap; gap: 0.5em; }
.small figure { margin: 0; font-size: 0.75em; }
table.diff { margin: 0.5em 0 1em; } table.diff td { overflow-wrap: anywhere; }
"""

RunDiffs = Mapping[str, Sequence[Difference]]
"""Commit range ("last_good..first_bad", as the summary names it) -> what differs between
its last good and first bad run (config and environment)."""


def commit_range_label(verdict: Verdict) -> str:
    """The commit range a verdict's change lies in, as the summary groups by it."""
    return f"{verdict.last_good_commit[:10]}..{verdict.commit[:10]}" \
        if verdict.last_good_commit else verdict.commit[:10]


def _summary(verdicts: list[Verdict], diffs: RunDiffs) -> str:
    """What changed, in words, grouped by the commit range that holds the change; under each
    range what differs between its last good and first bad run."""
    if not verdicts:
        return "<p>Nothing changed beyond each series' noise.</p>"
    by_range: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        by_range.setdefault(commit_range_label(verdict), []).append(verdict)
    parts = ['<div class="summary"><h2>What changed</h2>']
    for commits, found in by_range.items():
        parts.append(f"<h3>Commits {html.escape(commits)}</h3><ul>")
        for verdict in found:
            unit = f" {verdict.unit}" if verdict.unit else ""
            pct = f"{verdict.change_pct:+.1f} %" if verdict.change_pct is not None else "a change"
            parts.append(
                f"<li><b>{html.escape(KIND_LABELS.get(verdict.kind, verdict.kind.value))}</b> "
                f"of {html.escape(verdict.test)} · {html.escape(verdict.metric)}: {pct} "
                f"({number(verdict.baseline)} → {number(verdict.value)}{html.escape(unit)}), "
                f"{'confirmed by later runs' if verdict.confirmed else 'not yet confirmed'}; "
                f"confidence {verdict.confidence:.2f}: the chance that noise alone made this "
                f"shift is {_chance(verdict.confidence)}; the detector "
                f"reports shifts from {number(verdict.min_detectable_change)}{html.escape(unit)}"
                "</li>")
        parts.append("</ul>")
        if commits in diffs:
            parts.append(_diff_table(diffs[commits]))
    parts.append(f"<p><small>{html.escape(CONFIDENCE_NOTE)}</small></p></div>")
    return "".join(parts)


def _needed(needed: Sequence[tuple[str, str, int]]) -> str:
    """The series without enough history yet, collapsed: no verdict and no colour."""
    if not needed:
        return ""
    items = "".join(f"<li>{html.escape(test)} · {html.escape(metric)}: {runs} more "
                    f"run{'s' * (runs != 1)}</li>" for test, metric, runs in needed)
    return (f"<details><summary>{len(needed)} series not judged yet: they need more runs in "
            f"their environment</summary><ul>{items}</ul></details>")


def _diff_table(found: Sequence[Difference]) -> str:
    """What differs between the range's last good and first bad run (not the metrics: the
    list above has them)."""
    rows = [item for item in found if item.section != "metrics"]
    if not rows:
        return ("<p>Last good and first bad run: same configuration and environment "
                "(only the code changed).</p>")
    def value(item: Difference, side: object) -> str:
        text = shown(side)
        return html.escape(text[:10] if item.key == "commit" else text)

    body = "".join(
        f"<tr><td>{html.escape(item.section)}</td><td>{html.escape(item.test)}</td>"
        f"<td>{html.escape(item.key)}</td><td>{value(item, item.a)}</td>"
        f"<td>{value(item, item.b)}</td></tr>" for item in rows)
    return ('<p>What differs between the last good and the first bad run:</p>'
            '<table class="diff"><thead><tr><th>section</th><th>test</th><th>key</th>'
            f"<th>last good</th><th>first bad</th></tr></thead><tbody>{body}</tbody></table>")


def _chance(confidence: float) -> str:
    """1 - confidence in words: '3 %', or 'under 0.1 %'."""
    chance = max(0.0, 1.0 - confidence) * 100
    return "under 0.1 %" if chance < 0.1 else f"{chance:.2g} %"


def _figure(series: Series, verdicts: list[Verdict], large: bool) -> str:
    svg = trend_svg(series, verdicts, large=large)
    label = html.escape(f"{series.test} · {series.metric}")
    return (f'<figure role="img" aria-label="{label}">{svg}'
            f"<figcaption>{label}</figcaption></figure>")


def _table(verdicts: list[Verdict]) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in COLUMNS)
    rows = [
        f'<tr class="{verdict.kind.value}">'
        + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells(verdict)) + "</tr>"
        for verdict in verdicts
    ]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(series_list: list[Series], verdicts: list[Verdict],
                title: str = "harness regression report", diffs: RunDiffs | None = None,
                needed: Sequence[tuple[str, str, int]] = ()) -> str:
    """The whole report as one HTML string (plots inline as SVG); `diffs` adds what
    differs between the runs around each flagged commit range, `needed` the series not
    judged yet (test, metric, runs still needed)."""
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
        _summary(verdicts, diffs or {}),
        _needed(needed),
        _table(verdicts) if verdicts else "",
    ]
    for verdict in verdicts:
        if verdict.repro and verdict.is_regression:
            parts.append(f"<h3>Reproduce {html.escape(verdict.test)} · "
                         f"{html.escape(verdict.metric)}</h3>"
                         f"<pre>{html.escape(verdict.repro)}</pre>")
    changed = [s for s in ordered if (s.test, s.metric) in by_series]
    steady = [s for s in ordered if (s.test, s.metric) not in by_series]
    if changed:
        parts.append("<h2>Changed series</h2>")
        parts.extend(_figure(s, by_series[(s.test, s.metric)], True) for s in changed)
    if steady:
        parts.append(f"<details><summary>{len(steady)} unchanged series</summary>"
                     '<div class="small">')
        parts.extend(_figure(s, [], False) for s in steady)
        parts.append("</div></details>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(  # pylint: disable=too-many-arguments  # render_html's, and where
        path: Path, series_list: list[Series], verdicts: list[Verdict],
        title: str = "harness regression report", diffs: RunDiffs | None = None,
        needed: Sequence[tuple[str, str, int]] = ()) -> Path:
    """Write the report to `path` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(series_list, verdicts, title, diffs, needed), encoding="utf-8")
    return path
