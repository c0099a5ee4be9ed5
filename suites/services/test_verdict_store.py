"""Stored verdicts on SQLite and PostgreSQL: two runners share triage and never duplicate a
verdict when they check at once."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone

from harness.records import Environment, GitInfo, Measurement, Run, RunStatus, TriageState
from harness.settings import resolve
from harness.stages.check import check_store
from harness.stages.triage import set_triage
from harness.store import Store

TEST = "suites/integration/test_train.py::test_resnet[cuda]"
START = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)


def _history(store: Store, runner: str, nights: int = 30, jump_at: int = 25) -> None:
    noise = random.Random(runner)
    for index in range(nights):
        run = Run(f"{runner}-{index:03d}", START + timedelta(days=index, minutes=len(runner)),
                  GitInfo(f"{index:040x}", "main", f"change {index}"),
                  Environment(torch="2.13.0", gpu_name="NVIDIA H100", hostname=runner),
                  RunStatus.COMPLETE)
        store.begin_run(run)
        value = 40.0 * (1.3 if index >= jump_at else 1.0) * (1 + noise.gauss(0, 0.01))
        store.record([Measurement.checked(run.run_id, TEST, "step_ms", value, "ms", False)])


def test_two_runners_see_each_others_triage(store_url):
    settings = resolve({"store": store_url}, environ={}, table={})
    runner_a, runner_b = Store.open(store_url), Store.open(store_url)
    _history(runner_a, "gpu-a")
    _history(runner_b, "gpu-b")
    first = check_store(runner_a, settings)
    assert len(first.failing) == 2  # one regression per runner's environment segment
    chosen = set_triage(runner_a, "expected", commit=f"{25:040x}", note="bigger model")
    assert len(chosen) == 2
    seen = {item.key: item for item in runner_b.verdicts()}
    assert {item.triage.state for item in seen.values() if item.triage} == {TriageState.EXPECTED}
    assert all(item.triage.note == "bigger model" for item in seen.values() if item.triage)
    again = check_store(runner_b, settings)
    assert not again.failing and not again.news
    runner_a.close()
    runner_b.close()


def test_concurrent_checks_write_each_verdict_once(store_url):
    settings = resolve({"store": store_url}, environ={}, table={})
    seed = Store.open(store_url)
    _history(seed, "gpu-a")
    results, errors = [], []

    def check() -> None:
        store = Store.open(store_url)
        try:
            results.append(check_store(store, settings))
        except Exception as error:  # pylint: disable=broad-exception-caught  # reported below
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(seed.verdicts()) == 1
    assert sum(len(result.failing) for result in results) == 1  # fails exactly one check
    seed.close()
