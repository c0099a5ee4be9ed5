"""Drive `git bisect run` for one test and metric between a good and a bad commit."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.bisect.decide import Baseline
from harness.bisect.measure import measure


class BisectError(RuntimeError):
    """Bisection cannot start or finish; the message says why."""


@dataclass(frozen=True)
class BisectResult:
    """The first bad commit, the levels at both ends, and git's log of the session."""

    first_bad: str
    baseline: Baseline
    log: str


def _git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise BisectError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _level(repo: Path, commit: str, test: str, metric: str, repeat: int,
           pytest_args: list[str]) -> list[float]:
    _git(repo, "checkout", "-q", commit)
    values = measure(test, metric, repo, repeat, pytest_args)
    if not values:
        raise BisectError(f"commit {commit[:10]}: running {test} recorded no value of "
                          f"metric '{metric}'")
    return values


def bisect(  # pylint: disable=too-many-locals  # setup, run and cleanup read best together
        repo: Path, test: str, metric: str, good: str, bad: str, *, repeat: int = 3,
           max_repeat: int = 9, pytest_args: list[str] | None = None) -> BisectResult:
    """Measure both ends, then let `git bisect run` find the first commit that looks bad."""
    repo = Path(repo)
    pytest_args = pytest_args or []
    if _git(repo, "status", "--porcelain", "--untracked-files=no").strip():
        raise BisectError("the working tree has uncommitted changes: commit or stash them")
    start = _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    if start == "HEAD":
        start = _git(repo, "rev-parse", "HEAD").strip()
    good_sha = _git(repo, "rev-parse", "--verify", f"{good}^{{commit}}").strip()
    bad_sha = _git(repo, "rev-parse", "--verify", f"{bad}^{{commit}}").strip()
    try:
        baseline = Baseline.from_samples(
            _level(repo, good_sha, test, metric, repeat, pytest_args),
            _level(repo, bad_sha, test, metric, repeat, pytest_args))
        if abs(baseline.good - baseline.bad) < 3 * baseline.sigma:
            raise BisectError(
                f"{metric} barely differs between {good[:10]} ({baseline.good:.6g}) and "
                f"{bad[:10]} ({baseline.bad:.6g}) against noise {baseline.sigma:.3g}: "
                "nothing to bisect")
        with tempfile.TemporaryDirectory(prefix="harness-bisect-") as scratch:
            state = Path(scratch) / "state.json"
            state.write_text(json.dumps({
                "test": test, "metric": metric, "baseline": baseline.to_dict(),
                "repeat": repeat, "max_repeat": max_repeat, "pytest_args": pytest_args,
            }), encoding="utf-8")
            _git(repo, "bisect", "start", bad_sha, good_sha)
            done = subprocess.run(
                ["git", "bisect", "run", sys.executable, "-m", "harness.bisect.step", str(state)],
                cwd=repo, capture_output=True, text=True, check=False)
        log = done.stdout + done.stderr
        found = re.search(r"^([0-9a-f]{40}) is the first bad commit", log, re.MULTILINE)
        if not found:
            raise BisectError(f"git bisect did not name a first bad commit:\n{log[-2000:]}")
        return BisectResult(found.group(1), baseline, log)
    finally:
        _git(repo, "bisect", "reset", check=False)
        _git(repo, "checkout", "-q", start, check=False)
