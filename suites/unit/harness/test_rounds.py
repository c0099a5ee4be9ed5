"""Rounds: fixed counts, the order-statistic CI of a quantile, and the adaptive stopping rule."""

import math
import statistics
import random

import pytest

from harness.measure.rounds import (
    RoundsPlan,
    minimum_detectable_change,
    on_cpu_rounds,
    quantile_ci,
    relative_half_width,
    run_rounds,
)


class FakeTime:
    """A clock that moves only when the fake work runs: each call takes the next duration."""

    def __init__(self, durations):
        self.now = 0.0
        self.durations = iter(durations)

    def clock(self):
        """The fake time now."""
        return self.now

    def work(self):
        """The fake work: the clock moves by the next duration."""
        self.now += next(self.durations)


def timed_with(durations, **plan):
    """run_rounds on work that takes `durations` of fake time, one per call."""
    fake = FakeTime(durations)
    return run_rounds(fake.work, RoundsPlan(**plan), clock=fake.clock, cpu_clock=lambda: 0.0)


def test_fixed_rounds_use_the_clock_and_skip_warmup():
    ticks = iter(range(100))
    calls = []
    timed = run_rounds(lambda: calls.append(1), RoundsPlan(rounds=4, warmup=2),
                       clock=lambda: next(ticks), cpu_clock=lambda: 0.0)
    assert len(calls) == 6
    assert timed.wall == (1, 1, 1, 1)
    assert timed.ended_by == "rounds"


def test_bad_counts_are_refused():
    with pytest.raises(ValueError):
        RoundsPlan(rounds=0, warmup=0)
    with pytest.raises(ValueError):
        RoundsPlan(rounds=None, warmup=0, target_ci=0)


def test_median_ci_matches_the_published_order_statistics():
    # Tables of the distribution-free 95 % CI of a median: n=10 -> x(2)..x(9), n=20 -> x(6)..x(15)
    assert quantile_ci(list(range(1, 11))) == (2, 9)
    assert quantile_ci(list(range(20, 0, -1))) == (6, 15)
    assert quantile_ci([1, 2, 3, 4, 5]) is None  # 2 * 2**-5 > 5 %: no 95 % interval


def test_quantile_ci_covers_the_true_quantile_about_95_percent_of_the_time():
    rng = random.Random(7)
    for fraction in (0.5, 0.9):
        true = -math.log(1 - fraction)  # quantile of Exp(1): a skewed, latency-like shape
        hits = 0
        for _ in range(1000):
            sample = [rng.expovariate(1.0) for _ in range(60)]
            low, high = quantile_ci(sample, fraction)
            hits += low <= true <= high
        assert 0.93 <= hits / 1000 <= 0.99, (fraction, hits)


def test_adaptive_rounds_stop_when_the_median_is_known():
    # 2 % jitter: the +-1 % interval of the median is reached after some tens of rounds
    rng = random.Random(1)
    timed = timed_with((1 + rng.uniform(-0.02, 0.02) for _ in range(10**6)),
                       rounds=None, warmup=1, target_ci=0.01, budget_s=1e9)
    assert timed.ended_by == "ci"
    assert 10 <= len(timed.wall) < 100
    width = relative_half_width(quantile_ci(timed.wall), statistics.median(timed.wall))
    assert width <= 0.01


def test_adaptive_rounds_stop_at_the_budget_when_too_noisy():
    rng = random.Random(2)
    timed = timed_with((rng.choice((1.0, 3.0)) for _ in range(10**6)),
                       rounds=None, warmup=0, target_ci=0.001, budget_s=50)
    assert timed.ended_by == "budget"
    assert 50 <= timed.elapsed_s < 53


def test_adaptive_rounds_stop_at_max_rounds():
    rng = random.Random(3)
    timed = timed_with((rng.random() for _ in range(10**6)),
                       rounds=None, warmup=0, target_ci=1e-6, budget_s=1e9, max_rounds=40)
    assert (timed.ended_by, len(timed.wall)) == ("max_rounds", 40)


def test_cpu_time_is_kept_per_round():
    timed = run_rounds(lambda: sum(range(20_000)), RoundsPlan(rounds=5, warmup=0))
    assert len(timed.cpu) == 5 and all(spent > 0 for spent in timed.cpu)


def test_minimum_detectable_change_of_a_one_percent_standard_error():
    # z(0.975) + z(0.8) = 2.80; two measurements: sqrt(2)
    assert minimum_detectable_change(1.959964 * 0.01) == pytest.approx(0.0396, abs=1e-4)
    assert minimum_detectable_change(None) is None


def test_on_cpu_rounds_are_those_that_computed_for_nearly_all_of_their_length():
    wall = [0.010] * 12 + [0.020, 0.015]
    cpu = [0.0098] * 12 + [0.010, 0.0142]  # the last two waited for a core (50 %, 94.7 %)
    assert on_cpu_rounds(wall, cpu) == (0.010,) * 12
    assert on_cpu_rounds(wall, cpu, share=0.9) == (0.010,) * 12 + (0.015,)
    assert on_cpu_rounds([0.01, 0.0], [0.01, 0.0], least=1) == (0.01,)  # no zero-length round
    assert on_cpu_rounds(wall, cpu, least=13) is None  # too few ran through: keep them all
    assert on_cpu_rounds([0.01] * 10, [0.0095] * 10) == (0.01,) * 10  # exactly 95 %
