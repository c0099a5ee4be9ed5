"""Turn one series into verdicts: outliers, confirmed shifts, unconfirmed newest-run jumps and
environment changes, each with magnitude, noise, confidence and a repro recipe."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace

from harness.detect.changepoints import find_change_points, penalty
from harness.detect.config import DetectorConfig
from harness.detect.noise import mean, normal_two_sided_p, residual_sigma, robust_sigma
from harness.detect.repro import repro_recipe
from harness.detect.series import Point, Series
from harness.records import Verdict, VerdictKind


@dataclass(frozen=True)
class _Evidence:
    """A change between two points of a series and how strong it is."""

    first_bad: Point
    last_good: Point
    baseline: float
    value: float
    z_score: float
    candidates: int
    sigma: float
    min_change: float


def _direction_kind(series: Series, delta: float) -> VerdictKind:
    worse = delta < 0 if series.higher_is_better else delta > 0
    return VerdictKind.REGRESSION if worse else VerdictKind.IMPROVEMENT


def _verdict(series: Series, kind: VerdictKind, evidence: _Evidence,
             confirmed: bool = True) -> Verdict:
    delta = evidence.value - evidence.baseline
    p_value = min(1.0, normal_two_sided_p(evidence.z_score) * max(evidence.candidates, 1))
    confidence = 1.0 - p_value if confirmed else min(1.0 - p_value, 0.5)
    good, bad = evidence.last_good, evidence.first_bad
    verdict = Verdict(
        test=series.test,
        metric=series.metric,
        kind=kind,
        run_id=bad.run_id,
        run_index=bad.run_index,
        commit=bad.commit,
        last_good_commit=good.commit,
        commit_range=f"{good.commit}..{bad.commit}" if good.commit and bad.commit else "",
        env_fingerprint=bad.env,
        baseline=evidence.baseline,
        value=evidence.value,
        change_abs=delta,
        change_pct=100.0 * delta / abs(evidence.baseline) if evidence.baseline else None,
        confidence=round(confidence, 4),
        noise=evidence.sigma,
        min_detectable_change=evidence.min_change,
        higher_is_better=series.higher_is_better,
        unit=series.unit,
        confirmed=confirmed,
        image_digest=bad.image_digest,
    )
    return replace(verdict, repro=repro_recipe(verdict))


def _outliers(values: list[float], sigma: float, config: DetectorConfig) -> dict[int, float]:
    """Indices of single-run spikes, mapped to the local level they left and returned to."""
    threshold = max(config.outlier_sigmas, config.min_sigmas) * sigma
    found: dict[int, float] = {}
    for index in range(1, len(values) - 1):
        left = statistics.median(values[max(0, index - config.window):index])
        right = statistics.median(values[index + 1:index + 1 + config.window])
        off_left, off_right = values[index] - left, values[index] - right
        if (abs(off_left) > threshold and abs(off_right) > threshold
                and off_left * off_right > 0):
            found[index] = left
    return found


def _shift_z(before: list[float], after: list[float], sigma: float) -> float:
    """Difference of the two segments' means in standard errors."""
    spread = sigma * math.sqrt(1.0 / len(before) + 1.0 / len(after))
    return abs(mean(after) - mean(before)) / spread


def _significant(before: list[float], after: list[float], sigma: float,
                 config: DetectorConfig) -> bool:
    """A shift of at least the minimum detectable change (`min_sigmas` noise) and of at
    least `min_z` standard errors."""
    return (abs(mean(after) - mean(before)) >= config.min_sigmas * sigma
            and _shift_z(before, after, sigma) >= config.min_z
            and _short_sides_agree(before, after))


def _short_sides_agree(before: list[float], after: list[float]) -> bool:
    """A side of only one or two runs must lie wholly beyond the midpoint of the two levels:
    one wild newest run beside a normal one is a jump to confirm, not a two-run shift."""
    midpoint = (mean(before) + mean(after)) / 2
    rising = mean(after) > mean(before)
    if len(after) <= 2 and any((value > midpoint) != rising for value in after):
        return False
    return not (len(before) <= 2 and any((value < midpoint) != rising for value in before))


def _prune(values: list[float], points: list[int], sigma: float,
           config: DetectorConfig) -> list[int]:
    """Drop change points that fail the size or significance test, weakest first."""
    points = list(points)
    while points:
        bounds = [0, *points, len(values)]
        weakest, weakest_z = None, math.inf
        for number, split in enumerate(points):
            before, after = values[bounds[number]:split], values[split:bounds[number + 2]]
            z_score = _shift_z(before, after, sigma)
            if not _significant(before, after, sigma, config) and z_score < weakest_z:
                weakest, weakest_z = split, z_score
        if weakest is None:
            break
        points.remove(weakest)
    return points


def _confirmed_shifts(values: list[float], step_sigma: float,
                      config: DetectorConfig) -> tuple[list[int], float]:
    """Significant level shifts in `values`, and the noise they were judged against.

    The noise is the larger of the run-to-run noise and what remains around the segments.
    """
    def noise(points: list[int]) -> float:
        return max(step_sigma, residual_sigma(values, points))

    def accept(trial: list[int], start: int, split: int, end: int) -> bool:
        return _significant(values[start:split], values[split:end], noise(trial), config)

    pen = penalty(step_sigma, len(values), config.beta)
    points = find_change_points(values, pen, config.method, accept=accept)
    sigma = noise(points)
    points = _prune(values, points, sigma, config)
    return points, noise(points)


