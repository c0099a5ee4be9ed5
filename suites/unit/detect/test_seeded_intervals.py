"""Shifts that a split of the whole segment cannot see: seeded intervals, staircases that
are not trends, white noise against wandering levels, and reruns that come back with the
next commit."""

from __future__ import annotations

import math
import random

import numpy
import pytest

from harness.detect import DetectorConfig, Point, Series, detect_series
from harness.detect.changepoints import (
    Prefix,
    binary_segmentation,
    find_change_points,
    penalty,
    seeded_splits,
)
from harness.detect.classify import (  # pylint: disable=protected-access  # rules, by hand
    _drifted_part,
    _first_run_spared,
    _Judge,
    shift_indices,
    white_steps,
)
from harness.records import VerdictKind

BUMP = [0.0] * 30 + [3.0] * 10 + [0.0] * 30
SHIFTS = (VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT)


def noisy(steps: dict[int, float], count: int, sigma: float, seed: int) -> list[float]:
    """A level of 100 with white noise and the given steps (run -> change of level)."""
    rng = random.Random(seed)
    level, values = 100.0, []
    for run in range(count):
        level += steps.get(run, 0.0)
        values.append(level + rng.gauss(0.0, sigma))
    return values


def test_seeded_intervals_are_halves_quarters_and_on_overlapping_by_half():
    found = seeded_splits(Prefix(BUMP), (0, 70), 2)
    intervals = {(first, last) for _gain, first, _split, last in found}
    # halves (35 runs) start every 17 runs, and the last one ends with the segment
    assert {(0, 35), (17, 52), (34, 69), (35, 70)} <= intervals
    assert all(last - first in (35, 17, 8) for first, last in intervals)
    assert [gain for gain, *_ in found] == sorted((gain for gain, *_ in found), reverse=True)
    assert all(split in (30, 40) for _gain, _first, split, _last in found[:4])
    # a floor on the gain keeps only the strongest
    strongest = seeded_splits(Prefix(BUMP), (0, 70), 2, min_gain=40.0)
    assert strongest == [found[0]] and found[0][0] > 40.0
    assert seeded_splits(Prefix(BUMP), (0, 70), 2, min_gain=math.inf) == []


def local_shift(values):
    """An `accept` that takes no question about more than 35 runs, and only real steps."""
    def accept(_trial, start, split, end):
        before, after = values[start:split], values[split:end]
        return end - start <= 35 and abs(sum(after) / len(after) - sum(before) / len(before)) > 0.05
    return accept


def test_a_shift_seen_only_within_a_short_stretch_is_found_in_a_seeded_interval():
    local = local_shift(BUMP)
    assert binary_segmentation(BUMP, local) == [30, 40]
    assert binary_segmentation(BUMP, local, min_gain=math.inf) == []


def test_white_noise_with_shifts_has_white_steps_and_a_wandering_level_has_not():
    rng = random.Random(7)
    walk = [0.0]
    for _ in range(199):
        walk.append(walk[-1] + rng.gauss(0.0, 1.0))
    assert not white_steps(walk)
    assert white_steps(noisy({40: 8.0, 90: -6.0, 150: 9.0}, 200, 1.0, seed=1))
    assert not white_steps([1.0, 2.0]) and not white_steps([5.0] * 20)


def test_every_step_of_a_rising_staircase_is_found_not_taken_for_a_trend():
    steps = {37: 6.0, 48: 25.0, 73: 21.0, 84: 19.0, 111: 13.0, 125: -32.0}
    hits = []
    for seed in range(10):
        found = shift_indices(noisy(steps, 140, 4.0, seed))
        hits.append(sum(any(abs(point - place) <= 1 for point in found)
                        for place in (48, 73, 84, 125)))
    assert sum(hits) >= 38  # the four steps of 5 noise or more, in (nearly) every history


