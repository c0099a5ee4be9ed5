"""Whole verdicts on series worked out by hand: a step either way, the newest run alone
(suspected, exact, between reruns, paired), an environment change, an outlier and drift
inside one commit's reruns, every field compared."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import replace

import pytest

from harness.detect import DetectorConfig, Point, Series, detect_series, history_needed
from harness.detect.changepoints import Prefix
from harness.detect.classify import (
    _commit_groups,
    _commit_starts,
    _persistence,
    _pooled,
    _recurring_bumps,
    _shift_z,
    _short_sides_agree,
    shift_indices,
    smooth_steps,
)
from harness.detect.mcnemar import pack_correctness
from harness.detect.noise import normal_two_sided_p, pooled_sigma
from harness.detect.repro import repro_recipe
from harness.records import Verdict, VerdictKind

from .test_modes_mutation_gaps import clock

MAD_TO_SIGMA = 1.0 / (0.6744897501960817 * math.sqrt(2.0))
ALTERNATING = [100.0, 101.0] * 10  # noise +-0.5 around 100.5


def series_of(values, *, commits=None, envs=None, higher=False, digest="", samples=None):
    """A series of `values`, run i on commit c{i} in environment e1 unless given."""
    points = tuple(Point(index, f"run{index}", commits[index] if commits else f"c{index}",
                         envs[index] if envs else "e1", value, digest,
                         samples[index] if samples else None)
                   for index, value in enumerate(values))
    return Series("t.py::test_a", "step_ms", points, higher, "ms")


def expected(  # pylint: disable=too-many-arguments  # one per field a case sets
        kind, run, good, baseline, value, noise, *, p_value, confirmed=True,
             confidence=None, env="e1", higher=False, digest=""):
    """The verdict detection should give, every field from the arguments."""
    bad_commit = f"c{run}"
    verdict = Verdict(
        test="t.py::test_a", metric="step_ms", kind=kind, run_id=f"run{run}", run_index=run,
        commit=bad_commit, last_good_commit=good, commit_range=f"{good}..{bad_commit}",
        env_fingerprint=env, baseline=baseline, value=value, change_abs=value - baseline,
        change_pct=100.0 * (value - baseline) / abs(baseline), noise=noise,
        confidence=1.0 if confidence is None else confidence,
        min_detectable_change=2.5 * noise, higher_is_better=higher, unit="ms",
        confirmed=confirmed, image_digest=digest, p_value=p_value)
    return verdict.__class__(**{**verdict.__dict__, "repro": repro_recipe(verdict)})


def same(found, wanted):
    """Whether two lists of verdicts agree field by field (floats to 1e-9 relative)."""
    assert len(found) == len(wanted), found
    for one, two in zip(found, wanted):
        for name, value in two.to_dict().items():
            got = one.to_dict()[name]
            if isinstance(value, float):
                assert got == pytest.approx(value, rel=1e-9, abs=1e-300), (name, got, value)
            else:
                assert got == value, (name, got, value)
    return True


def test_a_step_up_of_a_lower_is_better_metric_is_a_regression():
    # levels 100.5 and 110.5; within each +-0.5: pooled sigma sqrt(20 * 0.25 * 2 / 38)
    noise = math.sqrt(10.0 / 38.0)
    z_score = 10.0 / (noise * math.sqrt(0.1))
    verdicts = detect_series(series_of(ALTERNATING + [110.0, 111.0] * 10))
    assert same(verdicts, [expected(VerdictKind.REGRESSION, 20, "c19", 100.5, 110.5, noise,
                                    p_value=min(1.0, normal_two_sided_p(z_score) * 40))])


def test_a_step_up_of_a_higher_is_better_metric_is_an_improvement_with_its_p_value():
    # levels 102 and 112, +-2 within: sigma sqrt(40 * 4 / 38); z = 10 / (sigma sqrt(2 / 20))
    values = [100.0, 104.0] * 10 + [110.0, 114.0] * 10
    noise = math.sqrt(160.0 / 38.0)
    z_score = 10.0 / (noise * math.sqrt(0.1))
    p_value = normal_two_sided_p(z_score) * 40  # 40 candidate splits
    assert p_value > 0.0
    verdicts = detect_series(series_of(values, higher=True))
    assert same(verdicts, [expected(VerdictKind.IMPROVEMENT, 20, "c19", 102.0, 112.0, noise,
                                    p_value=p_value, higher=True)])
    down = detect_series(series_of([200.0 - value for value in values], higher=True))
    assert [(v.kind, v.run_index) for v in down] == [(VerdictKind.REGRESSION, 20)]


def test_a_jump_of_the_newest_run_is_suspected_with_confidence_at_most_one_half():
    # the MAD of the differences (+-1, and one of 29) is 1; before: all 20 runs, mean 100.5
    noise = MAD_TO_SIGMA
    z_score = 29.5 / (noise * math.sqrt(1.0 / 20.0 + 1.0))
    verdicts = detect_series(series_of(ALTERNATING + [130.0]))
    assert same(verdicts, [expected(VerdictKind.REGRESSION, 20, "c19", 100.5, 130.0, noise,
                                    p_value=normal_two_sided_p(z_score), confirmed=False,
                                    confidence=0.5)])
    better = detect_series(series_of(ALTERNATING + [130.0], higher=True))
    assert [(v.kind, v.confirmed) for v in better] == [(VerdictKind.IMPROVEMENT, False)]


def test_the_newest_run_is_judged_against_the_recent_level_only():
    config = DetectorConfig(env_window=5)
    noise = MAD_TO_SIGMA
    z_score = 29.5 / (noise * math.sqrt(1.0 / 5.0 + 1.0))  # the five runs before it
    (verdict,) = detect_series(series_of(ALTERNATING + [130.0]), config)
    assert verdict.p_value == pytest.approx(normal_two_sided_p(z_score), rel=1e-9)
    assert verdict.baseline == 101.0  # median of 101 100 101 100 101


def test_a_jump_from_an_exact_level_is_confirmed_at_once():
    # deterministic: the noise is the floor, 1e-4 of the level
    verdicts = detect_series(series_of([100.0] * 20 + [130.0]))
    assert same(verdicts, [expected(VerdictKind.REGRESSION, 20, "c19", 100.0, 130.0, 0.01,
                                    p_value=0.0)])
    wobbly = detect_series(series_of([100.0] * 19 + [100.5, 130.0]))
    assert [v.confirmed for v in wobbly if v.run_index == 20] == [False]


def test_a_paired_test_confirms_a_newest_jump_in_accuracy():
    base = [index % 5 != 0 for index in range(1000)]  # 80 % right
    worse = [value and index % 10 != 1 for index, value in enumerate(base)]  # 100 fewer right
    values = [0.800, 0.801] * 10 + [0.70]
    samples = [pack_correctness(base)] * 20 + [pack_correctness(worse)]
    verdicts = detect_series(series_of(values, higher=True, samples=samples))
    assert [(v.kind, v.run_index, v.confirmed) for v in verdicts] == [
        (VerdictKind.REGRESSION, 20, True)]
    assert verdicts[0].p_value == pytest.approx(2.0 * 0.5 ** 100)
    assert verdicts[0].confidence == 1.0
    plain = detect_series(series_of(values, higher=True))
    assert [v.confirmed for v in plain] == [False]


def test_a_jump_between_two_runs_of_one_commit_is_drift():
    commits = [f"c{index}" for index in range(20)] + ["c19"]
    (verdict,) = detect_series(series_of(ALTERNATING + [130.0], commits=commits))
    assert (verdict.kind, verdict.run_index, verdict.commit_range, verdict.runs) == (
        VerdictKind.ENVIRONMENT_DRIFT, 20, "c19..c19", ("run19", "run20"))
    assert (verdict.p_value, verdict.confidence) == (None, 1.0)
    assert (verdict.baseline, verdict.value) == (101.0, 130.0)


def test_a_new_environment_at_a_new_level_is_an_environment_change():
    values = ALTERNATING + [120.0, 121.0] * 10
    verdicts = detect_series(series_of(values, envs=["a"] * 20 + ["b"] * 20, digest="sha256:x"))
    noise = 0.5 * math.sqrt(20.0 / 19.0)  # each segment's own: +-0.5, 19 degrees of freedom
    z_score = 20.0 / (1.2533 * noise * math.sqrt(0.1))
    assert same(verdicts, [expected(VerdictKind.ENVIRONMENT_CHANGE, 20, "c19", 100.5, 120.5,
                                    noise, p_value=normal_two_sided_p(z_score), env="b",
                                    digest="sha256:x")])


def test_a_single_spike_is_an_outlier_against_the_level_it_left():
    values = ALTERNATING[:10] + [150.0] + ALTERNATING[11:]
    verdicts = detect_series(series_of(values))
    noise = math.sqrt(5.0 / 19.0)  # the other 19 runs: squares 90 / 19 over 18 freedoms
    assert same(verdicts, [expected(VerdictKind.OUTLIER, 10, "c9", 101.0, 150.0, noise,
                                    p_value=0.0)])


def test_drift_inside_one_commits_reruns_is_reported_with_its_runs():
    values = ALTERNATING + [100.0, 101.0] * 3 + [110.0, 111.0] * 3 + [110.0, 111.0] * 5
    commits = [f"c{index}" for index in range(20)] + ["cx"] * 12 + [f"d{i}" for i in range(10)]
    verdicts = detect_series(series_of(values, commits=commits))
    drift, shift = verdicts
    assert (drift.kind, drift.run_index, drift.commit_range) == (
        VerdictKind.ENVIRONMENT_DRIFT, 26, "cx..cx")
    assert drift.runs == tuple(f"run{index}" for index in range(20, 32))
    assert (drift.baseline, drift.value, drift.p_value, drift.confidence) == (
        100.5, 110.5, None, 1.0)
    assert (shift.kind, shift.run_index, shift.commit_range) == (
        VerdictKind.REGRESSION, 32, "cx..d0")
    # the drifted reruns at 110 are set aside; the levels left, 26 runs at 100.5 and 10 at
    # 110.5 (+-0.5), pool to sqrt(9 / 34); the drift's spread (variance 25.25 over its 12
    # runs) widens that over the 35 degrees of freedom
    noise = math.sqrt(9.0 / 34.0 + 25.25 * 12 / 35.0)
    assert drift.noise == pytest.approx(noise, rel=1e-9)
    assert shift.noise == pytest.approx(noise, rel=1e-9)


def test_history_needed_counts_the_newest_environment_only():
    config = DetectorConfig(min_points=5)
    assert history_needed(series_of([1.0] * 3), config) == 2
    assert history_needed(series_of([1.0] * 9, envs=["a"] * 7 + ["b"] * 2), config) == 3
    assert history_needed(series_of([1.0] * 9, envs=["b"] * 2 + ["a"] * 7), config) == 0
    assert history_needed(series_of([1.0] * 6), config) == 0
    assert history_needed(series_of([]), config) == 5


def test_values_spanning_more_than_a_factor_two_are_judged_as_logarithms():
    # +-ln(1.01)/2 around each level in logs: the noise at the old level 10.05 in ms
    values = [10.0, 10.1] * 10 + [30.0, 30.3] * 10
    noise = 10.05 * math.log(1.01) / 2.0 * math.sqrt(40.0 / 38.0)
    (verdict,) = detect_series(series_of(values))
    assert (verdict.kind, verdict.run_index, verdict.baseline, verdict.value) == (
        VerdictKind.REGRESSION, 20, 10.05, 30.15)
    assert verdict.noise == pytest.approx(noise, rel=1e-9)
    assert verdict.change_pct == pytest.approx(200.0)
    assert verdict.min_detectable_change == pytest.approx(2.5 * noise, rel=1e-9)


@pytest.mark.parametrize("index, level", [(1, 100.0), (18, 101.0)])
def test_a_spike_beside_either_end_is_an_outlier_against_its_short_window(index, level):
    values = list(ALTERNATING)
    values[index] = 150.0
    (verdict,) = detect_series(series_of(values))
    assert (verdict.kind, verdict.run_index, verdict.baseline, verdict.value) == (
        VerdictKind.OUTLIER, index, level, 150.0)


def test_a_spike_of_a_small_metric_is_an_outlier():
    values = [0.001, 0.00101] * 5 + [0.0015] + [0.00101, 0.001] * 5
    (verdict,) = detect_series(series_of(values))
    assert (verdict.kind, verdict.run_index, verdict.baseline, verdict.value) == (
        VerdictKind.OUTLIER, 10, 0.00101, 0.0015)


def test_without_commits_there_is_no_commit_range():
    verdicts = detect_series(series_of(ALTERNATING + [110.0, 111.0] * 10, commits=[""] * 40))
    assert [(v.run_index, v.commit, v.last_good_commit, v.commit_range) for v in verdicts] == [
        (20, "", "", "")]
    commits = [f"c{index}" for index in range(20)] + [""] * 20
    (verdict,) = detect_series(series_of(ALTERNATING + [110.0, 111.0] * 10, commits=commits))
    assert (verdict.last_good_commit, verdict.commit, verdict.commit_range) == ("c19", "", "")


def test_a_change_from_zero_has_no_percentage():
    (verdict,) = detect_series(series_of([0.0] * 20 + [5.0]))
    assert (verdict.baseline, verdict.value, verdict.change_abs, verdict.change_pct) == (
        0.0, 5.0, 5.0, None)
    assert verdict.confirmed and verdict.noise == 1e-12


def test_two_runs_of_the_old_environment_are_enough_to_compare_with():
    values = [100.0, 101.0] + [120.0, 121.0] * 10
    verdicts = detect_series(series_of(values, envs=["a"] * 2 + ["b"] * 20))
    noise = 0.5 * math.sqrt(20.0 / 19.0)  # the new environment's own noise
    z_score = 20.0 / (1.2533 * noise * math.sqrt(1.0 / 2.0 + 1.0 / 20.0))
    assert same(verdicts, [expected(VerdictKind.ENVIRONMENT_CHANGE, 2, "c1", 100.5, 120.5,
                                    noise, p_value=normal_two_sided_p(z_score), env="b")])
    assert not detect_series(series_of([100.0] + [120.0, 121.0] * 10, envs=["a"] + ["b"] * 20))


def test_a_paired_p_value_is_the_confidence_to_four_places():
    base = [index % 5 != 0 for index in range(1000)]
    worse = [value and index not in range(1, 60, 5) for index, value in enumerate(base)]
    samples = [pack_correctness(base)] * 20 + [pack_correctness(worse)]
    (verdict,) = detect_series(series_of([0.800, 0.801] * 10 + [0.70], higher=True,
                                         samples=samples))
    # 12 samples only the older run got right, none the other way: p = 2 / 2^12
    assert verdict.p_value == pytest.approx(2.0 / 2 ** 12)
    assert (verdict.confirmed, verdict.confidence) == (True, 0.9995)


def test_a_newest_rerun_too_small_for_a_drift_split_is_suspected_drift():
    # 6 above the level: short of a significant split of the two reruns (z 6 / (sqrt 2 *
    # 1.05) < 4.5), but beyond five noises from the recent level: suspected, as drift
    commits = [f"c{index}" for index in range(20)] + ["c19"]
    noise = MAD_TO_SIGMA
    z_score = 6.0 / (noise * math.sqrt(1.0 / 20.0 + 1.0))
    wanted = expected(VerdictKind.ENVIRONMENT_DRIFT, 20, "c19", 100.5, 106.5, noise,
                      p_value=normal_two_sided_p(z_score), confirmed=False, confidence=0.5)
    wanted = replace(wanted, commit="c19", commit_range="c19..c19", runs=("run19", "run20"))
    wanted = replace(wanted, repro=repro_recipe(wanted))
    assert same(detect_series(series_of(ALTERNATING + [106.5], commits=commits)), [wanted])
    commits[1] = ""  # an unknown commit earlier on changes nothing about the newest two
    assert [v.kind for v in detect_series(series_of(ALTERNATING + [106.5], commits=commits))] \
        == [VerdictKind.ENVIRONMENT_DRIFT]


def test_the_pooled_noise_from_prefix_sums_is_the_pooled_standard_deviation():
    rng = random.Random(4)
    values = [rng.gauss(0.0, 1.0) + (3.0 if index >= 12 else 0.0) for index in range(30)]
    prefix = Prefix(values)
    for points in ([], [12], [5, 12, 20], [2, 4, 6, 8]):
        assert _pooled(prefix, points, len(values)) == pytest.approx(
            pooled_sigma(values, points), rel=1e-9)
    assert _pooled(Prefix([1.0, 2.0]), [1], 2) == 0.0  # no degree of freedom left
    assert _pooled(Prefix([1.0, 2.0, 4.0]), [1], 3) == pytest.approx(math.sqrt(2.0))  # one


def test_a_shift_in_standard_errors():
    assert _shift_z(10.0, 13.0, (4, 9), 2.0) == pytest.approx(3.0 / (2.0 * math.sqrt(
        1.0 / 4.0 + 1.0 / 9.0)))
    assert _shift_z(13.0, 10.0, (4, 9), 2.0) == _shift_z(10.0, 13.0, (4, 9), 2.0)
    assert _shift_z(10.0, 13.0, (4, 9), 0.0) == math.inf


def test_a_short_side_must_lie_wholly_beyond_the_midpoint():
    assert _short_sides_agree([1.0, 2.0, 3.0], [10.0])
    assert _short_sides_agree([1.0, 2.0, 3.0], [10.0, 9.0])
    assert not _short_sides_agree([1.0, 2.0, 3.0], [10.0, 4.0])  # midpoint 4.5
    assert not _short_sides_agree([7.0, 1.0], [10.0, 10.0, 10.0])  # 7 is not below 7
    assert _short_sides_agree([1.0, 1.0], [10.0, 10.0, 10.0])
    assert not _short_sides_agree([10.0, 10.0, 10.0], [1.0, 8.0])  # falling, 8 above 7.25
    assert _short_sides_agree([10.0, 10.0, 10.0], [1.0, 2.0])
    assert _short_sides_agree([1.0, 2.0, 3.0, 4.0], [10.0, 4.0, 10.0])  # three runs: no rule


def test_commit_starts_and_groups():
    assert _commit_starts(["a", "a", "b", "", "", "c", "c"]) == [2, 3, 4, 5]
    assert _commit_groups([2, 3, 4, 5], 7) == [(0, 2), (2, 3), (3, 4), (4, 5), (5, 7)]
    assert _commit_groups([], 3) == [(0, 3)]


def test_an_environment_change_of_a_few_noises_has_a_finite_p_value():
    # a step of 2 against medians' noise 1.2533 * 0.513: z about 10, p about 1e-22
    values = ALTERNATING + [102.0, 103.0] * 10
    noise = 0.5 * math.sqrt(20.0 / 19.0)
    z_score = 2.0 / (1.2533 * noise * math.sqrt(0.1))
    verdicts = detect_series(series_of(values, envs=["a"] * 20 + ["b"] * 20))
    assert 0.0 < normal_two_sided_p(z_score) < 1e-15
    assert same(verdicts, [expected(VerdictKind.ENVIRONMENT_CHANGE, 20, "c19", 100.5, 102.5,
                                    noise, p_value=normal_two_sided_p(z_score), env="b")])
    # a step of 1 is z 4.9 but below the minimum detectable change (2.5 noises): none
    assert not detect_series(series_of(ALTERNATING + [101.0, 102.0] * 10,
                                       envs=["a"] * 20 + ["b"] * 20))


@pytest.mark.parametrize("side", [
    10,  # twenty runs each side: the old environment ends at its second level
    5,   # ten runs each side: the 20-run windows would reach the older levels
])
def test_an_environment_change_compares_the_levels_next_to_it(side):
    values = (ALTERNATING + [110.0, 111.0] * side + [130.0, 131.0] * side
              + [140.0, 141.0] * 10)
    change = 20 + 2 * side
    verdicts = detect_series(series_of(values, envs=["a"] * change + ["b"] * change))
    assert [(v.kind, v.run_index, v.baseline, v.value) for v in verdicts] == [
        (VerdictKind.REGRESSION, 20, 100.5, 110.5),
        (VerdictKind.ENVIRONMENT_CHANGE, change, 110.5, 130.5),
        (VerdictKind.REGRESSION, change + 2 * side, 130.5, 140.5)]


def test_a_shift_the_paired_test_does_not_support_is_dropped_an_outlier_is_kept():
    same_samples = [pack_correctness([index % 5 != 0 for index in range(1000)])]
    values = [0.800, 0.801] * 10 + [0.85, 0.851] * 10
    assert not detect_series(series_of(values, higher=True, samples=same_samples * 40))
    assert [v.kind for v in detect_series(series_of(values, higher=True))] == [
        VerdictKind.IMPROVEMENT]
    spike = [0.800, 0.801] * 5 + [0.9] + [0.800, 0.801] * 5
    (verdict,) = detect_series(series_of(spike, higher=True, samples=same_samples * 21))
    assert (verdict.kind, verdict.run_index, verdict.p_value, verdict.confidence) == (
        VerdictKind.OUTLIER, 10, 1.0, 0.0)


def test_a_small_rise_of_a_lower_is_better_metric_is_a_regression():
    values = [0.010, 0.0101] * 10 + [0.015, 0.0151] * 10
    assert [(v.kind, v.run_index) for v in detect_series(series_of(values))] == [
        (VerdictKind.REGRESSION, 20)]
    assert [(v.kind, v.run_index) for v in detect_series(series_of(values, higher=True))] == [
        (VerdictKind.IMPROVEMENT, 20)]


def test_shift_indices_and_history_needed_use_the_given_config():
    config = DetectorConfig(min_points=7)
    assert history_needed(series_of([1.0] * 4), config) == 3
    assert history_needed(series_of([1.0] * 4)) == 1
    values = [0.0, 0.0, 0.0, 5.0, 5.0, 5.0]
    assert not shift_indices(values, config)
    assert shift_indices(values + [5.0], config) == [3]
    assert shift_indices(ALTERNATING + [110.0, 111.0] * 10) == [20]
    assert shift_indices(ALTERNATING + [110.0, 111.0] * 10, DetectorConfig(min_sigmas=30.0)) == []


def levels(*heights: float, width: int = 5) -> list[float]:
    """A series holding each of `heights` for `width` runs."""
    return [float(height) for height in heights for _ in range(width)]


def test_three_alike_excursions_back_to_one_level_are_a_clock_not_changes():
    values = levels(0, 5, 0, 5, 0, 5, 0)
    assert _recurring_bumps(Prefix(values), list(range(5, 35, 5)), 35) == list(range(5, 35, 5))
    values = levels(100, 105, 100, 105, 101, 105, 100)  # at any level, back within 30 %
    assert _recurring_bumps(Prefix(values), list(range(5, 35, 5)), 35) == list(range(5, 35, 5))
    values = levels(0, 5, 0, 5, 0)  # two are not enough
    assert not _recurring_bumps(Prefix(values), list(range(5, 25, 5)), 25)
    values = levels(0, 5, 0, 5, 0, 12, 0)  # the third is of another height
    assert not _recurring_bumps(Prefix(values), list(range(5, 35, 5)), 35)
    values = levels(0, 5, 3, 5, 0, 5, 0)  # the second does not come back to the level
    assert not _recurring_bumps(Prefix(values), list(range(5, 35, 5)), 35)
    values = levels(0, 0.5, 0, 0.5, 0, 0.5, 0)  # any scale
    assert _recurring_bumps(Prefix(values), list(range(5, 35, 5)), 35) == list(range(5, 35, 5))
    # the first two excursions end 1.8 from where they began (over 30 % of 5): two left
    values = levels(0, 5, 1.8, 5, 0, 5, 0, 5, 0)
    assert not _recurring_bumps(Prefix(values), list(range(5, 45, 5)), 45)
    # the third reaches the same level from further down: twice the height, not alike
    values = levels(0, 5, 0, 5, 0, -5, 5, -5)
    assert not _recurring_bumps(Prefix(values), list(range(5, 40, 5)), 40)
    # three up among one down: the ups only
    values = levels(0, 5, 0, -5, 0, 5, 0, 5, 0)
    assert _recurring_bumps(Prefix(values), list(range(5, 45, 5)), 45) == [5, 10, 25, 30, 35, 40]


def test_streaky_residuals_widen_by_their_long_run_factor():
    values = [math.sin(index / 5.0) for index in range(40)]
    residuals = [value - sum(values) / 40 for value in values]
    lag = sum(one * two for one, two in zip(residuals, residuals[1:]))
    correlation = lag / sum(value * value for value in residuals) - 2.0 / math.sqrt(40)
    assert _persistence(values, []) == pytest.approx(
        math.sqrt((1.0 + correlation) / (1.0 - correlation)))
    assert _persistence([0.001 * value for value in values], []) == pytest.approx(
        _persistence(values, []))  # at any scale
    assert _persistence([1.0, 2.0] * 10, []) == 1.0  # alternating: negative correlation
    assert _persistence([1.0] * 20, []) == 1.0  # no residuals
    assert _persistence(values[:7], []) == 1.0  # too few to tell
    walk = [float(index) for index in range(1000)]  # a wandering level: capped at 0.9
    assert _persistence(walk, []) == pytest.approx(math.sqrt(1.9 / 0.1))


def test_residuals_are_taken_around_each_level_and_not_across_a_shift():
    values = [1.0, 2.0] * 10 + [11.0, 12.0] * 10
    assert _persistence(values, [20]) == 1.0
    assert _persistence(values, []) > 1.0  # the shift left in makes them look streaky


def test_a_spike_in_a_two_state_clock_is_measured_against_its_own_mode():
    values = clock("LLLHHH" * 10)
    values[16] += 30.0  # in the upper mode (about 20)
    (verdict,) = detect_series(series_of(values))
    assert (verdict.kind, verdict.run_index, verdict.value) == (VerdictKind.OUTLIER, 16, 50.1)
    # the median of the five runs before it with the clock taken out, back in its mode
    assert verdict.baseline == pytest.approx(20.1, abs=1e-9)


def test_smooth_steps_are_the_first_differences_of_a_curve_only():
    curve = [1000.0 + 500.0 * math.sin(run / 12.0) for run in range(60)]
    steps = smooth_steps(curve)
    assert steps is not None
    assert list(steps) == pytest.approx([two - one for one, two in zip(curve, curve[1:])])
    assert smooth_steps(curve[:8]) is None  # 7 differences: too few to tell
    assert smooth_steps(curve[:9]) is not None
    assert smooth_steps([5.0] * 30) is None
    assert smooth_steps([float(run) for run in range(30)]) is None  # a straight line: no bend
    assert smooth_steps(ALTERNATING) is None
    small = [0.001 * value for value in curve]  # a curve at any scale
    assert smooth_steps(small) is not None
    growth = [100.0 * 1.05 ** run for run in range(40)]  # steps far from their median
    assert smooth_steps(growth) is not None


def test_an_environment_change_takes_the_old_noise_at_the_old_level_when_it_is_larger():
    # the old environment spans a factor 3 (judged in logs: +-ln(1.01)/2 around each level),
    # the new one is quiet: the noise is the old one's at its recent level, 30.15
    values = [10.0, 10.1] * 10 + [30.0, 30.3] * 10 + [60.0, 60.01] * 10
    verdicts = detect_series(series_of(values, envs=["a"] * 40 + ["b"] * 20))
    assert [(v.kind, v.run_index, v.baseline) for v in verdicts] == [
        (VerdictKind.REGRESSION, 20, 10.05), (VerdictKind.ENVIRONMENT_CHANGE, 40, 30.15)]
    assert verdicts[1].value == pytest.approx(60.005)
    assert verdicts[1].noise == pytest.approx(
        30.15 * math.log(1.01) / 2.0 * math.sqrt(40.0 / 38.0), rel=1e-9)


@pytest.mark.parametrize("tail", [[], [100.0, 101.0] * 3, [104.0, 105.0] * 3],
                         ids=["last", "back", "stays"])
def test_reruns_whose_first_run_stays_at_the_old_level_are_drift_not_a_shift(tail):
    # commit cx is run five times: the first at the old level, the other four 3.5 higher
    values = [100.0, 101.0] * 5 + [100.5, 104.0, 105.0, 104.0, 105.0] + tail
    commits = [f"c{index}" for index in range(10)] + ["cx"] * 5 + [f"d{i}" for i in
                                                                   range(len(tail))]
    verdicts = detect_series(series_of(values, commits=commits))
    assert [(v.kind, v.run_index, v.commit_range, v.baseline, v.value, v.runs) for v in
            verdicts] == [(VerdictKind.ENVIRONMENT_DRIFT, 11, "cx..cx", 100.5, 104.5,
                           tuple(f"run{index}" for index in range(10, 15)))]
    assert (verdicts[0].p_value, verdicts[0].confidence) == (None, 1.0)


def test_an_exact_level_judged_in_logs_has_the_relative_floor_as_noise():
    (verdict,) = detect_series(series_of([10.0] * 20 + [30.0]))
    assert (verdict.kind, verdict.run_index, verdict.confirmed) == (
        VerdictKind.REGRESSION, 20, True)
    assert verdict.noise == pytest.approx(1e-4 * 10.0)  # relative_floor at the level 10


def test_values_below_one_spanning_a_factor_three_are_judged_in_logs_too():
    (verdict,) = detect_series(series_of([0.1, 0.101] * 10 + [0.3, 0.303] * 10))
    assert verdict.noise == pytest.approx(0.1005 * math.log(1.01) / 2.0 * math.sqrt(40 / 38),
                                          rel=1e-9)


def test_the_smallest_judged_segments_have_min_points_runs():
    assert [(v.kind, v.run_index, v.confirmed) for v in detect_series(
        series_of([100.0] * 4 + [130.0]))] == [(VerdictKind.REGRESSION, 4, True)]
    assert not detect_series(series_of([100.0] * 3 + [130.0]))
    five = ALTERNATING + [120.0, 121.0, 120.0, 121.0, 120.0]
    assert [(v.kind, v.run_index) for v in detect_series(
        series_of(five, envs=["a"] * 20 + ["b"] * 5))] == [(VerdictKind.ENVIRONMENT_CHANGE, 20)]
    assert not detect_series(series_of([]))


def test_the_detector_config_reaches_the_analysis():
    values = ALTERNATING + [110.0, 111.0] * 10
    assert not detect_series(series_of(values), DetectorConfig(min_sigmas=30.0))
    assert detect_series(series_of(values), DetectorConfig())


def test_spikes_in_more_than_one_run_in_twenty_are_the_noise_not_outliers():
    frequent = ALTERNATING * 2
    for index in (5, 15, 25, 35):  # 4 of 40: 10 %
        frequent[index] += 30.0
    assert not detect_series(series_of(frequent))
    rare = ALTERNATING * 2
    for index in (5, 25):  # 2 of 40: 5 %, still outliers
        rare[index] += 30.0
    assert [(v.kind, v.run_index) for v in detect_series(series_of(rare))] == [
        (VerdictKind.OUTLIER, 5), (VerdictKind.OUTLIER, 25)]
    # 6 of 100 stand out against the noise between them, but are too many to be outliers:
    # measured against the spread of all runs they are noise
    many = ALTERNATING * 5
    for index in (5, 20, 35, 50, 65, 80):
        many[index] += 30.0
    assert not detect_series(series_of(many))
    few = ALTERNATING * 5
    for index in (5, 25, 50, 75):
        few[index] += 30.0
    assert [(v.kind, v.run_index) for v in detect_series(series_of(few))] == [
        (VerdictKind.OUTLIER, index) for index in (5, 25, 50, 75)]


def test_excursions_that_recur_to_one_level_widen_the_noise_instead_of_being_changes():
    def visits(*heights: float) -> list[float]:
        return [height + wobble for height in heights for wobble in (0.0, 1.0) * 3]

    assert not detect_series(series_of(visits(100, 110, 100, 110, 100, 110, 100)))
    assert [(v.kind, v.run_index) for v in detect_series(series_of(visits(100, 110, 100)))] \
        == [(VerdictKind.REGRESSION, 6), (VerdictKind.IMPROVEMENT, 12)]


@pytest.mark.parametrize("reruns, found", [
    # every rerun at the new level: the commit changed it, and the next one changed it back
    ([110.0, 111.0, 110.0, 111.0, 110.0], [(VerdictKind.REGRESSION, 10, 100.5, 110.0),
                                          (VerdictKind.IMPROVEMENT, 15, 110.0, 104.5)]),
    # the first rerun already off the old level (3 above): a shift there, then drift
    ([103.0, 110.0, 111.0, 110.0, 111.0], [(VerdictKind.REGRESSION, 10, 100.5, 104.0),
                                          (VerdictKind.ENVIRONMENT_DRIFT, 11, 103.0, 110.5)]),
    # the first rerun at (or within two noises of) the old level: drift only
    ([100.5, 104.0, 105.0, 104.0, 105.0], [(VerdictKind.ENVIRONMENT_DRIFT, 11, 100.5, 104.5)]),
    ([101.5, 104.0, 105.0, 104.0, 105.0], [(VerdictKind.ENVIRONMENT_DRIFT, 11, 101.5, 104.5)]),
])
def test_where_a_replicated_commits_runs_sit_decides_shift_or_drift(reruns, found):
    values = [100.0, 101.0] * 5 + reruns + [104.0, 105.0] * 3
    commits = [f"c{index}" for index in range(10)] + ["cx"] * 5 + [f"d{i}" for i in range(6)]
    verdicts = detect_series(series_of(values, commits=commits))
    assert [(v.kind, v.run_index, v.baseline, v.value) for v in verdicts] == found


@pytest.mark.parametrize("reruns, kept, index", [
    ([100.0, 101.0, 100.0, 130.0], [100.0, 101.0, 100.0], 23),  # one wild last rerun
    ([130.0, 100.0, 101.0, 100.0], [100.0, 101.0, 100.0], 21),  # one wild first rerun
])
def test_one_wild_rerun_is_drift_set_aside_without_widening_the_noise(reruns, kept, index):
    values = ALTERNATING + reruns + [100.0, 101.0] * 3
    commits = [f"c{i}" for i in range(20)] + ["cx"] * 4 + [f"d{i}" for i in range(6)]
    (verdict,) = detect_series(series_of(values, commits=commits))
    assert (verdict.kind, verdict.run_index) == (VerdictKind.ENVIRONMENT_DRIFT, index)
    clean = ALTERNATING + kept + [100.0, 101.0] * 3
    assert verdict.noise == pytest.approx(statistics.stdev(clean), rel=1e-9)


def test_reruns_that_moved_as_a_level_widen_the_noise_by_their_spread():
    values = ALTERNATING + [100.0, 101.0, 130.0, 131.0] + [100.0, 101.0] * 3
    commits = [f"c{i}" for i in range(20)] + ["cx"] * 4 + [f"d{i}" for i in range(6)]
    (verdict,) = detect_series(series_of(values, commits=commits))
    assert (verdict.kind, verdict.run_index, verdict.baseline, verdict.value) == (
        VerdictKind.ENVIRONMENT_DRIFT, 22, 100.5, 130.5)
    clean = ALTERNATING + [100.0, 101.0] + [100.0, 101.0] * 3  # the level at 130 set aside
    spread = statistics.pvariance([100.0, 101.0, 130.0, 131.0]) * 4 / (len(clean) - 1)
    assert verdict.noise == pytest.approx(math.sqrt(statistics.stdev(clean) ** 2 + spread),
                                          rel=1e-9)


def test_a_shift_below_the_minimum_change_is_not_reported_however_certain():
    # a step of 1 (below 2.5 noises of 0.51) over 40 runs each side: z about 9
    assert not detect_series(series_of(ALTERNATING * 2 + [101.0, 102.0] * 20))


def test_drift_is_searched_in_every_replicated_commit_after_a_quiet_one():
    values = ALTERNATING + [100.0, 101.0, 100.0, 130.0] + [100.0, 101.0] * 3
    commits = ["c0", "c0"] + [f"c{i}" for i in range(2, 20)] + ["cx"] * 4 + [
        f"d{i}" for i in range(6)]
    assert [(v.kind, v.run_index) for v in detect_series(series_of(values, commits=commits))] \
        == [(VerdictKind.ENVIRONMENT_DRIFT, 23)]


def test_a_short_old_environment_is_compared_by_its_newest_runs():
    # four runs (too few for an analysis of their own), the newest two at 110
    values = [100.0, 100.0, 110.0, 110.0] + [130.0, 131.0] * 5
    verdicts = detect_series(series_of(values, envs=["a"] * 4 + ["b"] * 10),
                             DetectorConfig(env_window=2))
    assert [(v.kind, v.run_index, v.baseline, v.value) for v in verdicts] == [
        (VerdictKind.ENVIRONMENT_CHANGE, 4, 110.0, 130.5)]
