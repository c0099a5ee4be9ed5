"""Detection on the histories users meet: replicates, short histories, zero-noise steps,
bimodal clocks, several shifts, environment segments, paired accuracy tests, identity."""

from __future__ import annotations

import random

import pytest

from harness.detect import DetectorConfig, Point, Series, detect_series, history_needed
from harness.detect.changepoints import Prefix, best_bump
from harness.detect.classify import analyse
from harness.detect.mcnemar import (
    binomial_two_sided,
    exact_mcnemar,
    pack_correctness,
    runs_p_value,
    unpack_correctness,
)
from harness.measure import environment
from harness.records import VerdictKind

from .helpers import make_series

SHIFTS = (VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT)


def series_of(values, commits=None, envs=None, metric="step_ms", higher=False, samples=None):
    """A series from plain lists (commit i and environment 'e' unless given)."""
    commits = commits or [f"c{i}" for i in range(len(values))]
    envs = envs or ["e"] * len(values)
    samples = samples or [None] * len(values)
    points = tuple(Point(i, f"run{i}", commit, env, float(value), samples=sample)
                   for i, (value, commit, env, sample)
                   in enumerate(zip(values, commits, envs, samples)))
    return Series("suites/x.py::test_model", metric, points, higher, "ms")


def test_reruns_of_one_commit_on_a_loaded_runner_are_drift_never_a_regression() -> None:
    rng = random.Random(3)
    values = [100 * (1 + rng.gauss(0, 0.01)) for _ in range(30)]
    values += [100 * (1 + rng.gauss(0, 0.01)), *(125 * (1 + rng.gauss(0, 0.01))
                                                for _ in range(4))]
    commits = [f"c{i}" for i in range(30)] + ["c30"] * 5
    verdicts = detect_series(series_of(values, commits))
    assert not [v for v in verdicts if v.kind in SHIFTS]
    drift = [v for v in verdicts if v.kind is VerdictKind.ENVIRONMENT_DRIFT]
    assert len(drift) == 1 and drift[0].commit == drift[0].last_good_commit == "c30"
    assert drift[0].runs == tuple(f"run{i}" for i in range(30, 35))
    assert "harness bisect" not in drift[0].repro


def test_a_newest_rerun_that_jumps_is_drift() -> None:
    values = [100.0 + (i % 3) * 0.5 for i in range(20)] + [150.0]
    commits = [f"c{i}" for i in range(20)] + ["c19"]
    verdicts = detect_series(series_of(values, commits))
    assert [(v.kind, v.commit_range, v.runs) for v in verdicts] == [
        (VerdictKind.ENVIRONMENT_DRIFT, "c19..c19", ("run19", "run20"))]


@pytest.mark.parametrize("seed", range(8))
def test_no_change_is_ever_blamed_on_a_range_without_a_commit(seed) -> None:
    rng = random.Random(seed)
    values, commits, level = [], [], 100.0
    for commit in range(60):
        if commit in (20, 40):
            level *= 1.1
        for _ in range(rng.choice((1, 2, 3))):
            values.append(level * (1 + rng.gauss(0, 0.01)) * rng.choice((1, 1, 1, 1.2)))
            commits.append(f"c{commit}")
    for verdict in detect_series(series_of(values, commits)):
        if verdict.kind in SHIFTS:
            assert verdict.commit != verdict.last_good_commit


def test_too_short_a_history_has_no_verdict_and_says_what_it_needs() -> None:
    config = DetectorConfig()
    for runs in range(1, config.min_points):
        series = series_of([1.0, 5.0, 9.0, 1.0][:runs])
        assert detect_series(series) == []
        assert history_needed(series, config) == config.min_points - runs
    assert history_needed(series_of([1.0] * 10), config) == 0
    segments = series_of([1.0] * 10 + [2.0] * 2, envs=["a"] * 10 + ["b"] * 2)
    assert history_needed(segments, config) == config.min_points - 2  # the current segment


@pytest.mark.parametrize("steps", [1, 3, 8])
def test_every_step_of_a_deterministic_memory_series_is_found_exactly(steps) -> None:
    rng = random.Random(steps)
    places = sorted(rng.sample(range(6, 114, 6), steps))
    values, level = [], 2.0 ** 31
    for run in range(120):
        if run in places:
            level += rng.choice((-1, 1)) * rng.randrange(1, 200) * 2 ** 20
        values.append(level)
    verdicts = detect_series(series_of(values, metric="peak_bytes"))
    assert [v.run_index for v in verdicts if v.kind in SHIFTS] == places


def test_a_deterministic_accuracy_change_is_confirmed_on_its_first_run() -> None:
    values = [0.8125] * 10 + [0.8300]
    commits = ["a"] * 10 + ["b"]
    verdicts = detect_series(series_of(values, commits, metric="top1", higher=True))
    assert [(v.kind, v.confirmed, v.commit_range) for v in verdicts] == [
        (VerdictKind.IMPROVEMENT, True, "a..b")]


