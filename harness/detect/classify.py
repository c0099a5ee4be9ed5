"""Turn one series into verdicts: outliers, confirmed shifts, unconfirmed newest-run jumps,
environment changes and environmental drift, each with magnitude, noise, confidence, p-value
and a repro recipe.

Per environment segment (`analyse`):
1. Run-to-run noise from first differences (robust to steps and spikes); a two-state clock
   (streaks of a fast and a slow mode, `harness.detect.modes`) taken out; single-run spikes
   set aside as outliers.
2. Runs of one commit are replicates: a change cannot start between them. A significant
   shift inside one commit's runs is environmental drift: reported as such, its runs set
   aside from the search, and its spread added to the noise.
3. Binary segmentation at commit boundaries, judged against the current noise; then the
   noise is re-estimated as the pooled within-segment dispersion and the search repeated
   until it settles (a shift cannot inflate the noise, a step cannot hide in it). Levels
   that recur again and again (a bimodal clock) widen the noise instead of becoming pairs of
   "changes".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from harness.detect.changepoints import Prefix, best_split, find_change_points, penalty
from harness.detect.config import DetectorConfig
from harness.detect.mcnemar import runs_p_value
from harness.detect.modes import declocked
from harness.detect.noise import (
    MAD_TO_SD,
    MAD_TO_SIGMA,
    mean,
    noise_floor,
    normal_two_sided_p,
    robust_sigma,
)
from harness.detect.repro import repro_recipe
from harness.detect.series import Point, Series
from harness.records import Verdict, VerdictKind

_ROUNDS = 4  # noise re-estimations at most
_PERSISTENT = 0.5  # residual autocorrelation from which the noise is streaky
_WHITE_STEPS = -0.35  # lag-1 correlation of first differences below which noise is white
_LOG_SPAN = 2.0  # positive values spanning more than this factor are analysed as logs
_OUTLIER_SHARE = 0.05  # more "outliers" than this are the noise itself
_SMOOTH = 0.3  # lag-1 correlation of first differences from which a series is a smooth curve
_LOCAL = 10  # steps each side that give a smooth curve's local slope
_JUMP = 4.0  # robust spreads of the local steps by which a jump must stand out


@dataclass(frozen=True)
class _Evidence:  # pylint: disable=too-many-instance-attributes  # what a verdict reports
    """A change between two points of a series and how strong it is."""

    first_bad: Point
    last_good: Point
    baseline: float
    value: float
    z_score: float
    candidates: int
    sigma: float
    min_change: float
    runs: tuple[str, ...] = ()


@dataclass
class Analysis:  # pylint: disable=too-many-instance-attributes  # the stages' results
    """What `analyse` found in one segment's values (indices into those values)."""

    sigma: float
    floor: float
    spikes: dict[int, float] = field(default_factory=dict)
    kept: list[int] = field(default_factory=list)
    shifts: list[int] = field(default_factory=list)  # indices into `kept`
    drifts: list[tuple[int, int, int]] = field(default_factory=list)  # start, split, end
    deterministic: bool = False
    log: bool = False  # analysed as logarithms (positive values spanning a factor > 2)
    declocked: list[float] | None = None  # the kept values with a two-state clock taken out

    def noise_at(self, level: float) -> float:
        """The noise in the values' own unit, at `level` (multiplicative when `log`)."""
        return self.sigma * abs(level) if self.log else self.sigma

    def clean(self, values: list[float]) -> list[float]:
        """The values the shift search used (outliers and drifted replicates set aside)."""
        return [values[index] for index in self.kept]


def _direction_kind(series: Series, delta: float) -> VerdictKind:
    worse = delta < 0 if series.higher_is_better else delta > 0
    return VerdictKind.REGRESSION if worse else VerdictKind.IMPROVEMENT


def _verdict(series: Series, kind: VerdictKind, evidence: _Evidence,
             confirmed: bool = True) -> Verdict:
    delta = evidence.value - evidence.baseline
    p_value = min(1.0, normal_two_sided_p(evidence.z_score) * max(evidence.candidates, 1))
    good, bad = evidence.last_good, evidence.first_bad
    mcnemar = runs_p_value(good.samples, bad.samples)
    if mcnemar is not None:
        p_value = mcnemar
    confidence = 1.0 - p_value if confirmed else min(1.0 - p_value, 0.5)
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
        p_value=p_value,
        runs=evidence.runs,
    )
    return replace(verdict, repro=repro_recipe(verdict))


