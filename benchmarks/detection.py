"""How well do regression detectors find real shifts in realistic nightly histories?

Two independently written generators, each from its own seed set, score the same rules:

- `nightly` (generator A, seeds from 20261122): normal, Student-t (df 3, heavy tails) and
  i.i.d. bimodal noise, zero-noise memory series with 1-8 steps, accuracies with small noise,
  series with 4-6 shifts, short histories (2-10 runs); across them: same-commit replicates
  (1-3 runs per commit), gaps (runs missing the metric), single-run outliers, slow drifts and
  environment changes (a new fingerprint with a level jump).
- `heldout` (generator B, seeds from 7000000, written separately, not tuned on): multiplicative
  log-normal and Laplace noise, streaky (Markov) bimodal clocks, integer-quantised timings, a
  p90 tail metric (the 90th percentile of 15 skewed samples; its shifts move the tail),
  up-and-down deterministic memory staircases, long histories with 6-10 shifts, and reruns of
  one commit on a loaded runner (+10-25 %: environmental drift, never a regression).

Noise is the standard deviation of the noise distribution (the mixture's for bimodal; for
multiplicative noise, at the level the shift starts from); a shift is "big" at >= 3x noise
(every step of a zero-noise series is big).

    python benchmarks/detection.py [--histories 300] [--runs 150] [--generator both]
    python benchmarks/detection.py --speed 1000x1000     # detect() time, no scoring
    python benchmarks/detection.py --replay              # nightly replay of one commit

Columns: recall of planted shifts >= 3x noise (and of all), exact culprit rate among found
shifts, false alarms per 100 runs (regression/improvement alarms matching no planted shift,
drifting histories aside), alarms per 100 runs on drifting histories, environment changes
blamed on a commit, loaded-runner drifts blamed on a commit.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from harness.detect import DetectorConfig, Point, Series, detect, detect_series, history_needed
from harness.detect.lifecycle import reconcile
from harness.detect.mcnemar import pack_correctness
from harness.records import VerdictKind, utc_now

MATCH = 3  # runs either side within which an alarm counts as finding a planted shift
SHIFT_KINDS = (VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT)


@dataclass
class History:  # pylint: disable=too-many-instance-attributes  # what was planted
    """One generated series and what was planted in it (positions are point indices)."""

    family: str
    series: Series
    sigma: float
    shifts: dict[int, float] = field(default_factory=dict)  # point index -> absolute step
    env_changes: list[int] = field(default_factory=list)
    drift_points: set[int] = field(default_factory=set)  # loaded-runner reruns
    drifting: bool = False
    noise_at: dict[int, float] = field(default_factory=dict)  # multiplicative noise, per shift


def _places(rng: random.Random, length: int, count: int, margin: int, spacing: int,
            taken: list[int]) -> list[int]:
    """Up to `count` commit indices `margin` from the ends and `spacing` from each other."""
    chosen: list[int] = []
    if length - 2 * margin <= 0:
        return chosen
    for _ in range(60 * max(count, 1)):
        if len(chosen) == count:
            break
        place = rng.randrange(margin, length - margin)
        if all(abs(place - other) >= spacing for other in chosen + taken):
            chosen.append(place)
    return sorted(chosen)


# --- generator A -------------------------------------------------------------------------

_FAMILIES_A = ("normal", "normal", "heavy", "bimodal", "zero", "accuracy", "multi", "short")


def nightly(seed: int, runs: int) -> History:  # pylint: disable=too-many-locals,too-many-statements
    """Generator A: one nightly history."""
    rng = random.Random(seed)
    family = rng.choice(_FAMILIES_A)
    commits = rng.randint(2, 10) if family == "short" else runs
    level = rng.uniform(0.6, 0.95) if family == "accuracy" else (
        float(rng.randrange(10**8, 4 * 10**9)) if family == "zero" else rng.uniform(5.0, 500.0))
    rel = rng.uniform(0.005, 0.05)
    scale = level * (rng.uniform(0.001, 0.005) if family == "accuracy" else rel)
    gap, mix = level * rng.uniform(0.03, 0.08), rng.uniform(0.1, 0.4)
    sigma = {"zero": 0.0, "bimodal": math.sqrt(scale ** 2 + mix * (1 - mix) * gap ** 2)}.get(
        family, scale)

    def noise() -> float:
        if family == "zero":
            return 0.0
        if family == "heavy":  # Student t, df 3, scaled to standard deviation `scale`
            return scale / math.sqrt(3.0) * rng.gauss(0, 1) / math.sqrt(
                rng.gammavariate(1.5, 2.0) / 3.0)
        if family == "bimodal":
            return rng.gauss(0, scale) + (gap if rng.random() < mix else 0.0) - mix * gap
        return rng.gauss(0.0, scale)

    envs = _places(rng, commits, 1, 12, 1, []) if family != "short" and rng.random() < 0.25 \
        else []
    count = {"multi": rng.randint(4, 6), "zero": rng.randint(1, 8),
             "short": int(commits >= 6)}.get(family, rng.choice((0, 1, 1, 2)))
    margin, spacing = (3, 1) if family == "short" else (6, 8 if family != "zero" else 4)
    places = _places(rng, commits, count, margin, spacing, envs)
    steps = {}
    for place in places:
        if family == "zero":
            steps[place] = rng.choice((-1, 1)) * round(level * rng.uniform(0.001, 0.2))
        else:
            steps[place] = rng.choice((-1, 1)) * rng.uniform(1.5, 8.0) * sigma
    drift = rng.uniform(0.01, 0.03) * rng.choice((-1, 1)) if (
        family in ("normal", "heavy") and rng.random() < 0.15) else 0.0
    replicated = family != "short" and rng.random() < 0.3
    gaps = family != "short" and rng.random() < 0.2
    history = History(family, Series("", "", ()), sigma, {}, [], set(), bool(drift))
    points: list[Point] = []
    env, offset = 0, 0.0
    for commit in range(commits):
        if commit in envs:
            env += 1
            offset += level * rng.choice((-1, 1)) * rng.uniform(0.0, 0.15)
            history.env_changes.append(len(points))
        offset += steps.get(commit, 0.0)
        repeats = rng.choice((1, 1, 2, 3)) if replicated else 1
        if gaps and commit not in steps and commit not in envs and rng.random() < 0.1:
            continue
        if commit in steps:
            history.shifts[len(points)] = steps[commit]
        for _ in range(repeats):
            value = level + offset + level * drift * commit / commits + noise()
            if family not in ("zero", "heavy") and rng.random() < 0.01 and commit not in steps:
                value += level * rng.choice((-1, 1)) * rng.uniform(0.1, 0.4)
            index = len(points)
            points.append(Point(index, f"run{index}", f"a{seed}-{commit}", f"env{env}", value))
    higher = family == "accuracy"
    history.series = Series(f"a{seed}", family, tuple(points), higher_is_better=higher)
    return history


# --- generator B -------------------------------------------------------------------------

_FAMILIES_B = ("lognormal", "laplace", "markov", "quantised", "p90", "stairs", "long")


def _p90(rng: random.Random, centre: float, spread: float) -> float:
    samples = sorted(centre * math.exp(rng.gauss(0.0, spread)) for _ in range(15))
    return samples[12] + 0.5 * (samples[13] - samples[12])


def heldout(seed: int, runs: int) -> History:  # pylint: disable=too-many-locals,too-many-statements
    """Generator B: one history of a family generator A does not make."""
    rng = random.Random(seed)
    family = _FAMILIES_B[rng.randrange(len(_FAMILIES_B))]
    length = rng.randint(300, 1000) if family == "long" else max(20, runs + rng.randint(-40, 40))
    base = rng.uniform(5.0, 40.0) if family == "quantised" else (
        float(rng.randrange(2 ** 28, 2 ** 32)) if family == "stairs" else rng.uniform(1.0, 900.0))
    spread = rng.uniform(0.01, 0.04)
    stay = rng.uniform(0.8, 0.95)
    jump = base * rng.uniform(0.03, 0.1)
    tail = rng.uniform(0.15, 0.4)
    if family == "p90":
        draws = [_p90(rng, base, tail) for _ in range(400)]
        sd = statistics.pstdev(draws)
    elif family == "markov":
        sd = math.sqrt((base * 0.006) ** 2 + 0.25 * jump ** 2)
    elif family == "quantised":
        spread = rng.uniform(0.3, 1.0)
        sd = math.sqrt(spread ** 2 + 1 / 12)
    elif family == "stairs":
        sd = 0.0
    else:
        sd = base * spread
    shift_count = {"long": rng.randint(6, 10), "stairs": rng.randint(2, 8)}.get(
        family, rng.choice((0, 1, 2, 3)))
    env_at = _places(rng, length, 1, 15, 1, []) if rng.random() < 0.3 else []
    loaded = _places(rng, length, 1, 15, 1, env_at) if (
        family != "stairs" and rng.random() < 0.25) else []
    places = _places(rng, length, shift_count, 8, 8 if family != "stairs" else 5,
                     env_at + loaded)
    mode = 0
    history = History(family, Series("", "", ()), sd)
    points: list[Point] = []
    level, env = base, 0

    def draw(centre: float) -> float:
        nonlocal mode
        if family in ("lognormal", "long"):
            return centre * math.exp(rng.gauss(0.0, spread))
        if family == "laplace":
            return centre + rng.choice((-1, 1)) * rng.expovariate(math.sqrt(2) / (base * spread))
        if family == "markov":
            mode = mode if rng.random() < stay else 1 - mode
            return centre + (jump / 2 if mode else -jump / 2) + rng.gauss(0, base * 0.006)
        if family == "quantised":
            return float(round(centre + rng.gauss(0.0, spread)))
        if family == "p90":
            return _p90(rng, centre, tail)
        return centre  # stairs: deterministic

    for commit in range(length):
        if commit in env_at:
            env += 1
            level *= 1.0 + rng.choice((-1, 1)) * rng.uniform(0.05, 0.2)
            history.env_changes.append(len(points))
        if commit in places:
            if family == "stairs":
                step = rng.choice((-1, 1)) * float(rng.randrange(1, 64)) * 2 ** 20
                level = max(level + step, 2.0 ** 26)
            else:
                scale = sd * level / base if family in ("lognormal", "long", "p90") else sd
                step = rng.choice((-1, 1)) * rng.uniform(1.5, 8.0) * scale
                level = max(level + step, 0.2 * base)
                history.noise_at[len(points)] = scale  # the noise grows with the level
            history.shifts[len(points)] = step
        repeats = rng.randint(4, 7) if commit in loaded else 1
        for rerun in range(repeats):
            value = draw(level)
            if rerun:  # the runner got loaded after the first run of this commit
                value *= 1.0 + rng.uniform(0.10, 0.25)
                history.drift_points.add(len(points))
            index = len(points)
            points.append(Point(index, f"r{seed}-{index}", f"b{seed}-{commit}", f"e{env}",
                                value))
    history.series = Series(f"b{seed}", family, tuple(points), higher_is_better=False)
    return history


GENERATORS: dict[str, tuple[Callable[[int, int], History], int]] = {
    "nightly": (nightly, 20261122),
    "heldout": (heldout, 7000000),
}


# --- rules ---------------------------------------------------------------------------------

Rule = Callable[[History], list[int]]


def ours(config: DetectorConfig) -> Rule:
    """Our detector as an alarm rule: point indices of regression/improvement verdicts."""
    def alarms(history: History) -> list[int]:
        return [v.run_index for v in detect_series(history.series, config)
                if v.kind in SHIFT_KINDS]
    return alarms


def previous_run_threshold(history: History, limit: float = 0.07) -> list[int]:
    """TorchBench's old rule: |change against the previous run| > 7 %."""
    values = [p.value for p in history.series.points]
    return [i for i in range(1, len(values))
            if values[i - 1] and abs(values[i] / values[i - 1] - 1.0) > limit]