def test_shifts_that_cancel_out_over_the_history_are_each_found_in_most_histories():
    steps = {18: -3.5, 61: 7.0, 81: -3.0, 90: 5.0, 109: -5.5}
    complete = 0
    for seed in range(20):
        found = shift_indices(noisy(steps, 150, 1.0, seed))
        complete += all(any(abs(point - place) <= 1 for point in found) for place in steps)
    assert complete >= 17


def test_the_smallest_seeded_intervals_are_eight_runs_or_two_minimum_sides():
    values = [0.0] * 8 + [1.0] * 8
    eights = seeded_splits(Prefix(values), (0, 16), 2)
    assert {last - first for _gain, first, _split, last in eights} == {8}
    assert (pytest.approx(2.0), 4, 8, 12) in eights  # gains below 1 are kept too
    wide = [0.0] * 10 + [1.0] * 10
    # with 5 runs a side the smallest interval is 10 runs: halves of a 20-run segment
    assert {last - first for _gain, first, _split, last in
            seeded_splits(Prefix(wide), (0, 20), 5)} == {10}


def test_seeded_intervals_never_propose_a_forbidden_start():
    allowed = numpy.array([index != 30 for index in range(len(BUMP))])
    found = seeded_splits(Prefix(BUMP), (0, 70), 2, allowed)
    assert found and all(split != 30 for _gain, _first, split, _last in found)

    found = binary_segmentation(BUMP, local_shift(BUMP), allowed=list(allowed))
    assert 30 not in found and found[0] == 29 and found[-1] == 40


def test_a_seeded_split_is_judged_with_the_points_found_so_far():
    calls = []
    small = [value / 10 for value in BUMP]  # gains below 1: the default floor is 0
    judge = local_shift(small)

    def local(trial, start, split, end):
        taken = judge(trial, start, split, end)
        if taken:
            calls.append(list(trial))
        return taken

    assert binary_segmentation(small, local) == [30, 40]
    assert calls in ([[30], [30, 40]], [[40], [30, 40]])  # the second one with the first


def test_find_change_points_offers_seeded_splits_only_above_the_penalty_unless_told():
    local = local_shift(BUMP)
    assert find_change_points(BUMP, 100.0, accept=local) == []  # best seeded gain is 45
    assert find_change_points(BUMP, 100.0, accept=local, min_gain=0.0) == [30, 40]


def test_after_the_first_commit_drifted_the_next_commit_is_compared_with_where_it_settled():
    # the replay's own nightly: two loaded nights, eight quiet ones, all on the first commit
    values = [34.81, 34.27, 26.49, 23.79, 24.62, 26.43, 27.12, 25.05, 24.94, 26.23, 25.23]
    verdicts = verdicts_of(values, ["a"] * 10 + ["b"])
    assert not [verdict for verdict in verdicts if verdict.kind in SHIFTS]
    assert [verdict.commit_range for verdict in verdicts
            if verdict.kind is VerdictKind.ENVIRONMENT_DRIFT] == ["a..a"]


@pytest.mark.parametrize(("first", "levels", "undone", "spared"), [
    (2.0, (0.0, 10.0), False, False),  # 2 noise from the old level: not at it
    (2.5, (0.0, 10.0), False, False),
    (0.0, (0.0, 3.0), False, True),  # 3 noise from where the reruns went
    (100.0, (100.0, 101.0), False, False),  # too close to the new level
    (0.2, (0.0, 1.0), False, False),
    (0.2, (0.0, 1.0), True, True),  # the next commit undid it: nearer the old level is enough
    (0.5, (0.0, 1.0), True, False),  # halfway is not nearer
    (100.5, (100.0, 100.9), True, False),
    (1.9, (0.0, 10.0), True, True),
])
def test_a_first_run_is_spared_at_the_old_level_and_away_from_the_new(first, levels, undone,
                                                                       spared):
    assert _first_run_spared(first, levels, 1.0, undone) is spared