def _outliers(  # pylint: disable=too-many-locals  # vectorised windows, named
        values: list[float], sigma: float, config: DetectorConfig) -> dict[int, float]:
    """Indices of single-run spikes, mapped to the local level they left and returned to."""
    import numpy  # pylint: disable=import-outside-toplevel  # keep `import harness` light

    count, width = len(values), config.window
    if count < 3:
        return {}
    threshold = max(config.outlier_sigmas, config.min_sigmas) * sigma
    array = numpy.asarray(values, float)
    left, right = numpy.empty(count), numpy.empty(count)
    if count > width:
        medians = numpy.median(numpy.lib.stride_tricks.sliding_window_view(array, width), axis=1)
        left[width:] = medians[:count - width]  # values[index - width:index]
        right[:count - width] = medians[1:]  # values[index + 1:index + 1 + width]
    for index in range(min(width, count)):  # the ends have a shorter window on one side
        left[index] = statistics.median(values[:index]) if index else numpy.nan
        tail = count - 1 - index
        right[tail] = statistics.median(values[tail + 1:]) if index else numpy.nan
    array = numpy.asarray(values, float)
    off_left, off_right = array - left, array - right
    flagged = ((numpy.abs(off_left) > threshold) & (numpy.abs(off_right) > threshold)
               & (off_left * off_right > 0))
    flagged[0] = flagged[-1] = False
    return {int(index): float(left[index]) for index in numpy.flatnonzero(flagged)}


def _shift_z(before_mean: float, after_mean: float, sizes: tuple[int, int], sigma: float) -> float:
    """Difference of two segments' means in standard errors."""
    spread = sigma * math.sqrt(1.0 / sizes[0] + 1.0 / sizes[1])
    return abs(after_mean - before_mean) / spread if spread > 0 else math.inf


def _short_sides_agree(before: list[float], after: list[float]) -> bool:
    """A side of only one or two runs must lie wholly beyond the midpoint of the two levels:
    one wild newest run beside a normal one is a jump to confirm, not a two-run shift."""
    midpoint = (mean(before) + mean(after)) / 2
    rising = mean(after) > mean(before)
    if len(after) <= 2 and any((value > midpoint) != rising for value in after):
        return False
    return not (len(before) <= 2 and any((value < midpoint) != rising for value in before))