def zscore_rule(history: History, limit: float = 5.0, window: int = 100) -> list[int]:
    """conbench's rule: |z| > 5 against the mean and deviation of the last 100 runs."""
    values = [p.value for p in history.series.points]
    found = []
    for i in range(5, len(values)):
        past = values[max(0, i - window):i]
        spread = statistics.stdev(past)
        if spread > 0 and abs(values[i] - statistics.fmean(past)) / spread > limit:
            found.append(i)
    return found


@dataclass
class Score:  # pylint: disable=too-many-instance-attributes  # the table's tallies
    """Tallies for one rule over a set of histories."""

    big: int = 0
    big_found: int = 0
    all_shifts: int = 0
    all_found: int = 0
    exact: int = 0
    false_alarms: int = 0
    drift_alarms: int = 0
    runs: int = 0
    drift_runs: int = 0
    env_total: int = 0
    env_blamed: int = 0
    loaded_total: int = 0
    loaded_blamed: int = 0
    seconds: float = 0.0

    def add(self, history: History, alarms: list[int]) -> None:
        """Score one history's alarms against what was planted."""
        runs = len(history.series.points)
        used: set[int] = set()
        for place, step in history.shifts.items():
            near = [a for a in alarms if abs(a - place) <= MATCH]
            noise = history.noise_at.get(place, history.sigma)
            big = noise == 0.0 or abs(step) >= 3 * noise * 0.999
            self.all_shifts += 1
            self.big += big
            if near:
                self.all_found += 1
                self.big_found += big
                self.exact += place in near
                used.update(near)
        for place in history.env_changes:
            self.env_total += 1
            blamed = [a for a in alarms if abs(a - place) <= 1 and a not in used]
            self.env_blamed += bool(blamed)
            used.update(blamed)
        if history.drift_points:
            self.loaded_total += 1
            low, high = min(history.drift_points) - 1, max(history.drift_points) + 1
            self.loaded_blamed += any(low <= a <= high and a not in used for a in alarms)
        extra = len([a for a in alarms if a not in used])
        if history.drifting:
            self.drift_alarms += extra
            self.drift_runs += runs
        else:
            self.false_alarms += extra
            self.runs += runs

    def row(self, name: str) -> str:
        """One Markdown table row."""
        def pct(part: int, whole: int) -> str:
            return f"{100.0 * part / whole:.1f} % ({whole})" if whole else "-"
        per100 = 100.0 * self.false_alarms / self.runs if self.runs else 0.0
        drift = f"{100.0 * self.drift_alarms / self.drift_runs:.2f}" if self.drift_runs else "-"
        return (f"| {name} | {pct(self.big_found, self.big)} | "
                f"{pct(self.all_found, self.all_shifts)} | {pct(self.exact, self.all_found)}"
                f" | {per100:.2f} | {drift} | {pct(self.env_blamed, self.env_total)}"
                f" | {pct(self.loaded_blamed, self.loaded_total)} | {self.seconds:.1f} |")


