"""How well do regression detectors find real shifts in realistic nightly histories?

Generates histories (noise 0.5-5 %, level shifts 2-20 %, outliers, slow drifts, environment
changes, accuracy series with small noise) from fixed seeds and scores, on the same histories:
our detector (both change-point engines), a fixed 7 % threshold against the previous run
(TorchBench's old nightly rule) and z > 5 over the last 100 runs (conbench's rule).

    python benchmarks/detection.py [--histories 400] [--runs 120]

Columns: recall of planted shifts >= 3x noise (and of all shifts), exact culprit rate among
found shifts, false alarms per 100 runs per metric (alarms matching no planted shift, drift or
environment change), alarms on drifting histories, environment changes blamed on a commit.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass, field, replace

from harness.detect import DetectorConfig, Point, Series, detect_series
from harness.detect.lifecycle import CONFIRMED, NEW, REOPENED, reconcile
from harness.records import VerdictKind, utc_now

MATCH = 3  # runs either side within which an alarm counts as finding a planted shift


@dataclass
class History:
    """One generated series and what was planted in it."""

    series: Series
    sigma: float
    shifts: dict[int, float] = field(default_factory=dict)  # run -> relative step
    env_changes: list[int] = field(default_factory=list)
    outliers: list[int] = field(default_factory=list)
    drifting: bool = False


def _places(rng: random.Random, runs: int, count: int, taken: list[int]) -> list[int]:
    """Up to `count` run indices at least 8 runs from the ends and from each other."""
    chosen: list[int] = []
    for _ in range(50 * count):
        if len(chosen) == count:
            break
        place = rng.randrange(10, runs - 8)
        if all(abs(place - other) >= 8 for other in chosen + taken):
            chosen.append(place)
    return sorted(chosen)


def generate(seed: int, runs: int) -> History:
    """One realistic nightly history (a timing or an accuracy series)."""
    rng = random.Random(seed)
    accuracy = rng.random() < 0.3
    level = rng.uniform(0.6, 0.95) if accuracy else rng.uniform(5.0, 500.0)
    noise = rng.uniform(0.001, 0.005) if accuracy else rng.uniform(0.005, 0.05)
    envs = _places(rng, runs, 1, []) if rng.random() < 0.3 else []
    shifts = {place: rng.choice((-1, 1)) * rng.uniform(0.02, 0.20)
              for place in _places(rng, runs, rng.choice((0, 1, 1, 2)), envs)}
    drift = rng.uniform(0.01, 0.03) * rng.choice((-1, 1)) if rng.random() < 0.15 else 0.0
    history = History(Series("", "", ()), noise * level, dict(shifts), envs,
                      drifting=bool(drift))
    points, env, factor = [], 0, 1.0
    for run in range(runs):
        if run in envs:
            env += 1
            factor *= 1.0 + rng.choice((-1, 1)) * rng.uniform(0.0, 0.15)
        factor *= 1.0 + shifts.get(run, 0.0)
        value = level * factor * (1.0 + drift * run / runs) + rng.gauss(0.0, noise * level)
        if rng.random() < 0.01 and run not in shifts and run not in envs:
            value *= 1.0 + rng.choice((-1, 1)) * rng.uniform(0.1, 0.4)
            history.outliers.append(run)
        points.append(Point(run, f"run{run}", f"c{seed}-{run}", f"env{env}", value))
    history.series = Series(f"test{seed}", "accuracy" if accuracy else "latency",
                            tuple(points), higher_is_better=accuracy)
    return history


def ours(config: DetectorConfig):
    """Our detector as an alarm rule: run indices of regression/improvement verdicts."""
    def alarms(history: History) -> tuple[list[int], list[int]]:
        verdicts = detect_series(history.series, config)
        shifts = [v.run_index for v in verdicts
                  if v.kind in (VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT)]
        envs = [v.run_index for v in verdicts if v.kind is VerdictKind.ENVIRONMENT_CHANGE]
        return shifts, envs
    return alarms


def previous_run_threshold(history: History, limit: float = 0.07) -> tuple[list[int], list[int]]:
    """TorchBench's old rule: |change against the previous run| > 7 %."""
    values = [p.value for p in history.series.points]
    return [i for i in range(1, len(values))
            if abs(values[i] / values[i - 1] - 1.0) > limit], []


def zscore_rule(history: History, limit: float = 5.0, window: int = 100
                ) -> tuple[list[int], list[int]]:
    """conbench's rule: |z| > 5 against the mean and deviation of the last 100 runs."""
    values = [p.value for p in history.series.points]
    found = []
    for i in range(5, len(values)):
        past = values[max(0, i - window):i]
        spread = statistics.stdev(past)
        if spread > 0 and abs(values[i] - statistics.fmean(past)) / spread > limit:
            found.append(i)
    return found, []