class _Judge:
    """Significance of a candidate shift in one list of values, against a given noise."""

    def __init__(self, values: list[float], config: DetectorConfig,
                 prefix: Prefix | None = None) -> None:
        self.values, self.config = values, config
        self.prefix = prefix or Prefix(values)
        self.smooth = smooth_steps(values)
        self.white = white_steps(values)

    def significant(self, bounds: tuple[int, int, int], sigma: float,
                    trend_guard: bool = True, structural: bool = False) -> bool:
        """A shift at `split` of at least the minimum detectable change (`min_sigmas` noise),
        of at least `min_z` standard errors, that a straight line does not explain.

        A `structural` split (during the search) may be smaller than the minimum change:
        between two long stretches whose shifts partly cancel, the difference of means is
        small but certain, and splitting there lets the real shifts be seen; pruning then
        removes what does not hold up against its final neighbours."""
        start, split, end = bounds
        before, after = self.prefix.mean(start, split), self.prefix.mean(split, end)
        if not structural and abs(after - before) < self.config.min_sigmas * sigma:
            return False
        if _shift_z(before, after, (split - start, end - split), sigma) < self.config.min_z:
            return False
        if (split - start <= 2 or end - split <= 2) and not _short_sides_agree(
                self.values[start:split], self.values[split:end]):
            return False
        if self.smooth is not None and not _stands_out(self.smooth, split):
            return False
        return not trend_guard or not self._trend(split, sigma)

    def _trend(self, split: int, sigma: float) -> bool:
        """Whether a line fits the runs around `split` about as well as a step does, and
        leaves only noise (a staircase of steps is fitted badly by both). On a level with
        white noise (`white_steps`) the step may have a neighbour in the window: a line must
        also fit about as well as the two steps do (less the second's penalty), or it is a
        staircase, not a trend."""
        width = self.config.trend_window
        low, high = max(0, split - width), min(len(self.values), split + width)
        if high - low < 6 or split - low < 3 or high - split < 3:
            return False
        step = float(self.prefix.cost(low, split) + self.prefix.cost(split, high))
        line = self.prefix.line_cost(low, high)
        margin = self.config.trend_margin * sigma * sigma
        if line - step >= margin or line >= 2.0 * (high - low - 2) * sigma * sigma:
            return False  # the step fits better, or the line leaves more than noise
        if not self.white:
            return True
        # the second step is one more change point: it must gain its penalty as well
        second = max(best_split(self.prefix, low, split, 2)[0],
                     best_split(self.prefix, split, high, 2)[0])
        return line - (step - second) < margin + penalty(sigma, high - low, self.config.beta)

    def z_score(self, start: int, split: int, end: int, sigma: float) -> float:
        """The shift at `split` in standard errors."""
        return _shift_z(self.prefix.mean(start, split), self.prefix.mean(split, end),
                        (split - start, end - split), sigma)

    def prune(self, points: list[int], sigma: float, structural: bool = False) -> list[int]:
        """Drop change points that fail the size or significance test, weakest first
        (`structural`: the significance test alone, as during the search)."""
        points = list(points)
        while points:
            bounds = [0, *points, len(self.values)]
            weakest, weakest_z = None, math.inf
            for number, split in enumerate(points):
                triple = (bounds[number], split, bounds[number + 2])
                z_score = self.z_score(*triple, sigma)
                if not self.significant(triple, sigma, structural=structural) \
                        and z_score < weakest_z:
                    weakest, weakest_z = split, z_score
            if weakest is None:
                break
            points.remove(weakest)
        return points

    def search(self, sigma: float, allowed: list[bool] | None) -> tuple[list[int], list[int]]:
        """Shifts found by the configured engine: (every split that is significant against
        its final neighbours, the ones among them also big enough to report). The first,
        finer segmentation is the one the noise is estimated from: a real shift just under
        the minimum change left in would inflate it."""
        def accept(_trial: list[int], start: int, split: int, end: int) -> bool:
            return self.significant((start, split, end), sigma, structural=True)

        pen = penalty(sigma, len(self.values), self.config.beta)
        # shifts that cancel out are looked for in seeded intervals only on a level with white
        # noise: on a wandering series every short stretch has a "shift"
        seeded = (self.config.min_z * sigma) ** 2 if self.white else math.inf
        points = find_change_points(self.values, pen, self.config.method, accept=accept,
                                    allowed=allowed, prefix=self.prefix, min_gain=seeded)
        fine = self.prune(points, sigma, structural=True)
        return fine, self.prune(fine, sigma)


def smooth_steps(values: list[float]):
    """The first differences of a smooth curve (neighbouring differences alike: lag-1
    correlation above `_SMOOTH`, where white noise gives -0.5), else None. On a smooth curve a
    change of level is a jump that stands out from the local slope, not a bend."""
    import numpy  # pylint: disable=import-outside-toplevel

    steps = numpy.diff(numpy.asarray(values, dtype=float))
    if len(steps) < 8:
        return None
    centre = float(numpy.median(steps))
    spread = float(numpy.median(numpy.abs(steps - centre))) * 1.4826
    centred = numpy.clip(steps - centre, -_JUMP * spread, _JUMP * spread)  # jumps aside
    centred = centred - centred.mean()
    total = float(numpy.dot(centred, centred))
    if total <= 0.0:
        return None
    return steps if float(numpy.dot(centred[1:], centred[:-1])) / total > _SMOOTH else None


def _stands_out(steps, split: int) -> bool:
    """Whether the step into `split` is far (`_JUMP` robust spreads) from the steps around
    it: a jump in a smooth curve, not its slope."""
    import numpy  # pylint: disable=import-outside-toplevel

    low, high = max(0, split - 1 - _LOCAL), min(len(steps), split + _LOCAL)
    around = numpy.concatenate((steps[low:split - 1], steps[split:high]))
    if len(around) < 4:
        return True
    centre = float(numpy.median(around))
    spread = float(numpy.median(numpy.abs(around - centre))) * 1.4826
    return abs(float(steps[split - 1]) - centre) > _JUMP * spread


