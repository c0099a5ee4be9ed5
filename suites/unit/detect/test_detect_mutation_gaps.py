"""Detection's building blocks on cases worked out by hand: noise estimates, change points of
several steps (both engines), and verdicts whose numbers are known."""

from __future__ import annotations

import math
import random

import pytest

from harness.detect import DetectorConfig, detect_series
from harness.detect.changepoints import Prefix, find_change_points, penalty
from harness.detect.noise import (
    mean,
    noise_floor,
    normal_two_sided_p,
    pooled_sigma,
    residual_sigma,
    robust_sigma,
)
from harness.records import VerdictKind

from .helpers import make_series

STEPS = [0.0] * 10 + [5.0] * 10 + [10.0] * 10 + [3.0] * 10


def test_the_noise_floor_is_relative_to_the_typical_level():
    assert noise_floor([98.0, 100.0, 250.0], 1e-3) == pytest.approx(0.1)
    assert noise_floor([-50.0, -50.0, -49.0], 0.01) == pytest.approx(0.5)
    assert noise_floor([], 0.01) == 1e-12
    assert noise_floor([0.0, 0.0], 0.01) == 1e-12


def test_too_short_a_series_gets_the_floor():
    assert robust_sigma([100.0, 101.0], 1e-3) == pytest.approx(0.1005)


def test_normal_noise_is_estimated_through_level_shifts():
    rng = random.Random(16)
    values = [100.0 + rng.gauss(0.0, 1.0) for _ in range(2000)]
    assert robust_sigma(values) == pytest.approx(1.0, rel=0.08)
    shifted = [value + (50.0 if index >= 1000 else 0.0) for index, value in enumerate(values)]
    assert robust_sigma(shifted) == pytest.approx(1.0, rel=0.08)


def test_quantised_noise_takes_the_moving_runs_not_the_identical_neighbours():
    # 21 runs at 10 with four single-run blips to 11: 8 of the 20 differences are +-1, the rest
    # 0, so their median absolute deviation is 0. The largest 10 % (2) are trimmed: 6 ones of 18
    # remain, RMS sqrt(1/3), the sigma of one run sqrt(1/3 / 2), corrected by 0.7892.
    values = [11.0 if index in (2, 6, 10, 14) else 10.0 for index in range(21)]
    assert robust_sigma(values) == pytest.approx(math.sqrt(1.0 / 6.0) / 0.7892, rel=1e-3)


def test_a_constant_series_gets_exactly_its_floor():
    assert robust_sigma([20.0] * 12, 1e-3) == pytest.approx(0.02)


def test_pooled_and_residual_sigma_by_hand():
    values = [1.0, 3.0, 10.0, 12.0]
    assert pooled_sigma(values, [2]) == pytest.approx(math.sqrt(2.0))
    assert pooled_sigma(values, []) == pytest.approx(math.sqrt((30.25 + 12.25 + 12.25 + 30.25)
                                                               / 3.0))
    assert pooled_sigma([1.0, 2.0], [1]) == 0.0
    # medians 2 and 11; residuals 1 0 1 | 1 0 4; their median 1, as a normal sigma.
    assert residual_sigma([1.0, 2.0, 3.0, 10.0, 11.0, 15.0], [3]) == pytest.approx(1.482602)


def test_mean_and_normal_tail():
    assert mean([1.0, 2.0, 4.0]) == pytest.approx(7.0 / 3.0)
    assert mean([]) == 0.0
    assert normal_two_sided_p(1.959964) == pytest.approx(0.05, rel=1e-4)
    assert normal_two_sided_p(-1.959964) == pytest.approx(0.05, rel=1e-4)
    assert normal_two_sided_p(0.0) == 1.0


def test_penalty_scales_with_variance_and_log_length():
    assert penalty(2.0, 100, 3.0) == pytest.approx(12.0 * math.log(100))
    assert penalty(2.0, 1, 3.0) == pytest.approx(12.0 * math.log(2))


def test_prefix_sums_give_segment_costs_means_and_line_fits():
    prefix = Prefix([1.0, 2.0, 3.0, 6.0])
    assert float(prefix.cost(0, 4)) == pytest.approx(14.0)
    assert float(prefix.cost(1, 3)) == pytest.approx(0.5)
    # least squares line through (0,1) (1,2) (2,3) (3,6): 14 - 8^2 / 5 left over
    assert prefix.line_cost(0, 4) == pytest.approx(1.2)
    assert prefix.line_cost(0, 2) == 0.0
    assert Prefix([1.0, 2.0, 3.0, 4.0]).line_cost(0, 4) == pytest.approx(0.0, abs=1e-9)
    assert prefix.mean(1, 3) == pytest.approx(2.5)
    assert prefix.mean(0, 4) == pytest.approx(3.0)


