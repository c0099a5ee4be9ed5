"""The run recorder on its own: a real SQLite store and a real git repository, no pytest session."""

from __future__ import annotations

import subprocess

import pytest

from harness.measure.environment import collect_environment
from harness.plugin.recorder import RunRecorder, new_run_id
from harness.records import Measurement, RunStatus
from harness.store import Store


@pytest.fixture(name="repo")
def fixture_repo(tmp_path):
    """A git repository with one commit."""
    folder = tmp_path / "repo"
    folder.mkdir()
    for args in (["init", "-q"], ["-c", "user.name=t", "-c", "user.email=t@example.org",
                                  "commit", "-q", "--allow-empty", "-m", "Measure things"]):
        subprocess.run(["git", *args], cwd=folder, check=True)
    return folder


def recorder_in(repo, enabled: bool = True) -> RunRecorder:
    """A recorder writing run 'run-1' into results.db next to the repository."""
    return RunRecorder(str(repo.parent / "results.db"), "run-1", repo, enabled)


def values(run_id: str, *numbers: float) -> list[Measurement]:
    """One measurement per number, each of its own test."""
    return [Measurement.checked(run_id, f"t::case{index}", "acc", number)
            for index, number in enumerate(numbers)]


def test_nothing_written_opens_no_store(repo):
    recorder = recorder_in(repo)
    assert recorder.write([]) == 0
    assert recorder.run is None and not recorder.finish(RunStatus.COMPLETE)
    recorder.close()
    assert not (repo.parent / "results.db").exists()


def test_a_disabled_recorder_writes_nothing(repo):
    recorder = recorder_in(repo, enabled=False)
    assert recorder.write(values("run-1", 0.5)) == 0
    assert recorder.written == 0 and recorder.run is None
    assert not (repo.parent / "results.db").exists()


def test_the_first_write_creates_an_incomplete_run_with_git_provenance(repo):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()
    recorder = recorder_in(repo)
    assert recorder.write(values("run-1", 0.5, 0.6)) == 2
    assert recorder.write(iter(values("run-1", 0.7))) == 1
    assert recorder.written == 3
    stored = Store.open(str(repo.parent / "results.db"), create=False)
    run = stored.get_run("run-1")
    assert run == recorder.run and run.status is RunStatus.INCOMPLETE
    assert run.git.commit == head and run.git.subject == "Measure things"
    assert run.env == collect_environment() and run.env.python
    assert [item.value for item in stored.measurements("run-1")] == [0.7, 0.6]
    assert recorder.ensure_run() is recorder.run
    stored.close()
    recorder.close()


def test_finish_closes_the_run_with_its_status(repo):
    recorder = recorder_in(repo)
    recorder.write(values("run-1", 0.5))
    assert recorder.finish(RunStatus.FAILED)
    assert recorder.store.get_run("run-1").status is RunStatus.FAILED
    assert recorder.store.url.endswith("results.db")
    recorder.close()


def test_run_ids_are_fresh_hex():
    first, second = new_run_id(), new_run_id()
    assert first != second
    assert len(first) == 32 and int(first, 16) >= 0
