"""Change-point search: where does the mean level of a series shift?

Two engines: `binseg` (ours, numpy) splits greedily where the squared error drops most and
stops when a significance test rejects the next split; `pelt` (the `ruptures` library) finds
the exact optimum of squared error plus a penalty per change. The penalty scales with the
series' noise, so one setting fits a 0.1 % accuracy and a 5 % timing series.

Each level of the binary segmentation costs O(n) (prefix sums, vectorised): the best single
split is scanned exhaustively, a "bump" (a stretch that left the level and came back) only
between the extremes of the segment's cumulative sum, where its ends must lie. Where neither
shows, shifts that cancel over the whole segment (up, down, up again) are looked for in
seeded intervals (Kovacs et al., "Seeded binary segmentation", 2023): halves, quarters, ...
of the segment, overlapping by half (the last one ending with the segment), each with its
own best split.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

METHODS = ("binseg", "pelt")

# accept(change points including the candidate, segment start, candidate, segment end)
Accept = Callable[[list[int], int, int, int], bool]

BUMP_CANDIDATES = 6  # extremes of the cumulative sum tried as each end of a bump
SEEDED_MIN_LENGTH = 8  # the shortest seeded interval


def penalty(sigma: float, n_points: int, beta: float) -> float:
    """A BIC-style penalty per change point: beta * sigma^2 * log(n)."""
    return beta * sigma * sigma * math.log(max(n_points, 2))


def find_change_points(  # pylint: disable=too-many-arguments  # engine knobs, all optional
        values: Sequence[float], pen: float, method: str = "binseg", min_size: int = 2,
        accept: Accept | None = None, allowed: Sequence[bool] | None = None,
        prefix: Prefix | None = None, min_gain: float | None = None,
) -> list[int]:
    """Indices where a new level starts (each in 1..n-1), ascending.

    `binseg` splits while `accept` (a significance test) agrees, or while the cost drops by
    more than `pen` when no test is given; `pelt` minimises cost + pen * changes exactly.
    `allowed[i]` False forbids a change starting at i (binseg only; e.g. between two runs of
    one commit, which cannot hold a change of the code). `prefix` reuses prefix sums.
    `min_gain`: seeded-interval splits that lower the squared error less are not offered to
    `accept` (default `pen`; a test of z standard errors needs a gain of z^2 sigma^2).
    """
    if len(values) < 2 * min_size:
        return []
    if method == "binseg":
        prefix = prefix or Prefix(values)
        return binary_segmentation(values, accept or _gain_above(prefix, pen), min_size,
                                   allowed, prefix, pen if min_gain is None else min_gain)
    if method == "pelt":
        found = pelt(values, pen, min_size)
        return [index for index in found if allowed is None or allowed[index]]
    raise ValueError(f"unknown change-point method '{method}': choose one of {METHODS}")


def pelt(values: Sequence[float], pen: float, min_size: int = 2) -> list[int]:
    """Optimal segmentation by PELT (ruptures, L2 cost)."""
    import numpy  # pylint: disable=import-outside-toplevel  # optional extra `detect`

    try:
        import ruptures  # pylint: disable=import-outside-toplevel  # optional extra `detect`
    except ImportError as error:
        raise ImportError(
            "the 'pelt' method needs ruptures: pip install 'torch-regression-harness[detect]'"
        ) from error
    signal = numpy.asarray(values, dtype=float).reshape(-1, 1)
    algo = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(signal)
    return [int(index) for index in algo.predict(pen=pen)[:-1]]


class Prefix:
    """Prefix sums (numpy) that give any segment's squared-error cost, and that of a straight
    line fitted to it, in O(1). Values are centred first, so sums stay accurate."""

    def __init__(self, values: Sequence[float]) -> None:
        import numpy  # pylint: disable=import-outside-toplevel  # keep `import harness` light

        array = numpy.asarray(values, dtype=float)
        self.offset = float(numpy.median(array)) if len(array) else 0.0
        centred = array - self.offset
        index = numpy.arange(len(array), dtype=float)
        zero = numpy.zeros(1)
        self.values = array
        self.sums = numpy.concatenate((zero, numpy.cumsum(centred)))
        self.squares = numpy.concatenate((zero, numpy.cumsum(centred * centred)))
        self.index_sums = numpy.concatenate((zero, numpy.cumsum(index * centred)))

    def cost(self, start, end):
        """Sum of squared deviations from the mean of values[start:end] (arrays allowed)."""
        total = self.sums[end] - self.sums[start]
        return self.squares[end] - self.squares[start] - total * total / (end - start)

    def line_cost(self, start: int, end: int) -> float:
        """Sum of squared deviations from the least-squares line through values[start:end]."""
        count = end - start
        if count < 3:
            return 0.0
        total = float(self.sums[end] - self.sums[start])
        cross = float(self.index_sums[end] - self.index_sums[start])
        mid = (start + end - 1) / 2.0
        spread = count * (count * count - 1) / 12.0  # sum of (i - mid)^2
        slope_part = cross - mid * total
        return max(0.0, float(self.cost(start, end)) - slope_part * slope_part / spread)

    def mean(self, start: int, end: int) -> float:
        """Mean of values[start:end]."""
        return float(self.sums[end] - self.sums[start]) / (end - start) + self.offset


def _gain_above(prefix: Prefix, pen: float) -> Accept:
    def accept(_trial: list[int], start: int, split: int, end: int) -> bool:
        gain = prefix.cost(start, end) - prefix.cost(start, split) - prefix.cost(split, end)
        return float(gain) > pen
    return accept


def best_split(prefix: Prefix, start: int, end: int, min_size: int, mask=None
               ) -> tuple[float, int | None]:
    """The split of values[start:end] that lowers the squared error most, and by how much."""
    import numpy  # pylint: disable=import-outside-toplevel

    splits = numpy.arange(start + min_size, end - min_size + 1)
    if mask is not None and len(splits):
        splits = splits[mask[splits]]
    if len(splits) == 0:
        return 0.0, None
    gains = prefix.cost(start, end) - prefix.cost(start, splits) - prefix.cost(splits, end)
    best = int(numpy.argmax(gains))
    gain = float(gains[best])
    return (gain, int(splits[best])) if _real_gain(gain, prefix, start, end) else (0.0, None)


def best_bump(  # pylint: disable=too-many-locals  # vectorised candidate pairs
        prefix: Prefix, start: int, end: int, min_size: int, mask=None
) -> tuple[float, tuple[int, int] | None]:
    """The best "bump" in values[start:end]: a stretch that left the level and came back.

    A single split cannot see a shift that a later commit undid (before and after agree);
    as in circular binary segmentation, test the stretch against what surrounds it. Its gain
    is (C[q] - C[p])^2 * N / (L * (N - L)) for the centred cumulative sum C, so its ends lie
    near C's extremes: only pairs among the few largest and smallest values are tried.
    """
    import numpy  # pylint: disable=import-outside-toplevel

    count = end - start
    if count < 3 * min_size:
        return 0.0, None
    positions = numpy.arange(start + min_size, end - min_size + 1)
    if mask is not None:
        positions = positions[mask[positions]]
    if len(positions) < 2:
        return 0.0, None
    mean = (prefix.sums[end] - prefix.sums[start]) / count
    cumulative = prefix.sums[positions] - prefix.sums[start] - mean * (positions - start)
    order = numpy.argsort(cumulative)
    picks = numpy.unique(numpy.concatenate((order[:BUMP_CANDIDATES], order[-BUMP_CANDIDATES:])))
    grid = numpy.meshgrid(positions[picks], positions[picks], indexing="ij")
    first, second = grid[0].ravel(), grid[1].ravel()
    keep = second - first >= min_size
    if not keep.any():
        return 0.0, None
    first, second = first[keep], second[keep]
    inside = second - first
    height = (prefix.sums[second] - prefix.sums[first]) - mean * inside
    gains = height * height * count / (inside * (count - inside))
    best = int(numpy.argmax(gains))
    if not _real_gain(float(gains[best]), prefix, start, end):
        return 0.0, None
    return float(gains[best]), (int(first[best]), int(second[best]))


def _real_gain(gain: float, prefix: Prefix, start: int, end: int) -> bool:
    """Whether a gain is more than rounding error on the segment's cost."""
    return gain > 1e-12 * float(prefix.cost(start, end)) and gain > 0.0


