"""Trend plots (matplotlib, imported only here): one inline SVG per series, changes marked;
its text (title, commit labels) stays text, so a browser finds and a reader selects it."""

from __future__ import annotations

import io

from harness.detect.series import Series
from harness.records import Verdict, VerdictKind

_COLOURS = {
    VerdictKind.REGRESSION: "#c62828",
    VerdictKind.IMPROVEMENT: "#2e7d32",
    VerdictKind.ENVIRONMENT_CHANGE: "#6a1b9a",
}


MAX_COMMIT_LABELS = 16


def trend_svg(series: Series, verdicts: list[Verdict], large: bool = True) -> str:
    """An `<svg>` element of the series over runs: one colour per environment, change points
    as vertical lines (red regression, green improvement, purple environment), outliers
    circled; the x axis labelled with commits. `large` for a changed series, small for a
    steady one."""
    import matplotlib  # pylint: disable=import-outside-toplevel  # optional extra `report`

    matplotlib.use("Agg")
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    figure, axes = pyplot.subplots(figsize=(10, 3.2) if large else (4.2, 1.8), dpi=90)
    label = f"{series.test} · {series.metric}"
    try:
        position = {point.run_index: number for number, point in enumerate(series.points)}
        for segment in series.segments():
            axes.plot([position[p.run_index] for p in segment], [p.value for p in segment],
                      marker=".", linewidth=1, label=f"env {segment[0].env[:8]}")
        for verdict in verdicts:
            where = position.get(verdict.run_index)
            if where is None:
                continue
            if verdict.kind is VerdictKind.OUTLIER:
                axes.plot([where], [verdict.value], "o", markersize=10, fillstyle="none",
                          color="#ef6c00")
            else:
                colour = _COLOURS[verdict.kind]
                axes.axvline(where - 0.5, color=colour, linestyle="--")
                pct = f" {verdict.change_pct:+.1f}%" if verdict.change_pct is not None else ""
                axes.annotate(f"{verdict.commit[:8]}{pct}", (where - 0.5, 1.0),
                              xycoords=("data", "axes fraction"), xytext=(3, -10),
                              textcoords="offset points", fontsize=7, color=colour)
        unit = f" ({series.unit})" if series.unit else ""
        axes.set_title(label, fontsize=9 if large else 7)
        _commit_axis(axes, [point.commit for point in series.points], large)
        axes.set_ylabel(f"{series.metric}{unit}", fontsize=8 if large else 6)
        if len(series.segments()) > 1:
            axes.legend(fontsize=7)
        figure.tight_layout()
        return _svg(figure, label)
    finally:
        pyplot.close(figure)


def _svg(figure, salt: str) -> str:
    """The figure as an `<svg>` element, its text kept as text, no authoring metadata."""
    import matplotlib  # pylint: disable=import-outside-toplevel  # optional extra `report`

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    if "<metadata>" in text:
        text = text[:text.index("<metadata>")] + text[text.index("</metadata>") + 11:]
    return text


def _commit_axis(axes, commits: list[str], large: bool) -> None:
    """Ticks at runs, labelled with their short commits (every n-th one when many)."""
    step = max(1, -(-len(commits) // (MAX_COMMIT_LABELS if large else 4)))
    ticks = list(range(0, len(commits), step))
    axes.set_xticks(ticks, [commits[tick][:8] or "-" for tick in ticks],
                    rotation=30 if large else 0, ha="right" if large else "center",
                    fontsize=7 if large else 6)
    axes.set_xlim(-0.5, max(len(commits) - 0.5, 0.5))
    axes.set_xlabel("commit (oldest run left)", fontsize=8 if large else 6)
    axes.tick_params(axis="y", labelsize=7 if large else 6)