HEADER = ("| rule / family | recall (shift >= 3x noise) | recall (all shifts) | exact culprit |"
          " false alarms / 100 runs | alarms / 100 runs (drifting) | env change blamed on commit"
          " | loaded-runner drift blamed | seconds |\n|---|---|---|---|---|---|---|---|---|")


def score_table(histories: list[History], rules: dict[str, Rule]) -> None:
    """Print each rule's row over all histories, then ours per family."""
    print(HEADER)
    per_family: dict[str, Score] = {}
    first = True
    for name, rule in rules.items():
        score = Score()
        started = time.perf_counter()
        for history in histories:
            alarms = rule(history)
            score.add(history, alarms)
            if first:
                per_family.setdefault(history.family, Score()).add(history, alarms)
        score.seconds = time.perf_counter() - started
        print(score.row(name))
        first = False
    for family, score in sorted(per_family.items()):
        print(score.row(f"  ours, {family}"))


# --- speed and replay ------------------------------------------------------------------------

def speed(shape: str) -> None:
    """Time `detect` over N series x M runs from generator A (normal and heavy families)."""
    count, runs = (int(part) for part in shape.lower().split("x"))
    series_list = []
    seed = 0
    while len(series_list) < count:
        seed += 1
        history = nightly(424242 + seed, runs)
        if history.family != "short":
            series_list.append(history.series)
    best = math.inf
    for _ in range(2):
        started = time.perf_counter()
        verdicts = detect(series_list)
        best = min(best, time.perf_counter() - started)
    total = sum(len(s.points) for s in series_list)
    print(f"detect over {count} series x {runs} runs ({total} points): best of 2 "
          f"{best:.2f} s ({1000 * best / count:.2f} ms per series), {len(verdicts)} verdicts")


