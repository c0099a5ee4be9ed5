"""Automatic repeats: a newest-run jump is rerun on the same commit, and the rerun decides."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from harness.records import (
    Environment,
    GitInfo,
    Measurement,
    Run,
    RunStatus,
    VerdictKind,
    VerdictState,
)
from harness.settings import resolve
from harness.stages.check import check_store
from harness.stages.repeats import flagged_for_rerun
from harness.store import Store

FAST = "suites/integration/test_models.py::test_train_speed[resnet]"
STEADY = "suites/integration/test_models.py::test_train_speed[vit]"
START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def night(store: Store, number: int, commit: str, values: dict[str, float]) -> str:
    """Record one run of `commit` with the given step times; its run id."""
    run = Run(f"run-{number:03d}", START + timedelta(hours=number), GitInfo(commit=commit),
              Environment(hostname="runner"), RunStatus.COMPLETE)
    store.begin_run(run)
    store.record([Measurement(run.run_id, test, "train_latency_p50", value, "ms", False)
                  for test, value in values.items()])
    return run.run_id


def history(store: Store) -> None:
    """Twenty quiet nights of twenty commits (1 % noise)."""
    rng = random.Random(7)
    for number in range(20):
        night(store, number, f"c{number:02d}", {
            FAST: 50 * (1 + rng.gauss(0, 0.01)), STEADY: 80 * (1 + rng.gauss(0, 0.01))})


def states(store: Store) -> dict[tuple[str, str], VerdictState]:
    """(test, kind) -> state of every stored verdict."""
    return {(item.verdict.test, item.verdict.kind.value): item.state
            for item in store.verdicts()}


def test_a_jump_is_rerun_and_confirmed_when_the_new_level_holds(tmp_path) -> None:
    store = Store.open(str(tmp_path / "results.db"))
    history(store)
    newest = night(store, 20, "slow", {FAST: 60.0, STEADY: 80.3})
    result = check_store(store, resolve())
    assert flagged_for_rerun(result.verdicts, newest) == [FAST]
    assert states(store) == {(FAST, "regression"): VerdictState.UNCONFIRMED}
    rerun = night(store, 21, "slow", {FAST: 60.4})  # only the flagged test, same commit
    result = check_store(store, resolve())
    assert flagged_for_rerun(result.verdicts, rerun) == []
    assert states(store) == {(FAST, "regression"): VerdictState.CONFIRMED}
    [item] = store.verdicts()
    assert item.verdict.commit_range == "c19..slow" and item.verdict.kind is VerdictKind.REGRESSION
    store.close()


def test_a_jump_that_the_rerun_does_not_repeat_is_retracted(tmp_path) -> None:
    store = Store.open(str(tmp_path / "results.db"))
    history(store)
    newest = night(store, 20, "noisy", {FAST: 60.0, STEADY: 80.3})
    assert flagged_for_rerun(check_store(store, resolve()).verdicts, newest) == [FAST]
    rerun = night(store, 21, "noisy", {FAST: 50.2})
    result = check_store(store, resolve())
    assert flagged_for_rerun(result.verdicts, rerun) == []
    assert states(store) == {(FAST, "regression"): VerdictState.RETRACTED}
    assert [v.kind for v in result.drift] == [VerdictKind.ENVIRONMENT_DRIFT]
    store.close()


def test_nothing_is_repeated_on_a_quiet_night_or_for_an_older_run(tmp_path) -> None:
    store = Store.open(str(tmp_path / "results.db"))
    history(store)
    newest = night(store, 20, "c20", {FAST: 50.1, STEADY: 80.2})
    result = check_store(store, resolve())
    assert flagged_for_rerun(result.verdicts, newest) == []
    assert flagged_for_rerun(result.verdicts, "run-005") == []
    store.close()
