"""Robust noise estimates: how much a metric moves between runs when nothing changed."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

# MAD of a normal sample is 0.6745 sigma; a difference of two values has sigma * sqrt(2).
MAD_TO_SD = 1.0 / 0.6744897501960817  # a normal sample's MAD to its standard deviation
MAD_TO_SIGMA = MAD_TO_SD / math.sqrt(2.0)  # the MAD of first differences to the noise's
# The largest tenth of |differences| is dropped (steps and spikes); the RMS of the rest of a
# normal sample is 0.789 of its standard deviation (normal truncated at +-1.645).
_TRIM = 0.10
_TRIMMED_RMS = 0.7892


def noise_floor(values: Sequence[float], relative_floor: float) -> float:
    """The smallest noise assumed: `relative_floor` times the typical level (never 0)."""
    import numpy  # pylint: disable=import-outside-toplevel  # keep `import harness` light

    floor = relative_floor * abs(float(numpy.median(values))) if len(values) else 0.0
    return max(floor, 1e-12)


def robust_sigma(values: Sequence[float], relative_floor: float = 1e-4) -> float:
    """The run-to-run noise (standard deviation) of `values`, robust to shifts and spikes.

    The larger of two estimates from first differences, which a level shift or a single
    outlier barely moves: their median absolute deviation (efficient for normal noise) and
    their root mean square without the largest tenth (which sees bimodal and heavy-tailed
    noise that the median hides, while a few steps or spikes are trimmed away). Quantised
    and deterministic values (most neighbours identical) thus get the noise of the runs that
    do move, not of the steps. Never below `relative_floor` times the typical level, so a
    perfectly deterministic metric still gets a finite, tiny noise.
    """
    import numpy  # pylint: disable=import-outside-toplevel  # keep `import harness` light

    floor = noise_floor(values, relative_floor)
    if len(values) < 3:
        return floor
    signed = numpy.diff(numpy.asarray(values, dtype=float))
    mad = float(numpy.median(numpy.abs(signed - numpy.median(signed)))) * MAD_TO_SIGMA
    diffs = numpy.sort(numpy.abs(signed))
    keep = diffs[:len(diffs) - max(1, math.ceil(_TRIM * len(diffs)))] if len(diffs) > 1 else diffs
    trimmed = math.sqrt(float(numpy.mean(keep * keep)) / 2.0) / _TRIMMED_RMS
    return max(mad, trimmed, floor)


def pooled_sigma(values: Sequence[float], change_points: Sequence[int]) -> float:
    """Pooled within-segment standard deviation once `change_points` split the series:
    what is left when every found level is taken out (0.0 without degrees of freedom)."""
    bounds = [0, *change_points, len(values)]
    squares, freedom = 0.0, 0
    for start, end in zip(bounds, bounds[1:]):
        part = values[start:end]
        if len(part) > 1:
            centre = math.fsum(part) / len(part)
            squares += math.fsum((value - centre) ** 2 for value in part)
            freedom += len(part) - 1
    return math.sqrt(squares / freedom) if freedom else 0.0


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (0.0 for no values)."""
    return math.fsum(values) / len(values) if len(values) else 0.0


def normal_two_sided_p(z_score: float) -> float:
    """Two-sided tail probability of a standard normal beyond |z|."""
    return math.erfc(abs(z_score) / math.sqrt(2.0))


def residual_sigma(values: Sequence[float], change_points: Sequence[int]) -> float:
    """Noise left around each segment's median once `change_points` split the series
    (robust: the median absolute residual, as a normal standard deviation)."""
    bounds = [0, *change_points, len(values)]
    residuals: list[float] = []
    for start, end in zip(bounds, bounds[1:]):
        centre = statistics.median(values[start:end])
        residuals.extend(abs(value - centre) for value in values[start:end])
    return statistics.median(residuals) * MAD_TO_SD if residuals else 0.0