def shift_indices(values: list[float], config: DetectorConfig | None = None) -> list[int]:
    """Where confirmed level shifts start in `values` (outliers set aside): the change-point
    part of the detector alone, as scored on the Turing Change Point Dataset."""
    config = config or DetectorConfig()
    if len(values) < config.min_points:
        return []
    sigma = robust_sigma(values, config.relative_floor)
    spikes = _outliers(values, sigma, config)
    kept = [index for index in range(len(values)) if index not in spikes]
    clean = [values[index] for index in kept]
    return [kept[split] for split in _confirmed_shifts(clean, sigma, config)[0]]


def segment_verdicts(  # pylint: disable=too-many-locals  # one pass, named steps
        series: Series, points: tuple[Point, ...], config: DetectorConfig) -> list[Verdict]:
    """Verdicts inside one environment segment of `series` (its newest `max_history` runs)."""
    points = points[-config.max_history:]
    values = [point.value for point in points]
    if len(values) < 2:
        return []
    sigma = robust_sigma(values, config.relative_floor)
    min_change = config.min_sigmas * sigma
    verdicts = []
    spikes = _outliers(values, sigma, config)
    for index, level in spikes.items():
        evidence = _Evidence(points[index], points[index - 1], level, values[index],
                             abs(values[index] - level) / sigma, len(values), sigma, min_change)
        verdicts.append(_verdict(series, VerdictKind.OUTLIER, evidence))
    kept = [index for index in range(len(values)) if index not in spikes]
    clean = [values[index] for index in kept]
    shifts: list[int] = []
    if len(clean) >= config.min_points:
        shifts, sigma = _confirmed_shifts(clean, sigma, config)
        min_change = config.min_sigmas * sigma
    bounds = [0, *shifts, len(clean)]
    for number, split in enumerate(shifts):
        before, after = clean[bounds[number]:split], clean[split:bounds[number + 2]]
        evidence = _Evidence(
            points[kept[split]], points[kept[split - 1]], statistics.median(before),
            statistics.median(after), _shift_z(before, after, sigma), len(clean), sigma,
            min_change,
        )
        kind = _direction_kind(series, evidence.value - evidence.baseline)
        verdicts.append(_verdict(series, kind, evidence))
    newest = _newest_jump(series, points, clean, bounds[-2], sigma, config)
    if newest is not None:
        verdicts.append(newest)
    return verdicts


def _newest_jump(series: Series, points: tuple[Point, ...], clean: list[float], start: int,
                 sigma: float, config: DetectorConfig) -> Verdict | None:
    """The newest run alone, far from its segment's level: flagged now, confirmed later."""
    before = clean[start:-1]
    if not before or len(clean) - start < 2:
        return None
    baseline, value = statistics.median(before), clean[-1]
    z_score = _shift_z(before, [value], sigma)
    threshold = max(config.outlier_sigmas, config.min_sigmas) * sigma
    if abs(value - baseline) <= threshold or z_score < config.outlier_sigmas:
        return None
    evidence = _Evidence(points[-1], points[-2], baseline, value, z_score, 1, sigma,
                         config.min_sigmas * sigma)
    return _verdict(series, _direction_kind(series, value - baseline), evidence, confirmed=False)


def environment_verdict(series: Series, segment: tuple[Point, ...],
                        config: DetectorConfig) -> Verdict | None:
    """A level shift where `segment`'s environment first appears, against the one before."""
    first = segment[0]
    earlier = [point for point in series.points if point.run_index < first.run_index]
    if not earlier:
        return None
    last_good = earlier[-1]
    previous = [point.value for point in earlier if point.env == last_good.env]
    if len(previous) < 2:
        return None
    sigma = robust_sigma(previous, config.relative_floor)
    before = previous[-config.window:]
    after = [point.value for point in segment[:config.window]]
    baseline, value = statistics.median(before), statistics.median(after)
    z_score = _shift_z(before, after, sigma)
    if abs(value - baseline) < config.min_sigmas * sigma or z_score < config.min_z:
        return None
    evidence = _Evidence(first, last_good, baseline, value, z_score, 1, sigma,
                         config.min_sigmas * sigma)
    return _verdict(series, VerdictKind.ENVIRONMENT_CHANGE, evidence)


def detect_series(series: Series, config: DetectorConfig | None = None) -> list[Verdict]:
    """Every verdict for one series, oldest first."""
    config = config or DetectorConfig()
    verdicts: list[Verdict] = []
    for number, segment in enumerate(series.segments()):
        verdicts.extend(segment_verdicts(series, segment, config))
        if number:
            changed = environment_verdict(series, segment, config)
            if changed is not None:
                verdicts.append(changed)
    return sorted(verdicts, key=lambda verdict: (verdict.run_index, verdict.kind.value))
