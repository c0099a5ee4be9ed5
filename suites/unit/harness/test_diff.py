"""`harness diff` on a real store: it names exactly what changed."""

from datetime import datetime, timezone

import pytest

from harness.cli import main
from harness.measure.environment import installed_packages
from harness.records import Environment, GitInfo, Measurement, Run
from harness.report.diff import CONFIG, METRICS, Side, diff_sides, flatten, pairs
from harness.store import Store

RESNET = "suites/integration/test_models.py::test_accuracy[resnet]"
VIT = "suites/integration/test_models.py::test_accuracy[vit]"
ARGS = {"epochs": 1, "batch_size": 64, "lr": 0.01, "optimizer": "adamw"}


def _record(store, run_id, day, commit, lr, accuracy, torch="2.13.0"):
    run = Run(run_id, datetime(2026, 3, day, tzinfo=timezone.utc),
              GitInfo(commit=commit, branch="main", subject=f"Nightly {day}"),
              Environment(python="3.11.2", torch=torch, cpu_model="Test CPU",
                          ci_url=f"https://ci/{day}"))
    store.begin_run(run)
    for test, arch, width in ((RESNET, "resnet", 32), (VIT, "vit", 64)):
        store.record_config(run_id, test, {"arch": arch, "model": {"width": width},
                                           "train": dict(ARGS, lr=lr)})
        store.record([
            Measurement.checked(run_id, test, "top1_accuracy", accuracy + (width == 64) / 10,
                                unit="fraction"),
            Measurement.checked(run_id, test, "train_seconds", 3.0, unit="s",
                                higher_is_better=False),
        ])


def _store(tmp_path) -> str:
    path = str(tmp_path / "results.db")
    store = Store.open(path)
    _record(store, "aaaa1111", 1, "1111111111aaaa", lr=0.01, accuracy=0.8)
    _record(store, "bbbb2222", 2, "2222222222bbbb", lr=0.02, accuracy=0.7)
    store.close()
    return path


def _rows(out: str) -> list[str]:
    """The table rows of the output (lines with cells)."""
    return [line for line in out.splitlines() if line.startswith("│")]


def _keys(out: str) -> set[str]:
    """The key (or metric) cell of every table row, whether its table has a test column."""
    keys, with_test = set(), False
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.split(line[0])[1:-1]] if line else []
        if line.startswith("┃"):
            with_test = cells[0] == "test"
        elif line.startswith("│"):
            keys.add(cells[1] if with_test else cells[0])
    return keys


def test_flatten_gives_dotted_keys() -> None:
    assert flatten({"train": {"lr": 0.1, "betas": [0.9, 0.99]}, "arch": "vit", "none": {}}) == {
        "train.lr": 0.1, "train.betas": [0.9, 0.99], "arch": "vit", "none": {}}


def test_two_runs_that_changed_the_learning_rate_name_only_lr_and_the_metric(
        tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    store = _store(tmp_path)
    assert main(["--store", store, "diff", "aaaa", "bbbb", "--test", "test_accuracy[resnet]"]) == 0
    out = capsys.readouterr().out
    assert "commits 11111111..22222222" in out
    rows = _rows(out)
    changed = _keys(out)
    # Exactly: the learning rate, the accuracy it moved, the commit and subject.
    assert changed == {"train.lr", "top1_accuracy", "commit", "subject"}, out
    lr_row = next(row for row in rows if "train.lr" in row)
    assert "0.01" in lr_row and "0.02" in lr_row
    accuracy = next(row for row in rows if "top1_accuracy" in row)
    assert "-12.5 %" in accuracy and "fraction" in accuracy
    assert "ci_url" not in out and "train_seconds" not in out


def test_all_shows_unchanged_items_too(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    store = _store(tmp_path)
    assert main(["--store", store, "diff", "aaaa", "bbbb", "--test", "[vit]", "--all"]) == 0
    out = capsys.readouterr().out
    assert "train.batch_size" in out and "train_seconds" in out and "python" in out


def test_two_architectures_of_one_run_name_their_config_and_metric(
        tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    store = _store(tmp_path)
    assert main(["--store", store, "diff", "aaaa", "--test-a", "[resnet]",
                 "--test-b", "[vit]"]) == 0
    out = capsys.readouterr().out
    keys = _keys(out)
    assert keys == {"arch", "model.width", "top1_accuracy"}, out
    assert "test_accuracy[resnet] ↔" in out


def test_environment_changes_are_named(tmp_path) -> None:
    store = Store.open(str(tmp_path / "r.db"))
    _record(store, "run1", 1, "c1", lr=0.01, accuracy=0.8)
    _record(store, "run2", 2, "c1", lr=0.01, accuracy=0.8, torch="2.14.1")
    a, b = (Side(run, store.configs(run.run_id), store.measurements(run.run_id))
            for run in (store.get_run("run1"), store.get_run("run2")))
    found = diff_sides(a, b, pairs(a, b))
    assert [(item.section, item.key, item.a, item.b) for item in found] == [
        ("environment", "torch", "2.13.0", "2.14.1"), ("git", "subject", "Nightly 1", "Nightly 2")]
    everything = diff_sides(a, b, pairs(a, b), everything=True)
    assert {item.section for item in everything} >= {CONFIG, METRICS}


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    store = _store(tmp_path)
    assert main(["--store", store, "diff", "aaaa", "bbbb", "--test", "[cnn]"]) == 2
    err = capsys.readouterr().err
    assert "has no test '[cnn]'" in err and len(err.strip().splitlines()) == 1
    assert main(["--store", store, "diff", "zzzz", "bbbb"]) == 2
    assert "no run with id starting 'zzzz'" in capsys.readouterr().err
    assert main(["--store", store, "diff", "aaaa"]) == 2
    assert "give RUN_B" in capsys.readouterr().err
    assert main(["--store", store, "diff", "aaaa", "--test", "test_accuracy"]) == 2


def test_installed_packages_are_compared_one_by_one(tmp_path) -> None:
    store = Store.open(str(tmp_path / "r.db"))
    for run_id, day, packages in (
            ("run1", 1, (("numpy", "2.1.0"), ("torch", "2.13.0"), ("tqdm", "4.66"))),
            ("run2", 2, (("numpy", "2.2.1"), ("rich", "13.9"), ("torch", "2.13.0")))):
        store.begin_run(Run(run_id, datetime(2026, 3, day, tzinfo=timezone.utc),
                            GitInfo(commit="c1", subject="Nightly"),
                            Environment(python="3.11.2", packages=packages)))
    a, b = (Side(store.get_run(run_id)) for run_id in ("run1", "run2"))
    assert [(item.key, item.a, item.b) for item in diff_sides(a, b, [])] == [
        ("package numpy", "2.1.0", "2.2.1"), ("package rich", None, "13.9"),
        ("package tqdm", "4.66", None)]
    store.close()


def test_a_run_records_its_installed_packages() -> None:
    packages = dict(installed_packages())
    assert packages["pytest"] == pytest.__version__
    assert list(packages) == sorted(packages)
    assert Environment.from_json(Environment(packages=(("a", "1"),)).to_json()).packages == \
        (("a", "1"),)