@pytest.mark.parametrize("seed", range(10))
def test_a_bimodal_clock_gives_no_paired_false_alarms(seed) -> None:
    rng = random.Random(seed)
    values = [100 + rng.gauss(0, 0.3) + (6.0 if rng.random() < 0.3 else 0.0)
              for _ in range(150)]
    assert not [v for v in detect_series(series_of(values)) if v.kind in SHIFTS]


@pytest.mark.parametrize("seed", range(5))
def test_five_shifts_are_all_found_and_do_not_inflate_the_noise(seed) -> None:
    shifts = {20: 0.06, 45: -0.05, 70: 0.07, 95: -0.06, 120: 0.05}
    series = make_series(seed, runs=150, noise=0.01, shifts=shifts)
    found = [v.run_index for v in detect_series(series) if v.kind in SHIFTS]
    assert found == sorted(shifts)
    analysis = analyse([p.value for p in series.points])
    assert analysis.sigma < 1.5 * 1.0  # about 1 % of a level of about 100


def test_a_slow_drift_is_not_cut_into_steps() -> None:
    rng = random.Random(4)
    values = [100 + 0.1 * run + rng.gauss(0, 1.0) for run in range(200)]
    assert not [v for v in detect_series(series_of(values)) if v.kind in SHIFTS]


def test_the_newest_run_rule_skips_closed_segments() -> None:
    values = [100.0 + (i % 2) * 0.2 for i in range(20)] + [160.0]
    values += [130.0 + (i % 2) * 0.2 for i in range(10)]
    envs = ["old"] * 21 + ["new"] * 10
    verdicts = detect_series(series_of(values, envs=envs))
    assert not [v for v in verdicts if v.kind in SHIFTS]


def test_environment_change_windows_shrug_off_one_outlier() -> None:
    rng = random.Random(2)
    before = [100 * (1 + rng.gauss(0, 0.01)) for _ in range(30)]
    after = [100 * (1 + rng.gauss(0, 0.01)) for _ in range(30)]
    after[1] = 160.0
    verdicts = detect_series(series_of(before + after, envs=["a"] * 30 + ["b"] * 30))
    assert VerdictKind.ENVIRONMENT_CHANGE not in [v.kind for v in verdicts]


def test_exact_mcnemar_matches_the_binomial_tail() -> None:
    assert exact_mcnemar([True] * 10, [False] * 10) == pytest.approx(2 * 0.5 ** 10)
    assert exact_mcnemar([True, False], [True, False]) == 1.0
    assert binomial_two_sided(5, 10) == 1.0
    assert 0.0 < binomial_two_sided(400, 1000) < 1e-9  # log space: no underflow to 0 early
    with pytest.raises(ValueError, match="differ in length"):
        exact_mcnemar([True], [True, False])


def test_correctness_vectors_round_trip_and_compare() -> None:
    correct = [bool(i % 3) for i in range(1003)]
    assert unpack_correctness(pack_correctness(correct)) == correct
    assert runs_p_value(None, pack_correctness(correct)) is None
    assert runs_p_value(pack_correctness(correct), pack_correctness(correct[:-1])) is None
    with pytest.raises(ValueError, match="truncated"):
        unpack_correctness(pack_correctness(correct)[:-1])


def test_accuracy_with_samples_uses_the_paired_test() -> None:
    rng = random.Random(1)
    base = [rng.random() < 0.8 for _ in range(5000)]
    better = [value or rng.random() < 0.05 for value in base]
    vectors = [base] * 8 + [better] * 4
    values = [sum(v) / len(v) for v in vectors]
    series = series_of(values, commits=["a"] * 8 + ["b"] * 4, metric="top1", higher=True,
                       samples=[pack_correctness(v) for v in vectors])
    verdicts = [v for v in detect_series(series) if v.kind in SHIFTS]
    assert [(v.kind, v.commit_range) for v in verdicts] == [(VerdictKind.IMPROVEMENT, "a..b")]
    assert verdicts[0].p_value is not None and verdicts[0].p_value < 1e-6


def test_bump_search_finds_a_stretch_that_came_back() -> None:
    values = [0.0] * 30 + [3.0] * 10 + [0.0] * 30
    _gain, bump = best_bump(Prefix(values), 0, len(values), 2)
    assert bump == (30, 40)


def test_testbed_and_dependency_digest_define_identity(monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_TESTBED", "a100-pool")
    monkeypatch.setenv("HARNESS_IMAGE_DIGEST", "sha256:whole")
    monkeypatch.delenv("HARNESS_DEPS_DIGEST", raising=False)
    assert environment.testbed() == "a100-pool"
    assert environment.image_digest() == "sha256:whole"
    monkeypatch.setenv("HARNESS_DEPS_DIGEST", "sha256:deps")
    assert environment.image_digest() == "sha256:deps"
    monkeypatch.setenv("HARNESS_TESTBED", "  ")
    assert environment.testbed() == environment.socket.gethostname()
