"""Robust noise estimates: how much a metric moves between runs when nothing changed."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

# MAD of a normal sample is 0.6745 sigma; a difference of two values has sigma * sqrt(2).
_MAD_TO_SIGMA = 1.0 / (0.6744897501960817 * math.sqrt(2.0))


def robust_sigma(values: Sequence[float], relative_floor: float = 1e-4) -> float:
    """The run-to-run noise (standard deviation) of `values`, robust to shifts and spikes.

    Uses the median absolute first difference, which a level shift or a single outlier
    barely moves. Quantised values (many identical neighbours) fall back to the standard
    deviation of the differences. Never below `relative_floor` times the typical level, so a
    perfectly deterministic metric still gets a finite, tiny noise.
    """
    floor = relative_floor * abs(statistics.median(values)) if values else 0.0
    floor = max(floor, 1e-12)
    if len(values) < 3:
        return floor
    diffs = [b - a for a, b in zip(values, values[1:])]
    centre = statistics.median(diffs)
    sigma = statistics.median(abs(d - centre) for d in diffs) * _MAD_TO_SIGMA
    if sigma == 0.0:
        sigma = statistics.pstdev(diffs) / math.sqrt(2.0)
    return max(sigma, floor)


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (0.0 for no values)."""
    return math.fsum(values) / len(values) if values else 0.0


def normal_two_sided_p(z_score: float) -> float:
    """Two-sided tail probability of a standard normal beyond |z|."""
    return math.erfc(abs(z_score) / math.sqrt(2.0))


def residual_sigma(values: Sequence[float], change_points: Sequence[int]) -> float:
    """Noise left around each segment's median once `change_points` split the series.

    Larger than the run-to-run noise when a segment still holds a trend or an unfound shift,
    which keeps a slowly wandering series from being cut into many small "shifts".
    """
    bounds = [0, *change_points, len(values)]
    residuals: list[float] = []
    for start, end in zip(bounds, bounds[1:]):
        centre = statistics.median(values[start:end])
        residuals.extend(abs(value - centre) for value in values[start:end])
    return statistics.median(residuals) / 0.6744897501960817 if residuals else 0.0