@dataclass
class Score:
    """Tallies for one rule over all histories."""

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
    seconds: float = 0.0

    def add(self, history: History, alarms: list[int], env_alarms: list[int]) -> None:
        """Score one history's alarms against what was planted."""
        runs = len(history.series.points)
        used: set[int] = set()
        for place, step in history.shifts.items():
            near = [a for a in alarms if abs(a - place) <= MATCH]
            big = abs(step) * abs(history.series.points[0].value) >= 3 * history.sigma * 0.999
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
            used.update(a for a in env_alarms if abs(a - place) <= 1)
        extra = len([a for a in alarms if a not in used])
        extra += len([a for a in env_alarms if a not in used])
        if history.drifting:
            self.drift_alarms += extra
            self.drift_runs += runs
        else:
            self.false_alarms += extra
            self.runs += runs

    def row(self, name: str) -> str:
        """One Markdown table row."""
        def pct(part: int, whole: int) -> str:
            return f"{100.0 * part / whole:.1f} %" if whole else "-"
        per100 = 100.0 * self.false_alarms / self.runs if self.runs else 0.0
        drift = 100.0 * self.drift_alarms / self.drift_runs if self.drift_runs else 0.0
        return (f"| {name} | {pct(self.big_found, self.big)} | "
                f"{pct(self.all_found, self.all_shifts)}"
                f" | {pct(self.exact, self.all_found)} | {per100:.2f} | {drift:.2f}"
                f" | {pct(self.env_blamed, self.env_total)} | {self.seconds:.1f} |")


def _nightly_alerts(history: History, config: DetectorConfig, first: int,
                    confirmed_only: bool) -> list[tuple[int, int]]:
    """(run blamed, night raised) for every alert `harness check --new` raises on replay."""
    stored: dict = {}
    alerts: list[tuple[int, int]] = []
    positions = {point.run_id: point.run_index for point in history.series.points}
    moment = utc_now()
    for night in range(first, len(history.series.points) + 1):
        prefix = replace(history.series, points=history.series.points[:night])
        now = [v for v in detect_series(prefix, config)
               if v.kind in (VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT)
               and (v.confirmed or not confirmed_only)]
        transitions = reconcile(now, list(stored.values()), positions, moment)
        if night > first:  # the first night only seeds what is already known
            alerts += [(t.after.verdict.run_index, night - 1) for t in transitions
                       if t.change in (NEW, REOPENED, CONFIRMED)]
        stored.update({t.after.key: t.after for t in transitions})
    return alerts


def nightly(  # pylint: disable=too-many-locals  # one scoring loop with its tallies
        histories: list[History], config: DetectorConfig, first: int = 20,
        confirmed_only: bool = False) -> str:
    """Replay each history night by night as `harness check --new` would, and score alerts.

    Returns one Markdown table row: shifts >= 3x noise alerted (within the match window),
    median and 90th-percentile nights from the shift to its alert, false alerts per 100
    nights (alerts matching no planted shift or environment change, drifting histories aside).
    """
    found = total = false = nights = 0
    waits: list[int] = []
    for history in histories:
        alerts = _nightly_alerts(history, config, first, confirmed_only)
        nights += len(history.series.points) - first
        matched: set[int] = set()
        for place, step in history.shifts.items():
            near = [(run, night) for run, night in alerts if abs(run - place) <= MATCH]
            matched.update(run for run, _ in near)
            big = abs(step) * abs(history.series.points[0].value) >= 3 * history.sigma * 0.999
            if place >= first and big:
                total += 1
                found += bool(near)
                waits.extend([min(night for _, night in near) - place] if near else [])
        envs = {place + offset for place in history.env_changes for offset in (-1, 0, 1)}
        if not history.drifting:
            false += len([run for run, _ in alerts if run not in matched and run not in envs])
    waits.sort()
    median = waits[len(waits) // 2] if waits else 0
    slow = waits[int(len(waits) * 0.9)] if waits else 0
    return (f" {100.0 * found / max(total, 1):.1f} % | {median} | {slow} | "
            f"{100.0 * false / max(nights, 1):.2f} |")


def main() -> None:
    """Generate the histories, score every rule, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=400)
    parser.add_argument("--runs", type=int, default=120)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--nightly", type=int, default=100,
                        help="histories replayed night by night (default 100; 0 skips)")
    args = parser.parse_args()
    histories = [generate(args.seed + number, args.runs) for number in range(args.histories)]
    base = DetectorConfig()
    rules = {
        "ours (binseg, built in)": ours(base),
        "ours (pelt, ruptures)": ours(replace(base, method="pelt")),
        "previous run > 7 % (TorchBench)": previous_run_threshold,
        "z > 5, last 100 runs (conbench)": zscore_rule,
    }
    shifts = sum(len(h.shifts) for h in histories)
    print(f"{len(histories)} histories x {args.runs} runs, {shifts} planted shifts, "
          f"{sum(len(h.env_changes) for h in histories)} environment changes, "
          f"{sum(len(h.outliers) for h in histories)} outliers, "
          f"{sum(h.drifting for h in histories)} drifting\n")
    print("| rule | recall (shift >= 3x noise) | recall (all shifts) | exact culprit | "
          "false alarms / 100 runs | alarms / 100 runs (drifting) | env change blamed on commit"
          " | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name, rule in rules.items():
        score = Score()
        started = time.perf_counter()
        for history in histories:
            score.add(history, *rule(history))
        score.seconds = time.perf_counter() - started
        print(score.row(name))
    if args.nightly:
        print(f"\nNightly replay (`harness check --new` after every run from run 20), "
              f"{args.nightly} histories, built-in engine:\n")
        print("| alerts on | shifts >= 3x noise alerted | median nights to alert | "
              "90th percentile | false alerts / 100 nights |")
        print("|---|---|---|---|---|")
        print("| confirmed and unconfirmed verdicts |" + nightly(histories[:args.nightly], base))
        print("| confirmed verdicts only |" + nightly(histories[:args.nightly], base,
                                                      confirmed_only=True))


if __name__ == "__main__":
    main()
