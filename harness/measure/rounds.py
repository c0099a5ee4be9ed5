"""How many timed rounds: a fixed count, or until the median is known well enough.

The confidence interval of a quantile comes from order statistics (distribution-free: it
assumes only independent rounds), so a bimodal or long-tailed step time needs no normal model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist, median

Clock = Callable[[], float]

CONFIDENCE = 0.95
POWER = 0.80
MIN_ROUNDS = 10
MAX_ROUNDS = 10_000
ON_CPU_SHARE = 0.95  # a round whose CPU time is less than this share of its wall time waited


@dataclass(frozen=True)
class Rounds:
    """The timed rounds of one measurement and why they stopped.

    `ended_by` is "rounds" (a fixed count), "ci" (the median's interval reached the target),
    "budget" (the time budget ran out first) or "max_rounds".
    """

    wall: tuple[float, ...]
    cpu: tuple[float, ...]
    ended_by: str
    elapsed_s: float


@dataclass(frozen=True)
class RoundsPlan:
    """What a measurement asked for: `rounds` calls, or adaptive rounds (rounds=None) until
    the median's CI is within +-`target_ci` or `budget_s` seconds are spent."""

    rounds: int | None
    warmup: int
    target_ci: float = 0.01
    budget_s: float = 10.0
    min_rounds: int = MIN_ROUNDS
    max_rounds: int = MAX_ROUNDS

    def __post_init__(self) -> None:
        if self.rounds is not None and self.rounds < 1 or self.warmup < 0:
            raise ValueError(f"need rounds >= 1 and warmup >= 0, got {self.rounds} and "
                             f"{self.warmup}")
        if not (self.target_ci > 0 and self.budget_s > 0
                and 1 <= self.min_rounds <= self.max_rounds):
            raise ValueError("need target_ci > 0, budget_s > 0 and 1 <= min_rounds <= "
                             "max_rounds")

    def as_details(self, timed: Rounds) -> dict[str, object]:
        """The plan and its outcome for `Measurement.details`."""
        details: dict[str, object] = {"rounds": len(timed.wall), "warmup": self.warmup,
                                      "ended_by": timed.ended_by,
                                      "elapsed_s": round(timed.elapsed_s, 3)}
        if self.rounds is None:
            details.update(target_ci=self.target_ci, budget_s=self.budget_s)
        return details


def quantile_ci(values: Sequence[float], fraction: float = 0.5,
                confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """A distribution-free confidence interval of the `fraction` quantile: the order
    statistics x_(k) and x_(n-k+1) whose binomial coverage is at least `confidence`.
    None when there are too few values for that confidence (fewer than 6 for the median)."""
    ordered = sorted(values)
    count = len(ordered)
    tail = (1 - confidence) / 2
    below = above = 0.0
    low = high = 0
    # P(fewer than k values fall below the quantile) <= tail, from each end.
    for index in range(count):
        below += _binomial(count, index, fraction)
        if below > tail:
            break
        low = index + 1
    for index in range(count):
        above += _binomial(count, index, 1 - fraction)
        if above > tail:
            break
        high = index + 1
    if low == 0 or high == 0:
        return None
    return ordered[low - 1], ordered[count - high]


def _binomial(count: int, hits: int, chance: float) -> float:
    """P(exactly `hits` of `count` independent trials succeed with probability `chance`)."""
    if chance in (0.0, 1.0):
        return float(hits == (count if chance else 0))
    log_ways = math.lgamma(count + 1) - math.lgamma(hits + 1) - math.lgamma(count - hits + 1)
    return math.exp(log_ways + hits * math.log(chance) + (count - hits) * math.log(1 - chance))


def relative_half_width(interval: tuple[float, float] | None, centre: float) -> float | None:
    """Half the interval's width as a fraction of `centre` (None when unknown)."""
    if interval is None or centre <= 0:
        return None
    return (interval[1] - interval[0]) / 2 / centre


def minimum_detectable_change(half_width: float | None,
                              confidence: float = CONFIDENCE, power: float = POWER) -> float | None:
    """The smallest relative change between two measurements of this precision that a
    two-sided test at `confidence` finds with probability `power`, from one measurement's
    relative CI half-width (so its standard error is half_width / z)."""
    if half_width is None:
        return None
    normal = NormalDist()
    z_test = normal.inv_cdf(1 - (1 - confidence) / 2)
    standard_error = half_width / z_test
    return (z_test + normal.inv_cdf(power)) * math.sqrt(2) * standard_error


class _StoppingRule:  # pylint: disable=too-few-public-methods  # a callable with state
    """Why to stop after the rounds so far, or None to go on."""

    def __init__(self, plan: RoundsPlan) -> None:
        self.plan = plan
        self.next_check = plan.min_rounds

    def __call__(self, wall: Sequence[float], elapsed: float) -> str | None:
        count, plan = len(wall), self.plan
        if plan.rounds is not None:
            return "rounds" if count >= plan.rounds else None
        if count >= plan.max_rounds:
            return "max_rounds"
        if count >= self.next_check:  # the interval is checked as the count grows by 10 %
            self.next_check = max(count + 1, int(count * 1.1))
            width = relative_half_width(quantile_ci(wall), median(wall))
            if width is not None and width <= plan.target_ci:
                return "ci"
        if elapsed >= plan.budget_s and count >= min(plan.min_rounds, 6):
            return "budget"
        return None


def run_rounds(
    target: Callable[[], None],
    plan: RoundsPlan,
    between: Callable[[], None] = lambda: None,
    clock: Clock = time.perf_counter,
    cpu_clock: Clock = time.process_time,
) -> Rounds:
    """Time `target` as `plan` says, after its warm-up calls: a fixed count, or until the
    median's relative CI half-width is at most `target_ci` (checked as the count grows by a
    tenth, after `min_rounds`), `budget_s` seconds have passed, or `max_rounds` is reached.
    `between` runs untimed after every call (load sampling)."""
    for _ in range(plan.warmup):
        target()
    stop = _StoppingRule(plan)
    wall: list[float] = []
    cpu: list[float] = []
    began = clock()
    ended_by = None
    while ended_by is None:
        cpu_start, start = cpu_clock(), clock()
        target()
        wall.append(clock() - start)
        cpu.append(cpu_clock() - cpu_start)
        between()
        ended_by = stop(wall, clock() - began)
    return Rounds(tuple(wall), tuple(cpu), ended_by, clock() - began)


def on_cpu_rounds(wall: Sequence[float], cpu: Sequence[float], share: float = ON_CPU_SHARE,
                  least: int = MIN_ROUNDS) -> tuple[float, ...] | None:
    """The wall times of the rounds that ran on a CPU for (nearly) all of their length: CPU
    time at least `share` of the wall time. A single-threaded round that took longer than it
    computed waited for a core, and on an oversubscribed machine that wait is the
    neighbours' doing, not the code's. None when fewer than `least` rounds ran through."""
    kept = tuple(took for took, spent in zip(wall, cpu) if took > 0 and spent >= share * took)
    return kept if len(kept) >= least else None