def _accepted_bump(prefix: Prefix, found: list[int], bounds: tuple[int, int], min_size: int,
                   accept: Accept, mask) -> list[int]:
    start, end = bounds
    _gain, bump = best_bump(prefix, start, end, min_size, mask)
    if bump is None:
        return []
    first, second = bump
    trial = sorted([*found, first, second])
    if accept(trial, start, first, second) and accept(trial, first, second, end):
        return [first, second]
    return []


def seeded_splits(prefix: Prefix, bounds: tuple[int, int], min_size: int, mask=None,
                  min_gain: float = 0.0) -> list[tuple[float, int, int, int]]:
    """(gain, interval start, split, interval end) of the best split in each seeded interval
    of values[start:end] whose gain is above `min_gain`, largest gain first. The intervals
    are the segment's halves, quarters, ... (down to `SEEDED_MIN_LENGTH` runs), each scale
    overlapping by half an interval and its last interval ending with the segment."""
    found: list[tuple[float, int, int, int]] = []
    length = (bounds[1] - bounds[0]) // 2
    while length >= max(SEEDED_MIN_LENGTH, 2 * min_size):
        found.extend(item for item in _best_in_intervals(prefix, bounds, length, min_size, mask)
                     if item[0] > min_gain)
        length //= 2
    return sorted(found, reverse=True)


