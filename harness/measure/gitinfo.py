"""Git provenance of the code under test, from the repository or from CI variables."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from harness.records import GitInfo


def _git(args: list[str], cwd: Path) -> str | None:
    """Output of one git command, or None when git or the repository is unavailable."""
    try:
        completed = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def read_git_info(cwd: Path | None = None) -> GitInfo:
    """Commit, branch, subject, commit time and dirty flag of the checkout at `cwd`.

    Outside a repository (an installed wheel, a container without .git) the CI variables
    GITHUB_SHA / GITHUB_REF_NAME or HARNESS_COMMIT / HARNESS_BRANCH fill in what they can.
    """
    folder = cwd or Path.cwd()
    commit = _git(["rev-parse", "HEAD"], folder)
    if commit is None:
        return GitInfo(
            commit=os.environ.get("HARNESS_COMMIT") or os.environ.get("GITHUB_SHA", ""),
            branch=os.environ.get("HARNESS_BRANCH") or os.environ.get("GITHUB_REF_NAME", ""),
        )
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], folder) or ""
    if branch == "HEAD":  # detached, as in CI checkouts
        branch = os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME", "")
    details = _git(["log", "-1", "--format=%cI%n%s"], folder) or "\n"
    commit_time, _, subject = details.partition("\n")
    # Untracked files count (a new test file changes what runs); ignored ones do not.
    status = _git(["status", "--porcelain", "--untracked-files=normal"], folder)
    return GitInfo(
        commit=commit,
        branch=branch,
        subject=subject,
        commit_time=commit_time,
        dirty=bool(status),
    )
