"""Change points on cases worked out by hand: bumps (a stretch that came back) with their
gain and forbidden starts, the order in which binary segmentation judges its candidates, the
smallest series each engine splits, PELT's penalty and minimum size, and line fits."""

from __future__ import annotations

import math
import sys

import numpy
import pytest

from harness.detect.changepoints import (
    Prefix,
    best_bump,
    best_split,
    binary_segmentation,
    find_change_points,
)

BUMP = [0.0] * 30 + [3.0] * 10 + [0.0] * 30


class Recorder:
    """An `accept` that says yes (or what `answer` says) and records every question."""

    def __init__(self, answer=None):
        self.calls = []
        self.answer = answer or (lambda *_: True)

    def __call__(self, trial, start, split, end):
        self.calls.append((list(trial), start, split, end))
        return self.answer(trial, start, split, end)


def test_a_bump_gains_its_height_squared_over_the_share_it_covers():
    # the stretch 30..40 sits 3 above a mean of 3/7: height 30 * 6/7, gain h^2 N / (L (N - L))
    gain, bump = best_bump(Prefix(BUMP), 0, len(BUMP), 2)
    assert bump == (30, 40)
    assert gain == pytest.approx((180.0 / 7.0) ** 2 * 70.0 / (10.0 * 60.0))
    # the same bump inside a longer series, searched only in its own segment
    longer = [5.0] * 10 + BUMP
    gain, bump = best_bump(Prefix(longer), 10, len(longer), 2)
    assert bump == (40, 50)
    assert gain == pytest.approx((180.0 / 7.0) ** 2 * 70.0 / (10.0 * 60.0))


def test_a_negative_bump_is_found_as_well():
    dip = [10.0 - value for value in BUMP]
    assert best_bump(Prefix(dip), 0, len(dip), 2)[1] == (30, 40)


def test_segments_too_short_for_a_bump_have_none():
    values = [0.0, 0.0, 5.0, 5.0, 0.0, 0.0]
    # height 10 - 2 * 10/6, gain h^2 * 6 / (2 * 4)
    assert best_bump(Prefix(values), 0, 6, 2) == (pytest.approx(100.0 / 3.0), (2, 4))
    assert best_bump(Prefix(values), 0, 5, 2) == (0.0, None)
    assert best_bump(Prefix([0.0, 5.0, 0.0]), 0, 3, 1) == (pytest.approx(50.0 / 3.0), (1, 2))
    assert best_bump(Prefix([0.0] * 8), 0, 8, 2) == (0.0, None)
    mask = numpy.array([True] * 3 + [False] * 3)
    assert best_bump(Prefix(values), 0, 6, 2, mask) == (0.0, None)  # one position left
    nine = [0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 0.0, 0.0, 0.0]
    close = numpy.array([index in (3, 4) for index in range(9)])
    assert best_bump(Prefix(nine), 0, 9, 3, close) == (0.0, None)  # no pair 3 runs apart
    assert best_split(Prefix([0.0] * 8), 0, 8, 2) == (0.0, None)
    assert best_split(Prefix([0.0, 1.0, 2.0]), 0, 3, 2) == (0.0, None)


def test_a_bump_at_the_edges_of_the_allowed_range():
    values = [0.0, 0.0, 3.0, 3.0, 0.0, 0.0, 0.0, 0.0]
    assert best_bump(Prefix(values), 0, 8, 2)[1] == (2, 4)
    values = [0.0, 0.0, 0.0, 0.0, 3.0, 3.0, 0.0, 0.0]
    assert best_bump(Prefix(values), 0, 8, 2)[1] == (4, 6)
    values = [0.0, 0.0, 0.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0]
    assert best_bump(Prefix(values), 0, 9, 3)[1] == (3, 6)


def test_binary_segmentation_finds_a_bump_that_no_single_split_shows():
    # a single split gains 9.6 at most, below the penalty; the bump gains 67.5 on each side
    assert find_change_points(BUMP, 20.0) == [30, 40]
    allowed = [index != 30 for index in range(len(BUMP))]
    assert find_change_points(BUMP, 20.0, allowed=allowed) == [29, 40]


def test_a_bump_is_accepted_only_when_both_of_its_ends_are():
    def no_single_split(_trial, start, _split, end):
        return (start, end) != (0, 70)

    assert binary_segmentation(BUMP, Recorder(no_single_split)) == [30, 40]
    no_seeded = math.inf  # no seeded-interval split gains that much: the bump alone is judged
    recorder = Recorder(lambda *question: no_single_split(*question) and question[1:] != (
        0, 30, 40))
    assert binary_segmentation(BUMP, recorder, min_gain=no_seeded) == []
    assert ([30, 40], 0, 30, 40) in recorder.calls
    recorder = Recorder(lambda *question: no_single_split(*question) and question[1:] != (
        30, 40, 70))
    assert binary_segmentation(BUMP, recorder, min_gain=no_seeded) == []
    assert ([30, 40], 30, 40, 70) in recorder.calls


