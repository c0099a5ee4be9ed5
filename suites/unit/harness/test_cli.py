"""The `harness` command line on real stores."""

import subprocess
import sys
from datetime import datetime, timezone

from harness.cli import main
from harness.records import Environment, GitInfo, Measurement, Run
from harness.store import Store


def seeded_store(path) -> str:
    """A store holding two runs of one metric; returns its path."""
    store = Store.open(str(path))
    for index, commit in enumerate(["1234567890abcdef", "fedcba0987654321"]):
        run = Run(
            run_id=f"run{index}",
            started_at=datetime(2026, 1, 1 + index, tzinfo=timezone.utc),
            git=GitInfo(commit=commit, branch="main", subject=f"Change {index}"),
            env=Environment(python="3.11", cpu_model="Test CPU"),
        )
        store.begin_run(run)
        store.record(
            [
                Measurement.checked(
                    run.run_id, "suite::test_acc[cnn]", "top1_accuracy", 0.8 + index / 10
                ),
                Measurement.checked(
                    run.run_id,
                    "suite::test_acc[cnn]",
                    "train_throughput",
                    1000 + index,
                    unit="samples/s",
                ),
            ]
        )
    store.close()
    return str(path)


def test_show_prints_short_commit_then_every_metric(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")  # a wide terminal (xdist workers say 80)
    store = seeded_store(tmp_path / "r.db")
    assert main(["--store", store, "show"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("commit fedcba09")
    assert "top1_accuracy" in out and "train_throughput" in out and "0.9" in out
    assert "suite::test_acc[cnn]" in out  # a parametrised id is text, not rich markup


def test_show_a_given_run_by_prefix(tmp_path, capsys):
    store = seeded_store(tmp_path / "r.db")
    assert main(["--store", store, "show", "run0"]) == 0
    assert capsys.readouterr().out.startswith("commit 12345678")


def test_history_lists_runs_oldest_first(tmp_path, capsys):
    store = seeded_store(tmp_path / "r.db")
    assert (
        main(
            [
                "--store",
                store,
                "history",
                "--test",
                "suite::test_acc[cnn]",
                "--metric",
                "top1_accuracy",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.index("12345678") < out.index("fedcba09")


def test_history_of_unknown_metric_names_known_tests(tmp_path, capsys):
    store = seeded_store(tmp_path / "r.db")
    assert main(["--store", store, "history", "--test", "nope", "--metric", "x"]) == 2
    assert "suite::test_acc[cnn]" in capsys.readouterr().err


def test_missing_store_is_a_clear_error(tmp_path, capsys):
    assert main(["--store", str(tmp_path / "none.db"), "show"]) == 2
    err = capsys.readouterr().err
    assert "no results store" in err and "nox -s integration" in err
    assert not (tmp_path / "none.db").exists()


def test_empty_store_is_a_clear_error(tmp_path, capsys):
    Store.open(str(tmp_path / "empty.db")).close()
    assert main(["--store", str(tmp_path / "empty.db"), "show"]) == 2
    assert "holds no runs yet" in capsys.readouterr().err


def test_console_script_runs(tmp_path):
    store = seeded_store(tmp_path / "r.db")
    completed = subprocess.run(
        [sys.executable, "-m", "harness.cli", "--store", store, "show"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "top1_accuracy" in completed.stdout
