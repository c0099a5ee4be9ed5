"""A speed metric's own measured noise (its confidence interval) is a floor for the series'
noise: a change one measurement cannot resolve is not reported, and verdicts carry it."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

from dataclasses import replace

import pytest

from harness.detect import DetectorConfig, detect_series, series_from_store
from harness.detect.classify import measured_floor
from harness.detect.series import CI_Z, stored_evidence
from harness.records import Measurement, VerdictKind
from harness.store import Store
from suites.unit.detect.helpers import fill_store, make_series

SHIFT = {40: 0.03}  # +3 % from run 40 on, in 0.3 % noise: ten noises


def _with_noise(series, noise_rel):
    return replace(series, points=tuple(replace(point, noise_rel=noise_rel)
                                        for point in series.points))


def _regressions(series):
    return [v for v in detect_series(series) if v.kind is VerdictKind.REGRESSION]


def test_a_shift_well_above_the_measured_noise_is_found_and_carries_it():
    series = _with_noise(make_series(3, noise=0.003, shifts=SHIFT), 0.005)
    [verdict] = _regressions(series)
    assert verdict.run_index == 40
    assert verdict.noise >= 0.005 * verdict.baseline * 0.999  # the floor, not the 0.3 %
    assert verdict.min_detectable_change == pytest.approx(
        DetectorConfig().min_sigmas * verdict.noise)


def test_a_shift_the_measurements_cannot_resolve_is_not_reported():
    plain = make_series(3, noise=0.003, shifts=SHIFT)
    assert [v.run_index for v in _regressions(plain)] == [40]
    assert _regressions(_with_noise(plain, 0.02)) == []  # each median only known to 2 %


def test_the_floor_needs_most_runs_to_have_measured_their_noise():
    points = make_series(3, runs=20).points
    few = tuple(replace(p, noise_rel=0.05) if p.run_index < 5 else p for p in points)
    most = tuple(replace(p, noise_rel=0.05 if p.run_index % 2 else 0.01) for p in points)
    config = DetectorConfig()
    assert measured_floor(config, few) is config
    assert measured_floor(config, most).relative_floor == pytest.approx(0.03)
    tiny = tuple(replace(p, noise_rel=config.relative_floor / 2) for p in points)
    assert measured_floor(config, tiny) is config  # never below the configured floor


@pytest.mark.parametrize("details, expected", [
    (None, (None, None)),
    ('{"ci_rel": 0.0392, "rounds": 20}', (None, pytest.approx(0.02, rel=1e-4))),
    ('{"ci_rel": 0.0, "samples": "AQ=="}', (b"\x01", None)),
    ('{"ci_rel": "wide"}', (None, None)),
    ('{"ci_rel": 1.5}', (None, None)),
    ('[1, 2]', (None, None)),
    ('{"ci_rel"', (None, None)),
])
def test_stored_evidence_reads_samples_and_the_relative_standard_error(details, expected):
    assert stored_evidence(details) == expected


def test_the_store_gives_detection_each_measurement_s_noise(tmp_path):
    store = Store.open(str(tmp_path / "results.db"))
    series = make_series(5, runs=12, noise=0.002)
    fill_store(store, series)
    run_id = series.points[-1].run_id
    store.record([Measurement(run_id, series.test, "train_ms", 12.0, "ms", False,
                              details={"ci_rel": 0.04, "rounds": 30})])
    by_metric = {s.metric: s for s in series_from_store(store)}
    assert [p.noise_rel for p in by_metric["train_ms"].points] == [pytest.approx(0.04 / CI_Z)]
    assert {p.noise_rel for p in by_metric[series.metric].points} == {None}
    store.close()


@pytest.mark.parametrize("runs, measured, applies", [
    (20, 10, True),   # half the runs is enough
    (20, 9, False),   # fewer than half is not
    (21, 10, True),   # half, rounded down
    (4, 2, True),     # two runs at the least
    (3, 1, False),
])
def test_the_floor_applies_from_half_the_runs_and_two_at_the_least(runs, measured, applies):
    points = tuple(replace(p, noise_rel=0.05 if p.run_index < measured else None)
                   for p in make_series(3, runs=runs).points)
    assert (measured_floor(DetectorConfig(), points).relative_floor == 0.05) is applies
