"""Detection over a real SQLite store: the functions the sheet and the CLI call."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harness.detect import detect_all, series_from_store
from harness.detect.series import stored_evidence
from harness.records import (
    Environment,
    GitInfo,
    Measurement,
    MeasurementStatus,
    Run,
    RunStatus,
    VerdictKind,
)
from harness.store import Store

from .helpers import make_series

TEST = "suites/integration/test_train.py::test_train[resnet]"


def _fill(store: Store) -> list[Run]:
    """40 runs: step time +10 % at run 25, new GPU at run 32, accuracy steady, one NaN."""
    speed = make_series(41, runs=40, shifts={25: 0.10}, env_changes={32: -0.3})
    accuracy = make_series(42, runs=40, level=0.9, noise=0.001, higher_is_better=True)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    runs = []
    for fast, acc in zip(speed.points, accuracy.points):
        gpu = "A100" if fast.env == "env0" else "H100"
        run = Run(f"run-{fast.run_index:03d}", start + timedelta(days=fast.run_index),
                  GitInfo(commit=fast.commit, branch="main"),
                  Environment(gpu_name=gpu, torch="2.13.0", image_digest=f"sha256:{gpu}"),
                  RunStatus.COMPLETE)
        store.begin_run(run)
        value = float("nan") if fast.run_index == 10 else acc.value
        store.record([
            Measurement.checked(run.run_id, TEST, "step_time", fast.value, "ms", False),
            Measurement.checked(run.run_id, TEST, "top1", value, "", True),
        ])
        runs.append(run)
    return runs


def test_store_histories_give_commit_and_environment_verdicts(tmp_path) -> None:
    store = Store.open(str(tmp_path / "results.db"))
    runs = _fill(store)
    verdicts = detect_all(store)
    assert [(v.kind, v.run_id, v.metric) for v in verdicts] == [
        (VerdictKind.REGRESSION, "run-025", "step_time"),
        (VerdictKind.ENVIRONMENT_CHANGE, "run-032", "step_time"),
    ]
    regression, changed = verdicts
    assert regression.commit == runs[25].git.commit
    assert regression.last_good_commit == runs[24].git.commit
    assert regression.env_fingerprint == runs[25].env.fingerprint
    assert "# image: sha256:A100" in regression.repro
    assert changed.env_fingerprint == runs[32].env.fingerprint != runs[31].env.fingerprint
    top1 = [s for s in series_from_store(store) if s.metric == "top1"][0]
    assert len(top1.points) == 39  # the invalid (NaN) value is stored but not analysed
    assert store.measurements("run-010")[1].status is MeasurementStatus.INVALID


@pytest.mark.parametrize("details, expected", [
    (None, None),
    ("", None),
    ('{"samples": "AQID"}', b"\x01\x02\x03"),
    ('{"samples": "not base64!"}', None),
    ('{"samples": 3}', None),
    ('["samples"]', None),
    ('{"samples": ', None),
])
def test_stored_evidence_reads_only_well_formed_correctness(details, expected):
    assert stored_evidence(details)[0] == expected