def test_binary_segmentation_searches_the_pieces_after_a_split():
    assert find_change_points([0.0] * 10 + [5.0] * 10 + [10.0] * 10, 1.0) == [10, 20]
    assert find_change_points([0.0] * 8 + [4.0] * 8 + [9.0] * 8 + [15.0] * 8, 1.0) == [8, 16, 24]
    assert find_change_points(STEPS, 1.0) == [10, 20, 30]


def test_a_shift_after_the_first_run_needs_min_size_one():
    values = [0.0] + [5.0] * 9
    assert find_change_points(values, 1.0, min_size=1) == [1]
    assert find_change_points(values, 1.0, min_size=2) == [2]
    assert not find_change_points([0.0, 5.0, 5.0], 1.0, min_size=2)


def test_a_forbidden_start_moves_the_split_beside_it():
    allowed = [index != 10 for index in range(20)]
    assert find_change_points([0.0] * 10 + [5.0] * 10, 1.0, allowed=allowed) == [9, 11]


def test_a_penalty_larger_than_the_gain_finds_nothing():
    # one step of 1 between halves of 10: the gain is 10 * 10 / 20 * 1^2 = 5
    values = [0.0] * 10 + [1.0] * 10
    assert find_change_points(values, 4.9) == [10]
    assert find_change_points(values, 5.1) == []


def test_pelt_finds_several_steps_and_honours_forbidden_starts():
    pytest.importorskip("ruptures")
    assert find_change_points(STEPS, 1.0, method="pelt") == [10, 20, 30]
    allowed = [index != 20 for index in range(len(STEPS))]
    assert find_change_points(STEPS, 1.0, method="pelt", allowed=allowed) == [10, 30]


def test_an_unknown_engine_is_named():
    with pytest.raises(ValueError, match="unknown change-point method 'magic'"):
        find_change_points(STEPS, 1.0, method="magic")


def kinds(verdicts):
    """(kind, first bad run index) of each verdict."""
    return [(verdict.kind, verdict.run_index) for verdict in verdicts]


def test_confidence_is_a_probability():
    series = make_series(3, shifts={60: 0.10})
    verdicts = detect_series(series)
    assert kinds(verdicts) == [(VerdictKind.REGRESSION, 60)]
    assert 0.99 < verdicts[0].confidence <= 1.0
    assert 0.0 <= verdicts[0].p_value < 0.01


def test_a_verdict_reports_the_levels_and_change_it_found():
    series = make_series(5, shifts={50: 0.20}, noise=0.005, level=200.0)
    (verdict,) = detect_series(series)
    assert verdict.baseline == pytest.approx(200.0, rel=0.01)
    assert verdict.value == pytest.approx(240.0, rel=0.01)
    assert verdict.change_abs == pytest.approx(verdict.value - verdict.baseline)
    assert verdict.change_pct == pytest.approx(20.0, abs=1.0)
    assert verdict.noise == pytest.approx(1.0, rel=0.3)  # 0.5 % of about 200
    assert verdict.commit == series.points[50].commit
    assert verdict.last_good_commit == series.points[49].commit
    assert verdict.commit_range == f"{series.points[49].commit}..{series.points[50].commit}"


def test_a_shift_within_the_first_two_runs_is_found():
    series = make_series(7, runs=40, shifts={2: 0.10})
    assert kinds(detect_series(series)) == [(VerdictKind.REGRESSION, 2)]


def test_quantised_series_with_a_step_is_one_change_not_many():
    base = [10.0 if index % 7 else 11.0 for index in range(30)]
    values = base + [value + 5.0 for value in base]
    series = make_series(1, runs=60, noise=0.0)
    points = tuple(point.__class__(point.run_index, point.run_id, point.commit, point.env,
                                   value) for point, value in zip(series.points, values))
    stepped = series.__class__(series.test, series.metric, points, series.higher_is_better,
                               series.unit)
    assert kinds(detect_series(stepped, DetectorConfig())) == [(VerdictKind.REGRESSION, 30)]
