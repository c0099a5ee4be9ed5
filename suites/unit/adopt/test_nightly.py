"""`harness nightly` on real stores, real pytest runs and a real workbook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from harness.cli import main
from harness.settings import SETTINGS
from harness.store import Store
from suites.unit.detect.helpers import fill_store, make_series

pytestmark = pytest.mark.slow  # whole nightlies in subprocesses (CI runs it; see noxfile.py)

RECORDING_TEST = '''
def test_model(metrics):
    metrics.record("top1_accuracy", 0.8)
'''
FAILING_TEST = '''
def test_model(metrics):
    metrics.record("top1_accuracy", 0.8)
    assert False, "accuracy floor missed"
'''


@pytest.fixture(name="project")
def fixture_project(tmp_path: Path, monkeypatch) -> Path:
    """A git repository with no harness settings in its environment, as the working folder."""
    for setting in SETTINGS:
        for name in setting.env:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q", "-b", "master"], check=True)
    return tmp_path


def write_test(project: Path, body: str) -> None:
    """The project's one nightly test file."""
    (project / "nightly").mkdir(exist_ok=True)
    (project / "nightly" / "test_nightly.py").write_text(body, encoding="utf-8")


def summary_runs(workbook: Path) -> int:
    """Runs in the workbook's Summary tab (one row each under the two header rows)."""
    return load_workbook(workbook, read_only=True)["Summary"].max_row - 2


def test_nightlies_record_check_and_publish(project, capsys):
    write_test(project, RECORDING_TEST)
    for night in range(2):
        assert main(["nightly", "--", "nightly"]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert "[1/4] integration tests" in out and "[4/4] publish" in out
        assert "recorded, checked and published" in out
        assert summary_runs(project / ".harness" / "regression-sheet.xlsx") == night + 1
    assert (project / ".harness" / "report" / "summary.md").is_file()
    assert len(Store.open(".harness/results.db", create=False).runs()) == 2


def test_failed_tests_exit_two_after_publishing_what_they_measured(project, capsys):
    write_test(project, FAILING_TEST)
    assert main(["nightly", "--report-dir", "out/report", "--", "nightly"]) == 2
    err = capsys.readouterr().err
    assert "integration tests failed (what they measured is recorded)" in err
    assert summary_runs(project / ".harness" / "regression-sheet.xlsx") == 1
    assert (project / "out" / "report" / "summary.md").is_file()


def test_no_integration_tests_is_an_error_that_says_how_to_mark_them(project, capsys):
    write_test(project, "def test_unit():\n    pass\n")
    assert main(["nightly"]) == 2  # default: -m integration, which selects nothing here
    assert "mark nightly tests with @pytest.mark.integration" in capsys.readouterr().err


def test_a_newly_confirmed_regression_exits_one(project, capsys):
    store = Store.open(str(project / "history.db"))
    fill_store(store, make_series(14, runs=40, shifts={30: 0.4}))
    store.close()
    write_test(project, "def test_nothing_measured():\n    pass\n")
    assert main(["--store", "history.db", "nightly", "--", "nightly"]) == 1
    captured = capsys.readouterr()
    assert "a regression was newly confirmed" in captured.err
    assert "Published to" in captured.out  # published even so
    assert main(["--store", "history.db", "nightly", "--", "nightly"]) == 0  # once, not nightly


QUEUED_TEST = '''
from pathlib import Path


def test_model(metrics):
    queue = Path(__file__).parent.parent / "values.txt"
    first, *rest = queue.read_text().split()
    queue.write_text("\\n".join(rest))
    metrics.record("step_ms", float(first), "ms", higher_is_better=False)
'''


def quiet_history(project: Path, values: list[float]) -> None:
    """One commit and one real pytest run per value (the nightly test measures it)."""
    write_test(project, QUEUED_TEST)
    for key, value in (("user.email", "n@e.x"), ("user.name", "N")):
        subprocess.run(["git", "config", key, value], check=True)
    (project / ".gitignore").write_text(".harness/\nvalues.txt\n", encoding="utf-8")
    for value in values:
        (project / "values.txt").write_text(f"{value}\n", encoding="utf-8")
        subprocess.run(["git", "add", "-A"], check=True)
        subprocess.run(["git", "commit", "-qm", f"night {value}", "--allow-empty"], check=True)
        done = subprocess.run([sys.executable, "-m", "pytest", "nightly", "-q", "-p",
                               "no:cacheprovider"], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout[-2000:]
    subprocess.run(["git", "commit", "-qm", "the suspect", "--allow-empty"], check=True)


def jump_states(store_path: Path) -> list[tuple[str, str]]:
    """(kind, state) of the stored verdicts."""
    store = Store.open(str(store_path), create=False)
    try:
        return [(item.verdict.kind.value, item.state.value) for item in store.verdicts()]
    finally:
        store.close()


def test_a_jump_is_measured_again_and_confirmed_the_same_night(project, capsys):
    quiet_history(project, [100.0, 100.4, 99.7, 100.2, 99.8, 100.1])
    (project / "values.txt").write_text("130\n130.4\n", encoding="utf-8")
    assert main(["nightly", "--", "nightly"]) == 1
    captured = capsys.readouterr()
    assert "1 test(s) jumped in this run (unconfirmed)" in captured.out
    assert "[confirm 1/1] rerun of the tests that jumped" in captured.out
    assert "a regression was newly confirmed" in captured.err
    assert jump_states(project / ".harness" / "results.db") == [("regression", "confirmed")]
    runs = Store.open(".harness/results.db", create=False).runs()
    assert len(runs) == 8 and runs[0].git.commit == runs[1].git.commit  # the rerun: same commit


def test_a_jump_the_rerun_does_not_repeat_is_retracted(project, capsys):
    quiet_history(project, [100.0, 100.4, 99.7, 100.2, 99.8, 100.1])
    (project / "values.txt").write_text("130\n100.2\n", encoding="utf-8")
    assert main(["nightly", "--", "nightly"]) == 0
    assert "recorded, checked and published" in capsys.readouterr().out
    assert jump_states(project / ".harness" / "results.db") == [("regression", "retracted")]


def test_repeats_measure_replicates_and_no_confirmation_when_asked(project, capsys):
    quiet_history(project, [100.0, 100.4, 99.7, 100.2, 99.8, 100.1])
    (project / "values.txt").write_text("130\n130.2\n", encoding="utf-8")
    assert main(["nightly", "--repeats", "2", "--confirm-runs", "0", "--", "nightly"]) == 1
    out = capsys.readouterr().out
    assert "[1/5] integration tests" in out and "[2/5] integration tests" in out
    assert "jumped" not in out and "[5/5] publish" in out
    assert jump_states(project / ".harness" / "results.db") == [("regression", "confirmed")]


@pytest.mark.usefixtures("project")
def test_bad_counts_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["nightly", "--repeats", "0"])
    assert raised.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err
