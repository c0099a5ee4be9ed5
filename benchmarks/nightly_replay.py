"""Replay this repository's own nightly: N runs of one commit, then M of a commit that
changes a learning rate (so accuracy moves), into a fresh store, checking after each run.

Every run is the real thing: a clone of HEAD, `pytest suites/integration` with the plugin
recording into the store (the `smoke` profile, about a minute on 2 cores), then the check
stage (`harness check --new`, in process) bringing the stored verdicts up to date. The table
says, per night, what the check reported as news; on the first N nights (one commit) there
must be none, and the accuracy change must be reported, confirmed, on the first run of the
new commit and blamed on the range between the two commits.

    python benchmarks/nightly_replay.py [--same 10] [--changed 3] [--profile smoke] [--keep DIR]

Needs Fashion-MNIST ($FASHION_MNIST_DIR or Debian's dataset-fashion-mnist). HEAD must be
committed: the clone is made from it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from harness.settings import resolve
from harness.stages.check import check_store
from harness.store import Store

REPO = Path(__file__).resolve().parent.parent
MARKER = "# replay: learning rate"


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


def main() -> int:
    """Clone, replay, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--same", type=int, default=10, help="nights on the first commit")
    parser.add_argument("--changed", type=int, default=3, help="nights on the changed commit")
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="replay in DIR (made, must not exist) and keep the clone and store")
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True)
    with (nullcontext(str(args.keep)) if args.keep else
          tempfile.TemporaryDirectory(prefix="harness-replay-")) as scratch:
        repo = Path(scratch) / "repo"
        subprocess.run(["git", "clone", "-q", str(REPO), str(repo)], check=True)
        for key, value in (("user.email", "replay@example.invalid"), ("user.name", "Replay")):
            git(repo, "config", key, value)
        store_path = str(Path(scratch) / "results.db")
        first = git(repo, "rev-parse", "HEAD")
        print(f"replay of {first[:8]} x {args.same}, then a learning-rate change x "
              f"{args.changed} ({args.profile} profile)\n")
        print("| night | commit | pytest | seconds | series | need more runs | same-commit "
              "drift notes | news from the check | fails the check |")
        print("|---|---|---|---|---|---|---|---|---|")
        settings = resolve()
        for number in range(args.same + args.changed):
            if number == args.same:
                change_learning_rate(repo)
            summary, seconds = night(repo, store_path, args.profile)
            store = Store.open(store_path)
            try:
                result = check_store(store, settings)
            finally:
                store.close()
            print(f"| {number + 1} | {git(repo, 'rev-parse', '--short=8', 'HEAD')} | "
                  f"{summary} | {seconds:.0f} | "
                  f"{len(result.series)} | {len(result.needed)} | {len(result.drift)} | "
                  f"{describe(result)} | {len(result.failing)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