def _recurring_bumps(prefix: Prefix, points: list[int], count: int) -> list[int]:
    """Change points of excursions that return to the level they left, when at least three
    go the same way by a similar height to a similar level: a bimodal clock, not code."""
    bounds = [0, *points, count]
    levels = [prefix.mean(start, end) for start, end in zip(bounds, bounds[1:])]
    bumps = []
    for number in range(1, len(levels) - 1):
        height = levels[number] - levels[number - 1]
        if abs(levels[number + 1] - levels[number - 1]) < 0.3 * abs(height):
            bumps.append((number, height))
    for number, height in bumps:
        alike = [n for n, other in bumps
                 if other * height > 0 and 0.6 < abs(other / height) < 1.6
                 and abs(levels[n] - levels[number]) < 0.3 * abs(height)]
        if len(alike) >= 3:
            return sorted({point for n in alike for point in (bounds[n], bounds[n + 1])})
    return []


def _commit_starts(commits: list[str]) -> list[int]:
    """Indices where a new commit's runs start (an unknown commit '' always starts anew)."""
    return [index for index, (one, two) in enumerate(zip(commits, commits[1:]), 1)
            if one != two or not two]


def _commit_groups(starts: list[int], count: int) -> list[tuple[int, int]]:
    """(start, end) of each stretch of consecutive runs of one commit."""
    bounds = [0, *starts, count]
    return list(zip(bounds, bounds[1:]))


def _drifts(values: list[float], groups: list[tuple[int, int]], sigma: float,
            config: DetectorConfig) -> list[tuple[int, int, int]]:
    """Significant shifts inside one commit's replicates: (start, split, end) of each."""
    found = []
    judge = None
    for start, end in groups:
        if end - start < 2:
            continue
        group = values[start:end]
        if max(group) - min(group) < config.min_sigmas * sigma:  # cheap: no shift inside
            continue
        judge = judge or _Judge(values, config)
        _gain, split = best_split(judge.prefix, start, end, 1)
        if split is not None and judge.significant((start, split, end), sigma, False):
            found.append((start, split, end))
    return found


def _pooled(prefix: Prefix, points: list[int], count: int) -> float:
    """`noise.pooled_sigma` from prefix sums."""
    bounds = [0, *points, count]
    freedom = count - len(bounds) + 1
    if freedom <= 0:
        return 0.0
    squares = sum(float(prefix.cost(start, end)) for start, end in zip(bounds, bounds[1:]))
    return math.sqrt(max(squares, 0.0) / freedom)


def _drifted_part(values: list[float], bounds: tuple[int, int, int]) -> range:
    """Which runs of a commit whose reruns moved (start, split, end) are set aside: the part
    away from the level of the run before the commit; for the first commit of a series,
    which has none, the shorter part (the longer is where the machine settled)."""
    start, split, end = bounds
    if not start:
        return range(start, split) if end - split >= split - start else range(split, end)
    reference = values[start - 1]
    first, second = mean(values[start:split]), mean(values[split:end])
    return range(split, end) if abs(second - reference) > abs(first - reference) else \
        range(start, split)


def _first_run_spared(first: float, levels: tuple[float, float], sigma: float,
                      undone: bool) -> bool:
    """Whether a commit's first run sits at the old level of `levels` (old, where its reruns
    moved): within 2 noise of it and 3 noise from the new one, or only nearer the old one
    when the next commit brings the level back (`undone`)."""
    old, moved = levels
    if abs(first - old) >= 2.0 * sigma:
        return False
    return abs(first - moved) > abs(first - old) if undone else abs(first - moved) >= 3 * sigma


def _drifted_groups(clean: list[float], shifts: list[int], starts: list[int], sigma: float,
                    analysis: Analysis) -> list[int]:
    """Shifts at the start of a replicated commit whose first run still sits at the old
    level (within 2 noise) and far (3 noise) from the level its own reruns moved to: the
    machine changed during the reruns, not the code. Each becomes a drift, and so does the
    shift back where the next commit ends that stretch. Where the level comes back with the
    next commit, a first run nearer the old level than the new one is enough: a change of
    the code would not have spared the first run and undone itself with the next commit."""
    if not shifts or len(starts) >= len(clean) - 1:
        return shifts
    ends = dict(zip([0, *starts], [*starts, len(clean)]))
    bounds = [0, *shifts, len(clean)]
    drop: set[int] = set()
    for number, split in enumerate(shifts):
        end = ends.get(split, split + 1)
        if end - split < 2 or split in drop:
            continue
        old = mean(clean[bounds[number]:split])
        first = clean[split]
        undone = bounds[number + 2] == end
        if _first_run_spared(first, (old, mean(clean[split + 1:end])), sigma, undone):
            drop.add(split)
            analysis.drifts.append((analysis.kept[split], analysis.kept[split + 1],
                                    analysis.kept[end - 1] + 1))
            if undone:
                drop.add(end)
    analysis.drifts.sort()
    return [split for split in shifts if split not in drop]


