"""The detector on synthetic series with planted shifts, outliers and environment changes."""

from __future__ import annotations

import pytest

from harness.detect import DetectorConfig, detect_series
from harness.detect.changepoints import binary_segmentation, find_change_points
from harness.detect.noise import robust_sigma
from harness.records import VerdictKind

from .helpers import make_series


def kinds(verdicts):
    """(kind, run) pairs, the part of a verdict most tests compare."""
    return [(v.kind, v.run_index) for v in verdicts]


@pytest.mark.parametrize("seed", range(5))
def test_a_ten_percent_slowdown_under_one_percent_noise_names_its_commit(seed) -> None:
    verdicts = detect_series(make_series(seed, shifts={40: 0.10}))
    assert kinds(verdicts) == [(VerdictKind.REGRESSION, 40)]
    verdict = verdicts[0]
    assert verdict.commit == f"{40:040x}" and verdict.last_good_commit == f"{39:040x}"
    assert verdict.commit_range == f"{39:040x}..{40:040x}"
    assert 8.0 < verdict.change_pct < 12.0
    assert verdict.confidence > 0.99
    assert verdict.min_detectable_change == pytest.approx(2.5 * verdict.noise)
    assert "harness bisect" in verdict.repro and f"{40:040x}" in verdict.repro


def test_direction_decides_regression_or_improvement() -> None:
    faster = detect_series(make_series(1, shifts={30: -0.10}))
    assert kinds(faster) == [(VerdictKind.IMPROVEMENT, 30)]
    accuracy_drop = detect_series(make_series(1, level=0.9, noise=0.002, shifts={50: -0.02},
                                              higher_is_better=True, metric="accuracy"))
    assert kinds(accuracy_drop) == [(VerdictKind.REGRESSION, 50)]


def test_a_single_spike_is_an_outlier_not_a_shift() -> None:
    verdicts = detect_series(make_series(2, outliers={25: 0.3}))
    assert kinds(verdicts) == [(VerdictKind.OUTLIER, 25)]
    assert not verdicts[0].is_regression


def test_a_shift_at_an_environment_change_is_not_blamed_on_the_commit() -> None:
    verdicts = detect_series(make_series(3, shifts={20: 0.10}, env_changes={50: -0.2}))
    assert kinds(verdicts) == [(VerdictKind.REGRESSION, 20), (VerdictKind.ENVIRONMENT_CHANGE, 50)]
    assert verdicts[1].env_fingerprint == "env1"


def test_a_shift_that_a_later_commit_undid_is_found_both_ways() -> None:
    verdicts = detect_series(make_series(4, noise=0.01, shifts={30: 0.05, 50: -0.05 / 1.05}))
    assert kinds(verdicts) == [(VerdictKind.REGRESSION, 30), (VerdictKind.IMPROVEMENT, 50)]


def test_shifts_below_the_minimum_detectable_change_are_never_flagged() -> None:
    assert detect_series(make_series(5, noise=0.02, shifts={40: 0.02})) == []


def test_no_false_alarm_on_pure_noise_over_many_seeds() -> None:
    alarms = [v for seed in range(100, 160)
              for v in detect_series(make_series(seed, runs=100))
              if v.kind is not VerdictKind.OUTLIER]
    assert alarms == []


def test_newest_run_jump_is_flagged_unconfirmed_then_confirmed() -> None:
    series = make_series(6, runs=60, shifts={59: 0.3})
    verdicts = detect_series(series)
    assert kinds(verdicts) == [(VerdictKind.REGRESSION, 59)]
    assert not verdicts[0].confirmed and verdicts[0].confidence <= 0.5
    confirmed = detect_series(make_series(6, runs=61, shifts={59: 0.3}))
    assert [(v.kind, v.run_index, v.confirmed) for v in confirmed] == [
        (VerdictKind.REGRESSION, 59, True)]


def test_only_the_newest_runs_of_a_long_history_are_analysed() -> None:
    series = make_series(8, runs=120, shifts={10: 0.2, 100: 0.2})
    assert kinds(detect_series(series, DetectorConfig(max_history=50))) == [
        (VerdictKind.REGRESSION, 100)]


def test_deterministic_series_gets_a_finite_noise_floor() -> None:
    assert robust_sigma([0.9] * 20) == pytest.approx(0.9e-4)
    flat = make_series(7, noise=0.0, level=0.9, shifts={10: -0.01}, higher_is_better=True)
    assert kinds(detect_series(flat)) == [(VerdictKind.REGRESSION, 10)]


def test_both_change_point_engines_find_a_clear_step() -> None:
    values = [0.0] * 20 + [5.0] * 20
    assert binary_segmentation(values, lambda *_: True) == [20]
    assert find_change_points(values, pen=10.0, method="binseg") == [20]
    with pytest.raises(ValueError, match="unknown change-point method"):
        find_change_points(values, pen=1.0, method="magic")


def test_pelt_engine_agrees_when_ruptures_is_installed() -> None:
    pytest.importorskip("ruptures", reason="the optional `detect` extra is not installed")
    config = DetectorConfig(method="pelt")
    assert kinds(detect_series(make_series(0, shifts={40: 0.10}), config)) == [
        (VerdictKind.REGRESSION, 40)]