def replay() -> None:  # pylint: disable=too-many-locals  # a scripted scenario
    """The issue's acceptance replay: 10 nightlies of one commit on a loaded runner, then 3 of
    a commit that changes a deterministic accuracy (with per-sample correctness)."""
    rng = random.Random(5)
    tests = [f"suites/integration/test_{name}.py::test_train" for name in "abcdefghijk"]
    correct_a = [rng.random() < 0.8 for _ in range(2000)]
    correct_b = [value or rng.random() < 0.3 for value in correct_a]  # fixes some samples
    levels = {test: rng.uniform(5.0, 200.0) for test in tests}
    points: dict[tuple[str, str], list[Point]] = {}
    stored: dict = {}
    print("| night | commit | runs still needed | new verdicts (count x kind, metric, range, p) |")
    print("|---|---|---|---|")
    for night in range(13):
        commit = "aaaa1111" if night < 10 else "bbbb2222"
        for test in tests:
            loaded = rng.choice((1.0, 1.0, 1.25))  # +-25 % on a loaded runner
            step = levels[test] * loaded * (1 + rng.gauss(0, 0.03))
            points.setdefault((test, "step_ms"), []).append(
                Point(night, f"n{night}", commit, "env", step))
            correct = correct_b if commit == "bbbb2222" else correct_a
            points.setdefault((test, "top1"), []).append(
                Point(night, f"n{night}", commit, "env", sum(correct) / len(correct),
                      samples=pack_correctness(correct)))
        series_list = [Series(test, metric, tuple(values), metric == "top1")
                       for (test, metric), values in points.items()]
        found = detect(series_list)
        drift = [v for v in found if v.kind is VerdictKind.ENVIRONMENT_DRIFT]
        changes = reconcile([v for v in found if v not in drift], list(stored.values()),
                            {f"n{number}": number for number in range(night + 1)}, utc_now())
        stored.update({change.after.key: change.after for change in changes})
        fresh = [change.after.verdict for change in changes if change.is_news]
        needed = max(history_needed(series) for series in series_list)
        kinds: dict[str, int] = {}
        for v in fresh:
            label = (f"{v.kind.value}{'' if v.confirmed else ' (unconfirmed)'} {v.metric} "
                     f"{v.commit_range}" + (f" p={v.p_value:.2g}" if v.kind in SHIFT_KINDS
                                            and v.p_value is not None else ""))
            kinds[label] = kinds.get(label, 0) + 1
        shown = "; ".join(f"{count}x {label}" for label, count in kinds.items()) or "none"
        if drift:
            shown += f" (notes, not verdicts: {len(drift)}x same-commit drift)"
        print(f"| {night + 1} | {commit} | {needed} | {shown} |")


