"""Trend plots (matplotlib, imported only here): one PNG per series, changes marked."""

from __future__ import annotations

import io

from harness.detect.series import Series
from harness.records import Verdict, VerdictKind

_COLOURS = {
    VerdictKind.REGRESSION: "#c62828",
    VerdictKind.IMPROVEMENT: "#2e7d32",
    VerdictKind.ENVIRONMENT_CHANGE: "#6a1b9a",
}


def trend_png(series: Series, verdicts: list[Verdict]) -> bytes:
    """A PNG of the series over runs: one colour per environment, change points as vertical
    lines (red regression, green improvement, purple environment), outliers circled."""
    import matplotlib  # pylint: disable=import-outside-toplevel  # optional extra `report`

    matplotlib.use("Agg")
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    figure, axes = pyplot.subplots(figsize=(8, 2.8), dpi=90)
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
        axes.set_title(f"{series.test} · {series.metric}", fontsize=9)
        axes.set_xlabel("run")
        axes.set_ylabel(f"{series.metric}{unit}", fontsize=8)
        if len(series.segments()) > 1:
            axes.legend(fontsize=7)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)