def _best_in_intervals(prefix: Prefix, bounds: tuple[int, int], length: int, min_size: int,
                       mask) -> list[tuple[float, int, int, int]]:
    """The best split of every seeded interval of one `length`, in one numpy step."""
    import numpy  # pylint: disable=import-outside-toplevel

    start, end = bounds
    firsts = numpy.unique(numpy.append(  # the last interval ends with the segment
        numpy.arange(start, end - length + 1, max(1, length // 2)), end - length))[:, None]
    splits = firsts + numpy.arange(min_size, length - min_size + 1)[None, :]
    gains = prefix.cost(firsts, firsts + length) - prefix.cost(firsts, splits) \
        - prefix.cost(splits, firsts + length)
    if mask is not None:
        gains = numpy.where(mask[splits], gains, -numpy.inf)
    best = numpy.argmax(gains, axis=1)
    return [(float(gains[row, best[row]]), int(firsts[row, 0]), int(splits[row, best[row]]),
             int(firsts[row, 0]) + length) for row in range(len(firsts))
            if numpy.isfinite(gains[row, best[row]])]


def _accepted_seeded(prefix: Prefix, found: list[int], bounds: tuple[int, int],
                     min_size: int, accept: Accept, mask, min_gain: float) -> list[int]:
    """The strongest seeded-interval split that `accept` takes within its interval."""
    for _gain, first, split, last in seeded_splits(prefix, bounds, min_size, mask, min_gain):
        if accept(sorted([*found, split]), first, split, last):
            return [split]
    return []


def binary_segmentation(  # pylint: disable=too-many-arguments,too-many-locals  # loop state
        values: Sequence[float], accept: Accept, min_size: int = 2,
        allowed: Sequence[bool] | None = None, prefix: Prefix | None = None,
        min_gain: float = 0.0) -> list[int]:
    """Greedy top-down segmentation: take the split that lowers the squared error most over
    all current segments, as long as `accept(points_with_it, start, split, end)` agrees;
    where it does not, a bump, then the seeded intervals (splits gaining over `min_gain`)."""
    import numpy  # pylint: disable=import-outside-toplevel

    prefix = prefix or Prefix(values)
    mask = None if allowed is None else numpy.asarray(allowed, dtype=bool)
    found: list[int] = []
    candidates = {(0, len(values)): best_split(prefix, 0, len(values), min_size, mask)}
    while candidates:
        (start, end), (_gain, split) = max(candidates.items(), key=lambda item: item[1][0])
        del candidates[(start, end)]
        if split is not None and accept(sorted([*found, split]), start, split, end):
            new = [split]
        else:
            new = _accepted_bump(prefix, found, (start, end), min_size, accept, mask) or \
                _accepted_seeded(prefix, found, (start, end), min_size, accept, mask, min_gain)
        found.extend(new)
        bounds = [start, *new, end]
        for part in zip(bounds, bounds[1:]) if new else ():
            candidates[part] = best_split(prefix, part[0], part[1], min_size, mask)
    return sorted(found)
