"""`harness show` and `harness check` read in an 80-column terminal: full test ids, units,
the change against the previous comparable run, confidence explained."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import random
import re
from datetime import timedelta

from harness.cli import main
from harness.records import Environment, GitInfo, Measurement, Run, RunStatus
from harness.testing.fixtures import T0

MODELS = "suites/integration/test_models.py::test_train"


def _two_architectures(store, runs: int = 20, step_at: int = 14) -> None:
    """ResNet steady, ViT's step time 30 % slower from run `step_at` on."""
    noise = random.Random(7)
    for index in range(runs):
        levels = {"resnet": 10.0, "vit": 13.0 if index >= step_at else 10.0}
        run_id = f"arch{index:02d}"
        store.begin_run(Run(run_id, T0 + timedelta(hours=index),
                            GitInfo(f"{index:040x}", "main", f"commit {index}"),
                            Environment(cpu_model="cpu"), RunStatus.COMPLETE))
        store.record(Measurement.checked(run_id, f"{MODELS}[{arch}]", "step_ms",
                                         level + noise.gauss(0, 0.05), "ms",
                                         higher_is_better=False)
                     for arch, level in levels.items())


def test_show_has_a_change_column_and_whole_test_ids(store, capsys, monkeypatch):
    _two_architectures(store, runs=15)
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["--store", "results.db", "show"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\+(29|30|31)\.\d %", out), out  # ViT's step against the run before
    first_column = "".join(line.split("│")[1].strip() for line in out.splitlines()
                           if line.startswith("│"))
    assert f"{MODELS}[resnet]{MODELS}[vit]" in first_column  # folded, never cut
    assert max(len(line) for line in out.splitlines()) <= 80


def test_check_in_a_narrow_terminal_prints_whole_ids_units_and_the_confidence_note(
        store, capsys, monkeypatch):
    _two_architectures(store)
    monkeypatch.setenv("COLUMNS", "80")
    main(["--store", "results.db", "check"])
    out = capsys.readouterr().out
    assert f"test: {MODELS}[vit]" in out
    noise = next(line for line in out.splitlines() if "noise (min. change)" in line)
    assert noise.count(" ms") == 2
    assert "confidence: 1 - p" in out
