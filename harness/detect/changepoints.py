"""Change-point search: where does the mean level of a series shift?

Two interchangeable engines minimise the same penalised squared-error cost:
`pelt` (the exact optimum, from the `ruptures` library) and `binseg` (our greedy binary
segmentation, pure Python). The penalty scales with the series' noise, so the same setting
works for a 0.1 % accuracy series and a 5 % noisy timing series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

METHODS = ("binseg", "pelt")


def penalty(sigma: float, n_points: int, beta: float) -> float:
    """A BIC-style penalty per change point: beta * sigma^2 * log(n)."""
    return beta * sigma * sigma * math.log(max(n_points, 2))


def find_change_points(
    values: Sequence[float], pen: float, method: str = "binseg", min_size: int = 2
) -> list[int]:
    """Indices where a new level starts (each in 1..n-1), ascending."""
    if len(values) < 2 * min_size:
        return []
    if method == "binseg":
        return binary_segmentation(values, pen, min_size)
    if method == "pelt":
        return pelt(values, pen, min_size)
    raise ValueError(f"unknown change-point method '{method}': choose one of {METHODS}")


def pelt(values: Sequence[float], pen: float, min_size: int = 2) -> list[int]:
    """Optimal segmentation by PELT (ruptures, L2 cost)."""
    import numpy  # pylint: disable=import-outside-toplevel  # optional extra `detect`

    try:
        import ruptures  # pylint: disable=import-outside-toplevel  # optional extra `detect`
    except ImportError as error:
        raise ImportError(
            "the 'pelt' method needs ruptures: pip install 'harness[detect]'"
        ) from error
    signal = numpy.asarray(values, dtype=float).reshape(-1, 1)
    algo = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(signal)
    return [int(index) for index in algo.predict(pen=pen)[:-1]]


class _Prefix:
    """Prefix sums that give any segment's squared-error cost in O(1)."""

    def __init__(self, values: Sequence[float]) -> None:
        self.sums = [0.0]
        self.squares = [0.0]
        for value in values:
            self.sums.append(self.sums[-1] + value)
            self.squares.append(self.squares[-1] + value * value)

    def cost(self, start: int, end: int) -> float:
        """Sum of squared deviations from the mean of values[start:end]."""
        total = self.sums[end] - self.sums[start]
        return self.squares[end] - self.squares[start] - total * total / (end - start)


def binary_segmentation(values: Sequence[float], pen: float, min_size: int = 2) -> list[int]:
    """Greedy binary segmentation: split where the cost drops most, while it drops > pen."""
    prefix = _Prefix(values)
    found: list[int] = []
    pending = [(0, len(values))]
    while pending:
        start, end = pending.pop()
        best_gain, best_split = 0.0, None
        whole = prefix.cost(start, end)
        for split in range(start + min_size, end - min_size + 1):
            gain = whole - prefix.cost(start, split) - prefix.cost(split, end)
            if gain > best_gain:
                best_gain, best_split = gain, split
        if best_split is not None and best_gain > pen:
            found.append(best_split)
            pending.extend([(start, best_split), (best_split, end)])
    return sorted(found)
