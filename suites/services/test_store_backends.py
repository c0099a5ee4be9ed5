"""The same store code on SQLite and PostgreSQL: round trips and runners kept apart."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from harness.records import Environment, GitInfo, Measurement, MeasurementStatus, Run
from harness.store import Store

TEST = "suites/integration/test_train.py::test_resnet[cuda]"
START = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
COMMIT = GitInfo("1234abcd" * 5, "main", "Speed up the loader", "2026-11-20T01:00:00+00:00")


def runner_env(hostname: str) -> Environment:
    """Two identical GPU runners that differ only by host name."""
    return Environment(python="3.11.7", torch="2.13.0", cuda="12.8", gpu_name="NVIDIA H100",
                       gpu_count=1, gpu_driver="570.1", hostname=hostname)


def test_runs_and_measurements_round_trip(store_url):
    store = Store.open(store_url)
    run = Run("run-1", START, COMMIT, runner_env("gpu-a"))
    store.begin_run(run)
    store.record([
        Measurement("run-1", TEST, "top1", 0.91, "", True, recorded_at=START),
        Measurement.checked("run-1", TEST, "loss", float("nan")),
    ])
    assert store.get_run("run-").git == COMMIT
    assert store.get_run("run-1").env == run.env
    stored = {m.metric: m for m in store.measurements("run-1")}
    assert stored["top1"].value == 0.91 and stored["top1"].recorded_at == START
    assert stored["loss"].value is None and stored["loss"].status is MeasurementStatus.INVALID
    store.mark_published("run-1", "sheet:key")
    store.mark_published("run-1", "sheet:key")
    assert store.unpublished_runs("sheet:key") == []
    store.close()


def test_two_runners_on_the_same_commit_are_kept_apart(store_url):
    store = Store.open(store_url)
    runner_a, runner_b = runner_env("gpu-runner-a"), runner_env("gpu-runner-b")
    assert runner_a.fingerprint != runner_b.fingerprint
    for offset, env, value in ((0, runner_a, 0.90), (1, runner_b, 0.92)):
        run = Run(f"run-{env.hostname}", START + timedelta(minutes=offset), COMMIT, env)
        store.begin_run(run)
        store.record([Measurement(run.run_id, TEST, "top1", value, recorded_at=START)])

    both = store.history(TEST, "top1")
    assert [(run.env.hostname, m.value) for run, m in both] == [
        ("gpu-runner-a", 0.90), ("gpu-runner-b", 0.92)
    ]
    assert {run.git.commit for run, _ in both} == {COMMIT.commit}
    only_a = store.history(TEST, "top1", runner_a.fingerprint)
    only_b = store.history(TEST, "top1", runner_b.fingerprint)
    assert [m.value for _, m in only_a] == [0.90]
    assert [m.value for _, m in only_b] == [0.92]
    store.close()
