"""Replay this repository's own nightly: N runs of one commit, then M of a commit that
changes something, into a fresh store, checking after each run.

Every run is the real thing: a clone of HEAD, `pytest suites/integration` with the plugin
recording into the store (the `smoke` profile, about a minute on 2 cores), then the check
stage (`harness check --new`, in process) bringing the stored verdicts up to date. The table
says, per night, what the check reported as news; the summary after it says when the change
was reported and confirmed, on which commit range, and what it measured. On the first N
nights (one commit) there must be no verdict at all.

`--change learning-rate` (the default) lowers the smoke profile's learning rate (the line
marked in suites/integration/profiles.py): accuracy moves, and the change must be reported,
confirmed, on the first run of the new commit and blamed on the range between the commits.

`--change slowdown` makes the ResNet training step about `--slowdown-pct` % slower and
nothing else: `ResNet.forward` in backbone/models/resnet.py gets redundant work, only in
training with gradients on, whose result is discarded (the stem convolution repeated k
times; k calibrated here from the measured step and convolution, so the cost is CPU work
that scales with the step, not a sleep). Numerics, eval and the other models are untouched.
The slowdown must be confirmed within the M runs and blamed on the commit that plants it.

    python benchmarks/nightly_replay.py [--change learning-rate|slowdown] [--slowdown-pct 10]
        [--same 10] [--changed 3] [--profile smoke] [--keep DIR]

Needs Fashion-MNIST ($FASHION_MNIST_DIR or Debian's dataset-fashion-mnist). HEAD must be
committed: the clone is made from it.
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# pylint: disable=wrong-import-position  # the repository root first, for a script run
import torch

from backbone.models import create_model
from backbone.training import prepare_training
from harness.settings import resolve
from harness.stages.check import check_store
from harness.store import Store
from suites.integration.profiles import PROFILES

MARKER = "# replay: learning rate"
RESNET = Path("backbone") / "models" / "resnet.py"
PLANTED = "# planted by benchmarks/nightly_replay.py"
# Fashion-MNIST's images and classes, for calibrating on a batch of the speed test's shape.
IMAGE_SHAPE, CLASSES = (1, 28, 28), 10


def git(repo: Path, *args: str) -> str:
    """Run git in `repo`; its stdout."""
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def change_learning_rate(repo: Path) -> str:
    """Commit a new learning rate for the marked line of the profiles; the new commit."""
    path = repo / "suites" / "integration" / "profiles.py"
    lines = path.read_text().splitlines(keepends=True)
    marked = [number for number, line in enumerate(lines) if MARKER in line]
    if len(marked) != 1:
        raise SystemExit(f"expected one line marked '{MARKER}' in {path}")
    indent = lines[marked[0]][:len(lines[marked[0]]) - len(lines[marked[0]].lstrip())]
    lines[marked[0]] = f"{indent}lr=1e-3,  {MARKER} (changed by the replay)\n"
    path.write_text("".join(lines))
    git(repo, "commit", "-qam", "Lower the smoke profile's learning rate (replay)")
    return git(repo, "rev-parse", "HEAD")


def plant_slowdown(path: Path, repeats: int) -> None:
    """Make `ResNet.forward` in `path` repeat its stem convolution `repeats` times more, only
    in training with gradients on, under no_grad and discarding the result (found by the
    syntax tree: backbone needs no marker)."""
    source = path.read_text()
    tree = ast.parse(source)
    forward = next((item for node in tree.body
                    if isinstance(node, ast.ClassDef) and node.name == "ResNet"
                    for item in node.body
                    if isinstance(item, ast.FunctionDef) and item.name == "forward"), None)
    if forward is None or len(forward.args.args) < 2:
        raise SystemExit(f"no ResNet.forward(self, x) in {path}")
    body = forward.body
    if ast.get_docstring(forward) is not None:
        body = body[1:]
    first, images = body[0], forward.args.args[1].arg
    indent = " " * first.col_offset
    planted = [
        f"if self.training and torch.is_grad_enabled():  {PLANTED}",
        "    with torch.no_grad():  # redundant work, the result discarded: a slower step",
        f"        for _ in range({repeats}):",
        f"            self.stem[0]({images})",
    ]
    lines = source.splitlines(keepends=True)
    lines[first.lineno - 1:first.lineno - 1] = [f"{indent}{line}\n" for line in planted]
    changed = "".join(lines)
    compile(changed, str(path), "exec")
    path.write_text(changed)


def step_costs(profile: str, threads: int, rounds: int = 40) -> tuple[float, float]:
    """Median seconds of the profile's ResNet training step (as the speed test builds it)
    and of one stem convolution of its batch without gradients, timed interleaved."""
    settings = PROFILES[profile].archs["resnet"]
    torch.manual_seed(0)
    model = create_model("resnet", in_channels=IMAGE_SHAPE[0], num_classes=CLASSES,
                         **settings.model)
    setup = prepare_training(model, settings.args, torch.device("cpu"), 10_000)
    batch = (torch.randn(settings.speed_batch, *IMAGE_SHAPE),
             torch.randint(0, CLASSES, (settings.speed_batch,)))
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    steps, convs = [], []
    try:
        for number in range(rounds + 3):
            started = time.perf_counter()
            setup.step(batch)
            middle = time.perf_counter()
            with torch.no_grad():
                model.stem[0](batch[0])
            if number >= 3:  # warm-up
                steps.append(middle - started)
                convs.append(time.perf_counter() - middle)
    finally:
        torch.set_num_threads(before)
    return statistics.median(steps), statistics.median(convs)


def repeats_for(percent: float, step_s: float, conv_s: float) -> int:
    """How many redundant convolutions of `conv_s` seconds add `percent` % to `step_s`."""
    return max(1, round(percent / 100 * step_s / conv_s))


@dataclass(frozen=True)
class Planted:
    """A change the replay commits: how, which test shows it, and its measured metric."""

    apply: Callable[[Path], str]
    what: str
    test: str
    metric: str


def slow_down_resnet(repo: Path, repeats: int, percent: float) -> str:
    """Commit a ResNet training step slowed by `repeats` redundant convolutions; the commit."""
    plant_slowdown(repo / RESNET, repeats)
    git(repo, "commit", "-qam", f"ResNet: redundant stem convolutions in training, "
        f"x{repeats} (replay: about {percent:g} % slower step)")
    return git(repo, "rev-parse", "HEAD")


def calibrated(percent: float, profile: str, threads: int) -> Planted:
    """The slowdown, its redundant convolutions counted from this machine's step and
    convolution (the code at HEAD, the speed test's threads)."""
    step_s, conv_s = step_costs(profile, threads)
    repeats = repeats_for(percent, step_s, conv_s)
    print(f"calibration: ResNet training step {step_s * 1e3:.1f} ms, one stem convolution "
          f"{conv_s * 1e3:.3f} ms: {repeats} redundant convolutions for {percent:g} %\n")
    return Planted(lambda repo: slow_down_resnet(repo, repeats, percent),
                   f"a {percent:g} % slower ResNet training step (x{repeats} stem convolutions)",
                   "test_train_speed[resnet]", "train_latency_p50")


def night(repo: Path, store: str, profile: str) -> tuple[str, float]:
    """One nightly run of the integration suite; (pytest's summary line, seconds)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/integration", "-q", "-p", "no:cacheprovider",
         f"--harness-store={store}", f"--profile={profile}"],
        cwd=repo, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    if done.returncode not in (0, 1):
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"pytest failed to run (exit {done.returncode})")
    lines = done.stdout.strip().splitlines()
    return (lines[-1].strip("= ") if lines else f"exit {done.returncode}",
            time.perf_counter() - started)


def describe(result) -> str:
    """The check's news as one cell: kind, state, metric, architecture, range."""
    items = []
    for change in result.news:
        verdict = change.after.verdict
        test = verdict.test.rsplit("::", 1)[-1]
        p_value = f", p={verdict.p_value:.1e}" if verdict.p_value is not None else ""
        items.append(f"{change.change}: {verdict.kind.value} {change.after.state.value} "
                     f"{test} {verdict.metric} {verdict.change_pct or 0:+.1f} % "
                     f"({verdict.last_good_commit[:8]}..{verdict.commit[:8]}{p_value})")
    return "; ".join(items) or "none"


@dataclass
class Tally:
    """What the checks said, night by night: news per night, first report and confirmation
    per series of the planted change's test."""

    same: int
    news: list[list] = field(default_factory=list)

    def add(self, result) -> None:
        """One night's check."""
        self.news.append(list(result.news))

    def false_alarms(self) -> int:
        """Verdicts reported on the first `same` nights (one commit: all false)."""
        return sum(len(news) for news in self.news[:self.same])

    def planted(self, test: str) -> dict[str, dict]:
        """Per metric of `test` that regressed: night after the change first reported and
        confirmed, the latest change % and commit range."""
        found: dict[str, dict] = {}
        for number, news in enumerate(self.news[self.same:], start=1):
            for change in news:
                verdict = change.after.verdict
                if not self.is_planted(verdict, test):
                    continue
                item = found.setdefault(verdict.metric, {"reported": number, "confirmed": None})
                if change.after.state.value == "confirmed" and item["confirmed"] is None:
                    item["confirmed"] = number
                item.update(pct=verdict.change_pct or 0.0, kind=verdict.kind.value,
                            good=verdict.last_good_commit, bad=verdict.commit)
        return found

    @staticmethod
    def is_planted(verdict, test: str) -> bool:
        """Whether `verdict` is the planted change: a regression of `test`."""
        return verdict.test.endswith(test) and verdict.kind.value == "regression"

    def others(self, test: str) -> list[str]:
        """Other news after the change: 'night: test metric kind'."""
        return [f"{number}: {change.after.verdict.test.rsplit('::', 1)[-1]} "
                f"{change.after.verdict.metric} {change.after.verdict.kind.value}"
                for number, news in enumerate(self.news[self.same:], start=1)
                for change in news if not self.is_planted(change.after.verdict, test)]


def measured(store: Store, test: str, metric: str, changed: str
             ) -> list[tuple[bool, float, float | None]]:
    """`metric` of `test` per run, oldest first: (on the commit `changed`, value, the
    measurement's own relative CI half-width where it has one)."""
    series = [name for name, stored in store.series_names()
              if name.endswith(test) and stored == metric]
    if not series:
        return []
    return [(run.git.commit == changed, point.value, point.details.get("ci_rel"))
            for run, point in store.history(series[0], metric) if point.value is not None]


def summarise(tally: Tally, planted: Planted, store: Store, commits: tuple[str, str]) -> None:
    """The summary under the table: false alarms, when and where the change was found."""
    first, changed = commits
    print(f"\n{planted.what}, commit {first[:8]}..{changed[:8]}:")
    print(f"- verdicts on the first {tally.same} nights (one commit): {tally.false_alarms()}")
    found = tally.planted(planted.test)
    if not found:
        print(f"- {planted.test}: no regression reported")
    for metric, item in sorted(found.items()):
        confirmed = (f"confirmed on night {item['confirmed']}" if item["confirmed"]
                     else "never confirmed")
        blamed = "right" if (item["good"], item["bad"]) == (first, changed) else "WRONG"
        print(f"- {planted.test} {metric}: {item['kind']} {item['pct']:+.1f} %, reported on "
              f"night {item['reported']} after the change, {confirmed}; blamed on "
              f"{item['good'][:8]}..{item['bad'][:8]} ({blamed})")
    others = tally.others(planted.test)
    print(f"- other news after the change: {'; '.join(others) or 'none'}")
    print_measured(measured(store, planted.test, planted.metric, changed), planted.metric)


def print_measured(points: list[tuple[bool, float, float | None]], metric: str) -> None:
    """The planted change as the store measured it: medians before and after, each night."""
    before = [value for after, value, _ in points if not after]
    after = [value for is_after, value, _ in points if is_after]
    if before and after:
        median, then = statistics.median(before), statistics.median(after)
        print(f"- measured {metric} (median of the stored values): {median:.4g} "
              f"before, {then:.4g} after ({(then / median - 1) * 100:+.1f} %)")
        print(f"- {metric} per night (the run's own CI half-width): " + ", ".join(
            f"{value:.4g}" + (f" +-{ci * 100:.1f} %" if ci is not None else "")
            for _, value, ci in points))


def checked_night(repo: Path, store_path: str, profile: str, settings):
    """One night and the check after it; (pytest's summary line, seconds, the check)."""
    summary, seconds = night(repo, store_path, profile)
    store = Store.open(store_path)
    try:
        return summary, seconds, check_store(store, settings)
    finally:
        store.close()


def clone(repo: Path) -> Path:
    """A clone of this repository's HEAD at `repo`, ready to commit in."""
    subprocess.run(["git", "clone", "-q", str(REPO), str(repo)], check=True)
    for key, value in (("user.email", "replay@example.invalid"), ("user.name", "Replay")):
        git(repo, "config", key, value)
    return repo


def replay(args: argparse.Namespace, planted: Planted, scratch: Path) -> None:
    """The nights in a clone under `scratch`: the table, then the summary."""
    repo, store_path, settings = clone(scratch / "repo"), str(scratch / "results.db"), resolve()
    first = changed = git(repo, "rev-parse", "HEAD")
    print(f"replay of {first[:8]} x {args.same}, then {planted.what} x "
          f"{args.changed} ({args.profile} profile)\n")
    print("| night | commit | pytest | seconds | series | need more runs | same-commit "
          "drift notes | news from the check | fails the check |")
    print("|---|---|---|---|---|---|---|---|---|")
    tally = Tally(args.same)
    for number in range(args.same + args.changed):
        if number == args.same:
            changed = planted.apply(repo)
        summary, seconds, result = checked_night(repo, store_path, args.profile, settings)
        tally.add(result)
        print(f"| {number + 1} | {git(repo, 'rev-parse', '--short=8', 'HEAD')} | "
              f"{summary} | {seconds:.0f} | "
              f"{len(result.series)} | {len(result.needed)} | {len(result.drift)} | "
              f"{describe(result)} | {len(result.failing)} |", flush=True)
    store = Store.open(store_path)
    try:
        summarise(tally, planted, store, (first, changed))
    finally:
        store.close()


def main() -> int:
    """Calibrate (a slowdown), clone, replay, print the table and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--change", choices=("learning-rate", "slowdown"),
                        default="learning-rate", help="what the changed commit changes")
    parser.add_argument("--slowdown-pct", type=float, default=10.0,
                        help="how much slower the ResNet training step gets (--change slowdown)")
    parser.add_argument("--same", type=int, default=10, help="nights on the first commit")
    parser.add_argument("--changed", type=int, default=3, help="nights on the changed commit")
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="replay in DIR (made, must not exist) and keep the clone and store")
    args = parser.parse_args()
    planted = (Planted(change_learning_rate, "a learning-rate change",
                       "test_accuracy[resnet]", "top1_accuracy")
               if args.change == "learning-rate" else
               calibrated(args.slowdown_pct, args.profile, resolve().threads))
    if args.keep is not None:
        args.keep.mkdir(parents=True)
    with (nullcontext(str(args.keep)) if args.keep else
          tempfile.TemporaryDirectory(prefix="harness-replay-")) as scratch:
        replay(args, planted, Path(scratch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
