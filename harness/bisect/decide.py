"""Is a commit good or bad? Compare its measurements with both ends, using their noise."""

from __future__ import annotations

import enum
import math
import statistics
from dataclasses import asdict, dataclass


class Decision(str, enum.Enum):
    """A bisection step's answer; UNCLEAR asks for more measurements."""

    GOOD = "good"
    BAD = "bad"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class Baseline:
    """Measurements at the good and the bad commit, and the noise of one measurement."""

    good: float
    bad: float
    sigma: float

    @classmethod
    def from_samples(cls, good: list[float], bad: list[float]) -> Baseline:
        """Levels are medians; noise is the pooled spread of the repeats (never zero)."""
        spreads = [statistics.pstdev(values) for values in (good, bad) if len(values) > 1]
        sigma = math.sqrt(statistics.fmean(s * s for s in spreads)) if spreads else 0.0
        level_g, level_b = statistics.median(good), statistics.median(bad)
        floor = 1e-6 * max(abs(level_g), abs(level_b), 1e-12)
        return cls(level_g, level_b, max(sigma, floor))

    def to_dict(self) -> dict[str, float]:
        """JSON-ready form."""
        return asdict(self)


def decide(values: list[float], baseline: Baseline, min_z: float = 3.0) -> Decision:
    """GOOD or BAD by which end the mean is nearer, once it is `min_z` standard errors from
    the midpoint; UNCLEAR otherwise (the caller measures again)."""
    if not values:
        return Decision.UNCLEAR
    level = statistics.fmean(values)
    midpoint = (baseline.good + baseline.bad) / 2
    error = baseline.sigma / math.sqrt(len(values))
    if abs(level - midpoint) < min_z * error:
        return Decision.UNCLEAR
    return Decision.BAD if abs(level - baseline.bad) < abs(level - baseline.good) else Decision.GOOD