def main() -> None:
    """Generate the histories, score every rule, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=300)
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument("--generator", choices=("nightly", "heldout", "both"), default="both")
    parser.add_argument("--seed-offset", type=int, default=0, help="another seed set")
    parser.add_argument("--baselines", action="store_true",
                        help="also score the 7 %% rule, z > 5 and the pelt engine")
    parser.add_argument("--speed", metavar="NxM", help="time detect() over N series x M runs")
    parser.add_argument("--replay", action="store_true", help="the one-commit nightly replay")
    args = parser.parse_args()
    if args.speed:
        speed(args.speed)
        return
    if args.replay:
        replay()
        return
    base = DetectorConfig()
    rules: dict[str, Rule] = {"ours (binseg, built in)": ours(base)}
    if args.baselines:
        rules["ours (pelt, ruptures)"] = ours(replace(base, method="pelt"))
        rules["previous run > 7 % (TorchBench)"] = previous_run_threshold
        rules["z > 5, last 100 runs (conbench)"] = zscore_rule
    names = ("nightly", "heldout") if args.generator == "both" else (args.generator,)
    for name in names:
        make, first_seed = GENERATORS[name]
        histories = [make(first_seed + args.seed_offset + number, args.runs)
                     for number in range(args.histories)]
        print(f"\n### generator {name}: {len(histories)} histories, "
              f"{sum(len(h.series.points) for h in histories)} points, "
              f"{sum(len(h.shifts) for h in histories)} planted shifts, "
              f"{sum(len(h.env_changes) for h in histories)} environment changes, "
              f"{sum(bool(h.drift_points) for h in histories)} loaded-runner reruns, "
              f"{sum(h.drifting for h in histories)} drifting\n")
        score_table(histories, rules)


if __name__ == "__main__":
    main()