@pytest.mark.parametrize(("values", "bounds", "dropped"), [
    ([9.0, 9.0, 5.0, 5.0, 5.0], (0, 2, 5), range(0, 2)),  # the first commit: the shorter part
    ([9.0, 9.0, 9.0, 5.0, 5.0], (0, 3, 5), range(3, 5)),
    ([9.0, 9.0, 5.0, 5.0], (0, 2, 4), range(0, 2)),  # a tie keeps where it settled
    ([5.0, 9.0, 9.0, 5.0, 5.0, 5.0], (1, 3, 6), range(1, 3)),  # away from the run before
    ([5.0, 5.0, 5.0, 9.0, 9.0, 9.0], (1, 3, 6), range(3, 6)),
])
def test_the_runs_set_aside_from_a_drifted_commit(values, bounds, dropped):
    assert _drifted_part(values, bounds) == dropped


def test_white_steps_at_any_scale_and_from_three_runs():
    tiny = noisy({}, 60, 0.001, seed=2)  # robust spread far below 1
    assert white_steps(tiny)
    assert white_steps([value + (0.5 if run >= 30 else 0.0) for run, value in enumerate(tiny)])
    assert white_steps([0.0, 1.0, 0.0])  # two differences that undo each other


def test_frequent_steps_of_three_and_a_half_spreads_are_left_out_of_the_correlation():
    rng = random.Random(38)
    level, values = 0.0, []
    for run in range(60):
        if run % 6 == 3:  # a step every sixth run, 3.5 robust spreads of the differences
            level += 5.0 * rng.choice((-1, 1))
        values.append(level + rng.gauss(0.0, 1.0))
    assert white_steps(values)  # with the steps counted in, the correlation is -0.23


def test_a_wandering_level_is_searched_without_seeded_intervals():
    rng = random.Random(5)
    walk = [100.0]
    for _ in range(299):
        walk.append(walk[-1] + rng.gauss(0.0, 1.0))
    config = DetectorConfig()
    judge = _Judge(walk, config)
    assert not judge.white
    plain = find_change_points(walk, penalty(1.0, len(walk), config.beta), accept=lambda _t, *t:
                               judge.significant(t, 1.0, structural=True), min_gain=math.inf)
    fine, _shifts = judge.search(1.0, None)
    assert fine == judge.prune(plain, 1.0, structural=True)


def verdicts_of(values: list[float], commits: list[str]):
    """The verdicts of one series of `values`, run i of commit commits[i]."""
    points = tuple(Point(index, f"run{index}", commit, "e", value)
                   for index, (commit, value) in enumerate(zip(commits, values)))
    return detect_series(Series("t.py::test_step", "step_ms", points, False, "ms"))


@pytest.mark.parametrize(("seed", "noise", "reruns"), [
    (11, 2.0, [109.0] * 4),  # four reruns 9 % up: 4.5 noise
    (12, 1.0, [102.7] * 12),  # twelve reruns 2.7 up: under 3 noise from the first run
])
def test_reruns_that_end_with_their_commit_are_drift(seed, noise, reruns):
    rng = random.Random(seed)
    values = [100.0 + rng.gauss(0.0, noise) for _ in range(60)]
    # commit c60: its first run as before, its reruns moved
    values += [100.0] + [level + rng.gauss(0.0, noise / 4) for level in reruns]
    values += [100.0 + rng.gauss(0.0, noise) for _ in range(30)]
    commits = [f"c{run}" for run in range(60)] + ["c60"] * (1 + len(reruns)) + [
        f"c{run}" for run in range(61, 91)]
    verdicts = verdicts_of(values, commits)
    assert not [verdict for verdict in verdicts if verdict.kind in SHIFTS]
    drift = [verdict for verdict in verdicts if verdict.kind is VerdictKind.ENVIRONMENT_DRIFT]
    assert [(verdict.commit_range, len(verdict.runs)) for verdict in drift] == [
        ("c60..c60", 1 + len(reruns))]