def white_steps(values: Sequence[float]) -> bool:
    """Whether neighbouring first differences anticorrelate as white noise's do (-0.5; below
    `_WHITE_STEPS`; differences beyond 3 robust spreads, the shifts, are left out): a level
    with noise and shifts, where a wandering level, a trend's curvature or a clock's long
    streaks bring the correlation near zero."""
    import numpy  # pylint: disable=import-outside-toplevel

    steps = numpy.diff(numpy.asarray(values, dtype=float))
    if len(steps) < 2:
        return False
    centre = float(numpy.median(steps))
    spread = float(numpy.median(numpy.abs(steps - centre))) * MAD_TO_SD
    if spread <= 0.0:
        return False
    steps = steps - centre
    usual = numpy.abs(steps) <= 3.0 * spread
    steps = numpy.where(usual, steps, 0.0)
    return float(numpy.dot(steps[1:], steps[:-1])) / float(numpy.dot(steps, steps)) \
        < _WHITE_STEPS


def _persistence(clean: list[float], shifts: list[int]) -> float:
    """How much slower than white noise the residuals around the levels average out: the
    long-run factor sqrt((1 + r) / (1 - r)) of their lag-1 autocorrelation r (less its
    sampling error 2 / sqrt(n)), when r is at least `_PERSISTENT`. A streaky (Markov) bimodal
    clock that declocking left, or a wandering level, has r near 1, and a difference of two
    means is then far less certain than white noise says. Below that, the streaks are more
    likely shifts not found yet, which an inflated noise would hide with the found ones.
    Nor is the noise streaky where the first differences are white (`white_steps`)."""
    import numpy  # pylint: disable=import-outside-toplevel

    if white_steps(clean):
        return 1.0
    values = numpy.asarray(clean, dtype=float)
    bounds = [0, *shifts, len(values)]
    residuals = numpy.concatenate([values[start:end] - values[start:end].mean()
                                   for start, end in zip(bounds, bounds[1:]) if end > start])
    total = float(numpy.dot(residuals, residuals))
    if total <= 0.0 or len(residuals) < 8:
        return 1.0
    lagged = residuals[1:] * residuals[:-1]
    if shifts:
        lagged = numpy.delete(lagged, numpy.asarray(shifts) - 1)
    correlation = float(lagged.sum()) / total - 2.0 / math.sqrt(len(residuals))
    if correlation < _PERSISTENT:  # a few small unfound shifts, not a streaky noise
        return 1.0
    correlation = min(correlation, 0.9)
    return math.sqrt((1.0 + correlation) / (1.0 - correlation))


def _settled_sigma(prefix: Prefix, clean: list[float], shifts: list[int],
                   limits: tuple[float, float]) -> float:
    """The noise once `shifts` are taken out: the pooled within-segment standard deviation,
    at most the first estimate (`limits[0]`; a missed shift must not inflate it) and at least
    the robust spread of within-segment differences (over-splitting must not shrink it),
    unless levels recur like a bimodal clock, which widens it to their pooled spread."""
    import numpy  # pylint: disable=import-outside-toplevel

    first, floor = limits
    pooled = _pooled(prefix, shifts, len(clean))
    diffs = numpy.diff(numpy.asarray(clean, dtype=float))
    if shifts:
        diffs = numpy.delete(diffs, numpy.asarray(shifts) - 1)
    within = float(numpy.median(numpy.abs(diffs - numpy.median(diffs)))) * MAD_TO_SIGMA \
        if len(diffs) else 0.0
    settled = max(min(pooled, first), 0.85 * within, floor)
    if settled > 2.0 * floor:
        bumps = _recurring_bumps(prefix, shifts, len(clean))
        if bumps:
            merged = [point for point in shifts if point not in bumps]
            settled = max(settled, _pooled(prefix, merged, len(clean)))
    return settled