def test_each_question_names_the_points_with_the_candidate_and_its_segment():
    values = [0.0] * 10 + [20.0] * 10 + [100.0] * 10 + [101.0] * 10
    recorder = Recorder()
    assert binary_segmentation(values, recorder) == [10, 20, 30]
    # the largest drop of squared error first, over every open segment: after the split at
    # 20 the left piece (gain 2000) before the right one (gain 5)
    assert recorder.calls == [([20], 0, 20, 40), ([10, 20], 0, 10, 20),
                              ([10, 20, 30], 20, 30, 40)]


def test_forbidden_starts_hold_in_every_piece_after_the_first_split():
    values = [0.0] * 10 + [5.0] * 10 + [10.0] * 10
    allowed = [index != 20 for index in range(30)]
    assert find_change_points(values, 1.0, allowed=allowed) == [10, 19, 21]
    assert 20 not in find_change_points(values + [10.0] * 10, 1.0, allowed=allowed + [True] * 10)


def test_the_default_minimum_size_is_two_runs():
    values = [0.0, 0.0] + [5.0] * 8
    assert binary_segmentation(values, Recorder(lambda *question: question[2] == 2)) == [2]
    assert find_change_points(values, 1.0) == [2]


def test_the_smallest_series_either_engine_splits_has_two_minimum_segments():
    assert find_change_points([0.0, 0.0, 5.0, 5.0], 1.0) == [2]
    assert find_change_points([0.0, 0.0, 5.0], 1.0) == []
    assert find_change_points([0.0, 0.0, 0.0, 5.0, 5.0, 5.0], 1.0, min_size=3) == [3]
    pytest.importorskip("ruptures")
    assert find_change_points([0.0, 0.0, 5.0, 5.0], 1.0, method="pelt") == [2]
    assert find_change_points([0.0, 0.0, 5.0], 1.0, method="pelt") == []


def test_the_gain_is_the_drop_of_squared_error_within_the_halves():
    # halves 0 1 0 1 ... and 3 4 3 4 ...: costs 2.5 each around means 0.5 and 3.5, all 50
    values = [0.0, 1.0] * 5 + [3.0, 4.0] * 5
    assert find_change_points(values, 44.9, min_size=10) == [10]
    assert find_change_points(values, 45.1, min_size=10) == []
    assert find_change_points([0.0] * 10 + [1.0] * 10, 5.0) == []  # a gain of exactly 5


def test_pelt_uses_the_penalty_and_the_minimum_size_and_any_position():
    pytest.importorskip("ruptures")
    assert find_change_points([0.0] * 7 + [5.0] * 10, 1.0, method="pelt") == [7]
    assert find_change_points([0.0] * 7 + [5.0] * 10, 1000.0, method="pelt") == []
    assert find_change_points([0.0] + [5.0] * 9, 1.0, method="pelt", min_size=1) == [1]


def test_pelt_without_ruptures_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ruptures", None)
    with pytest.raises(ImportError, match=r"^the 'pelt' method needs ruptures: pip install "
                                          r"'torch-regression-harness\[detect\]'$"):
        find_change_points([0.0] * 5 + [5.0] * 5, 1.0, method="pelt")


def test_costs_stay_exact_far_from_zero():
    # centred on the median first: squares of 1e9 would lose every digit below 1e2
    prefix = Prefix([1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0, 1e9 + 6.0])
    assert float(prefix.cost(0, 4)) == pytest.approx(14.0)
    assert prefix.line_cost(0, 4) == pytest.approx(1.2)
    assert prefix.mean(0, 4) == pytest.approx(1e9 + 3.0)


def test_a_line_through_three_points_and_segments_that_do_not_start_at_zero():
    # (0,1) (1,2) (2,4): slope 1.5, residuals -1/6 1/3 -1/6
    assert Prefix([1.0, 2.0, 4.0]).line_cost(0, 3) == pytest.approx(1.0 / 6.0)
    assert Prefix([9.0, 1.0, 2.0, 4.0]).line_cost(1, 4) == pytest.approx(1.0 / 6.0)
    assert Prefix([9.0, 1.0, 2.0, 4.0, 7.0]).line_cost(1, 5) == pytest.approx(1.0)
