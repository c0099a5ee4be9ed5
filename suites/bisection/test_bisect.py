"""Bisection on a throwaway git repository: one commit slows a workload, a later one lowers an
accuracy; `harness bisect` must name each, measuring with real pytest runs.

Slower than the unit suite (dozens of pytest subprocesses): run as `pytest suites/bisection`."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from harness.cli import main

TEST_ID = "test_workload.py::test_workload"
# The throwaway test records through the store itself; skipping the harness plugin's startup
# (environment probing) keeps each measurement well under a second.
NO_PLUGIN = ("--", "-p", "no:harness")
RECORDING_TEST = textwrap.dedent(f'''
    import uuid
    import workload
    from harness.records import Measurement, Run, RunStatus, utc_now
    from harness.store import Store

    def test_workload():
        store = Store.open()  # HARNESS_STORE, set by harness bisect
        run = Run(uuid.uuid4().hex, utc_now())
        store.begin_run(run)
        store.record([
            Measurement.checked(run.run_id, "{TEST_ID}", "step_s", workload.step(), "s", False),
            Measurement.checked(run.run_id, "{TEST_ID}", "accuracy", workload.ACCURACY),
        ])
        store.finish_run(run.run_id, RunStatus.COMPLETE)
''')
WORKLOAD = textwrap.dedent('''
    import time
    DELAY = {delay}
    ACCURACY = {accuracy}

    def step():
        start = time.perf_counter()
        time.sleep(DELAY)
        return time.perf_counter() - start
''')


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(name="repo")
def _repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Eight commits: #3 makes step() 3x slower, #5 lowers accuracy from 0.90 to 0.85."""
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "test_workload.py").write_text(RECORDING_TEST)
    commits = {}
    delay, accuracy = 0.01, 0.90
    for number in range(8):
        if number == 3:
            delay = 0.03
        if number == 5:
            accuracy = 0.85
        (repo / "workload.py").write_text(WORKLOAD.format(delay=delay, accuracy=accuracy))
        (repo / "notes.txt").write_text(f"change {number}\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"change {number}")
        commits[number] = _git(repo, "rev-parse", "HEAD")
    return repo, commits


def test_bisect_finds_the_slow_commit_and_the_accuracy_drop(repo, capsys) -> None:
    path, commits = repo
    for metric, culprit, repeat in (("step_s", 3, "2"), ("accuracy", 5, "1")):
        code = main(["bisect", "--repo", str(path), "--test", TEST_ID, "--metric", metric,
                     "--good", commits[0], "--bad", commits[7], "--repeat", repeat, *NO_PLUGIN])
        out = capsys.readouterr().out
        assert code == 0, out
        assert f"first bad commit: {commits[culprit]}" in out
    assert _git(path, "rev-parse", "HEAD") == commits[7]  # left where it started
    assert not (path / ".git" / "BISECT_LOG").exists()


def test_bisect_refuses_when_nothing_changed(repo, capsys) -> None:
    path, commits = repo
    code = main(["bisect", "--repo", str(path), "--test", TEST_ID, "--metric", "accuracy",
                 "--good", commits[0], "--bad", commits[2], "--repeat", "1", *NO_PLUGIN])
    assert code == 2
    assert "nothing to bisect" in capsys.readouterr().err


PLUGIN_TEST = textwrap.dedent('''
    import workload

    def test_workload(metrics):
        metrics.record("accuracy", workload.ACCURACY)
''')


def test_bisect_through_the_harness_plugin_metrics_fixture(tmp_path, capsys) -> None:
    """The real path: the test records with the plugin's `metrics` fixture into HARNESS_STORE."""
    repo = tmp_path / "plugin-project"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "test_workload.py").write_text(PLUGIN_TEST)
    commits = []
    for number, accuracy in enumerate((0.9, 0.9, 0.8, 0.8)):
        (repo / "workload.py").write_text(WORKLOAD.format(delay=0, accuracy=accuracy))
        (repo / "notes.txt").write_text(f"change {number}\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"change {number}")
        commits.append(_git(repo, "rev-parse", "HEAD"))
    code = main(["bisect", "--repo", str(repo), "--test", TEST_ID, "--metric", "accuracy",
                 "--good", commits[0], "--bad", commits[3], "--repeat", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"first bad commit: {commits[2]}" in out