def analyse(  # pylint: disable=too-many-locals,too-many-statements  # the stages, in order
        values: list[float], commits: list[str] | None = None,
        config: DetectorConfig | None = None, log: bool = False) -> Analysis:
    """Outliers, environmental drifts, shifts and the noise of one segment's values (`log`:
    they are logarithms, whose noise floor is `relative_floor` itself)."""
    config = config or DetectorConfig()
    floor = config.relative_floor if log else noise_floor(values, config.relative_floor)
    sigma0 = max(robust_sigma(values, 0.0), floor)
    commits = list(commits) if commits else [""] * len(values)
    kept = list(range(len(values)))
    starts = _commit_starts(commits)
    drifts = _drifts(values, _commit_groups(starts, len(values)), sigma0, config) \
        if len(starts) < len(values) - 1 else []
    extra_squares = 0.0
    for start, split, end in reversed(drifts):
        group = values[start:end]
        if min(split - start, end - split) > 1:  # a level moved, not one wild run: widen
            extra_squares += statistics.pvariance(group) * len(group)
        drop = _drifted_part(values, (start, split, end))
        del kept[drop.start:drop.stop]
    survivors = [values[index] for index in kept]
    corrected = declocked(survivors, floor) if len(survivors) >= config.min_points else None
    if corrected is not None:  # a bimodal clock: its mode jumps are noise, not shifts
        offsets = [raw - flat for raw, flat in zip(survivors, corrected)]
        survivors = corrected
        sigma0 = max(robust_sigma(corrected, 0.0), floor)
    found = _outliers(survivors, sigma0, config)
    if len(found) > max(1, _OUTLIER_SHARE * len(survivors)):  # frequent: the noise itself
        sigma0 = max(sigma0, statistics.pstdev(survivors))
        found = _outliers(survivors, sigma0, config)
    if corrected is not None:  # a spike's level in the mode it was measured in
        found = {number: level + offsets[number] for number, level in found.items()}
    spikes = {kept[index]: level for index, level in found.items()}
    clean = [value for number, value in enumerate(survivors) if number not in found]
    kept = [index for number, index in enumerate(kept) if number not in found]
    commits = [commits[index] for index in kept]
    analysis = Analysis(sigma0, floor, spikes, kept, drifts=drifts, log=log,
                        declocked=clean if corrected is not None else None)
    if len(clean) < config.min_points:
        return analysis
    starts = _commit_starts(commits)
    allowed = None
    if len(starts) < len(clean) - 1:  # some runs repeat a commit
        allowed = [False] * len(clean)
        for index in [0, *starts]:
            allowed[index] = True
    judge = _Judge(clean, config)
    sigma, shifts = max(sigma0, floor), list[int]()
    for _round in range(_ROUNDS):
        fine, shifts = judge.search(sigma, allowed)
        updated = _settled_sigma(judge.prefix, clean, fine, (sigma0, floor))
        if extra_squares:
            updated = math.sqrt(updated * updated + extra_squares / max(len(clean) - 1, 1))
        if abs(updated - sigma) <= 0.03 * sigma:
            break
        sigma = updated
    # streaky residuals: judge the shifts found against the long-run noise (a smooth curve's
    # residuals are the curve: its shifts must be jumps instead, see `_stands_out`)
    factor = _persistence(clean, shifts) if judge.smooth is None else 1.0
    if factor > 1.0:
        sigma *= factor
        shifts = judge.prune(shifts, sigma)
    shifts = _drifted_groups(clean, shifts, starts, sigma, analysis)
    analysis.sigma, analysis.shifts = sigma, shifts
    analysis.deterministic = sigma <= floor * 1.000001
    return analysis


def shift_indices(values: list[float], config: DetectorConfig | None = None) -> list[int]:
    """Where confirmed level shifts start in `values` (outliers set aside): the change-point
    part of the detector alone, as scored on the Turing Change Point Dataset."""
    config = config or DetectorConfig()
    if len(values) < config.min_points:
        return []
    analysis = analyse(list(values), None, config)
    return [analysis.kept[split] for split in analysis.shifts]


def history_needed(series: Series, config: DetectorConfig | None = None) -> int:
    """Runs the current (newest) environment segment still needs before the series gets a
    verdict: 0 when it has enough history (and for an empty series, which has no segment)."""
    config = config or DetectorConfig()
    if not series.points:
        return config.min_points
    current = series.points[-1].env
    have = sum(1 for point in series.points if point.env == current)
    return max(0, config.min_points - have)


def _mcnemar_supports(verdict: Verdict, config: DetectorConfig) -> bool:
    return verdict.p_value is None or verdict.kind not in (
        VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT) or verdict.p_value < config.mcnemar_alpha


def measured_floor(config: DetectorConfig, points: Sequence[Point]) -> DetectorConfig:
    """`config` with a noise floor no lower than the measurements' own: where most runs of a
    segment recorded their relative standard error (a speed metric's confidence interval),
    a change smaller than what one measurement can resolve is not taken for a shift."""
    own = [point.noise_rel for point in points if point.noise_rel]
    if len(own) < max(2, len(points) // 2):
        return config
    floor = statistics.median(own)
    return replace(config, relative_floor=floor) if floor > config.relative_floor else config


def segment_verdicts(  # pylint: disable=too-many-locals  # one verdict per finding, in turn
        series: Series, points: tuple[Point, ...], config: DetectorConfig,
        current: bool = True) -> tuple[list[Verdict], Analysis | None]:
    """Verdicts inside one environment segment of `series` (its newest `max_history` runs),
    and the analysis behind them. Only the `current` (newest) segment gets the newest-run
    rule: an old, closed segment's last run is not news."""
    points = points[-config.max_history:]
    values = [point.value for point in points]
    if len(values) < config.min_points:
        return [], None
    config = measured_floor(config, points)
    log = min(values) > 0.0 and max(values) > _LOG_SPAN * min(values)
    work = [math.log(value) for value in values] if log else values
    analysis = analyse(work, [point.commit for point in points], config, log)
    analysis.log = log
    sigma, kept = analysis.sigma, analysis.kept
    verdicts = []

    def evidence(bad: int, good: int, levels: tuple[float, float], z_score: float,
                 candidates: int, runs: tuple[str, ...] = ()) -> _Evidence:
        noise = analysis.noise_at(levels[0])
        return _Evidence(points[bad], points[good], levels[0], levels[1], z_score, candidates,
                         noise, config.min_sigmas * noise, runs)

    for index, level in analysis.spikes.items():
        level = math.exp(level) if log else level
        verdicts.append(_verdict(series, VerdictKind.OUTLIER, evidence(
            index, index - 1, (level, values[index]), abs(work[index] - (
                math.log(level) if log else level)) / sigma, len(values))))
    for start, split, end in analysis.drifts:
        levels = (statistics.median(values[start:split]), statistics.median(values[split:end]))
        drift = evidence(split, split - 1, levels, 0.0, 1,
                         tuple(point.run_id for point in points[start:end]))
        verdicts.append(replace(_verdict(series, VerdictKind.ENVIRONMENT_DRIFT, drift),
                                p_value=None, confidence=1.0))
    clean = analysis.clean(values)
    measured = analysis.declocked or analysis.clean(work)
    bounds = [0, *analysis.shifts, len(clean)]
    for number, split in enumerate(analysis.shifts):
        low, high = bounds[number], bounds[number + 2]
        levels = (statistics.median(clean[low:split]), statistics.median(clean[split:high]))
        z_score = _shift_z(mean(measured[low:split]), mean(measured[split:high]),
                           (split - low, high - split), sigma)
        shift = evidence(kept[split], kept[split - 1], levels, z_score, len(clean))
        verdicts.append(_verdict(series, _direction_kind(series, levels[1] - levels[0]), shift))
    if current and kept and kept[-1] == len(points) - 1:
        newest = _newest_jump(series, [points[index] for index in kept], (clean, measured),
                              bounds[-2], analysis, config)
        if newest is not None:
            verdicts.append(newest)
    return [v for v in verdicts if _mcnemar_supports(v, config)], analysis


def _newest_jump(  # pylint: disable=too-many-arguments,too-many-locals  # the rule's evidence
        series: Series, points: list[Point], clean: tuple[list[float], list[float]],
        start: int, analysis: Analysis, config: DetectorConfig) -> Verdict | None:
    """The newest run alone, far from its segment's level: flagged now, confirmed later.
    `clean` holds the values and what was analysed (their logarithms, or the same).

    Confirmed at once where the level it left is exact (deterministic replicates) or the
    paired McNemar test says so; a jump between two runs of one commit is drift."""
    values, measured = clean
    if len(values) - start < 2:
        return None
    first = max(start, len(values) - 1 - config.env_window)  # the recent level
    before = measured[first:-1]
    sigma = analysis.sigma
    z_score = _shift_z(mean(before), measured[-1], (len(before), 1), sigma)
    threshold = max(config.outlier_sigmas, config.min_sigmas) * sigma
    if abs(measured[-1] - statistics.median(before)) <= threshold \
            or z_score < config.outlier_sigmas:
        return None
    baseline, value = statistics.median(values[first:-1]), values[-1]
    noise = analysis.noise_at(baseline)
    same_commit = bool(points[-1].commit) and points[-1].commit == points[-2].commit
    evidence = _Evidence(points[-1], points[-2], baseline, value, z_score, 1, noise,
                         config.min_sigmas * noise,
                         (points[-2].run_id, points[-1].run_id) if same_commit else ())
    if same_commit:
        return _verdict(series, VerdictKind.ENVIRONMENT_DRIFT, evidence, confirmed=False)
    mcnemar = runs_p_value(points[-2].samples, points[-1].samples)
    exact = analysis.deterministic and len(before) >= 2 and max(before) == min(before)
    confirmed = exact or (mcnemar is not None and mcnemar < config.mcnemar_alpha)
    return _verdict(series, _direction_kind(series, value - baseline), evidence,
                    confirmed=confirmed)


def _level_edge(points: tuple[Point, ...], analysis: Analysis | None, newest: bool,
                width: int) -> list[float]:
    """Up to `width` clean values of a segment's first (or last, `newest`) level."""
    if analysis is None:
        values = [point.value for point in points]
        return values[-width:] if newest else values[:width]
    values = [points[index].value for index in analysis.kept]
    if newest:
        start = analysis.shifts[-1] if analysis.shifts else 0
        return values[max(start, len(values) - width):]
    end = analysis.shifts[0] if analysis.shifts else len(values)
    return values[:min(end, width)]


def environment_verdict(  # pylint: disable=too-many-locals  # both sides' windows
        series: Series, segment: tuple[Point, ...], config: DetectorConfig,
        analyses: dict[str, Analysis | None]) -> Verdict | None:
    """A level shift where `segment`'s environment first appears, against the one before:
    medians of up to `env_window` runs each side, within one level, outliers set aside."""
    first = segment[0]
    earlier = [point for point in series.points if point.run_index < first.run_index]
    if not earlier:
        return None
    last_good = earlier[-1]
    previous = tuple(point for point in earlier if point.env == last_good.env)
    if len(previous) < 2:
        return None
    old, new = analyses.get(last_good.env), analyses.get(first.env)
    before = _level_edge(previous[-config.max_history:], old, True, config.env_window)
    after = _level_edge(segment[-config.max_history:], new, False, config.env_window)
    level = statistics.median([p.value for p in previous[-config.env_window:]])
    sigmas = [analysis.noise_at(level) for analysis in (old, new) if analysis is not None]
    sigma = max(sigmas) if sigmas else robust_sigma([p.value for p in previous],
                                                    config.relative_floor)
    if not before or not after:
        return None
    baseline, value = statistics.median(before), statistics.median(after)
    # a median's standard error is about 1.25 times a mean's
    z_score = _shift_z(baseline, value, (len(before), len(after)), 1.2533 * sigma)
    if abs(value - baseline) < config.min_sigmas * sigma or z_score < config.min_z:
        return None
    evidence = _Evidence(first, last_good, baseline, value, z_score, 1, sigma,
                         config.min_sigmas * sigma)
    return _verdict(series, VerdictKind.ENVIRONMENT_CHANGE, evidence)


def detect_series(series: Series, config: DetectorConfig | None = None) -> list[Verdict]:
    """Every verdict for one series, oldest first. A segment with fewer than `min_points`
    runs has none yet (`history_needed` says how many more it needs)."""
    config = config or DetectorConfig()
    verdicts: list[Verdict] = []
    analyses: dict[str, Analysis | None] = {}
    segments = series.segments()
    newest_env = series.points[-1].env if series.points else None
    for number, segment in enumerate(segments):
        found, analysis = segment_verdicts(series, segment, config,
                                           current=segment[0].env == newest_env)
        analyses[segment[0].env] = analysis
        verdicts.extend(found)
        if number and len(segment) >= config.min_points:
            changed = environment_verdict(series, segment, config, analyses)
            if changed is not None:
                verdicts.append(changed)
    return sorted(verdicts, key=lambda verdict: (verdict.run_index, verdict.kind.value))
