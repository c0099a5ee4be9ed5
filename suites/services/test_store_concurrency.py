"""Eight processes record into one store at once: every row lands exactly once (both backends)."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import create_engine, func, select

from harness.records import Environment, GitInfo, Measurement, Run, RunStatus, utc_now
from harness.store import Store, schema

WRITERS = 8
METRICS = 500
RETRIED = 25  # each writer re-sends its first values, as after a lost connection


def write_metrics(url: str, writer: int, barrier) -> None:
    """One runner: open the (possibly brand-new) store at the same moment as the others,
    record METRICS measurements one transaction each, then retry some of them."""
    barrier.wait()
    store = Store.open(url)
    run = Run(f"run-{writer}", utc_now(), GitInfo("c0ffee", "main"),
              Environment(hostname=f"runner-{writer}"))
    store.begin_run(run)
    for index in range(METRICS):
        store.record([Measurement(run.run_id, f"suites/test_many.py::test_{index % 10}",
                                  f"metric_{index}", float(index))])
    store.record([
        Measurement(run.run_id, f"suites/test_many.py::test_{index % 10}", f"metric_{index}",
                    float(index) + 0.5)
        for index in range(RETRIED)
    ])
    store.begin_run(run)  # beginning again is a no-op
    store.finish_run(run.run_id, RunStatus.COMPLETE)
    store.close()


def test_eight_processes_recording_at_once_keep_every_row_exactly_once(store_url):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    workers = [
        context.Process(target=write_metrics, args=(store_url, writer, barrier))
        for writer in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0] * WRITERS

    engine = create_engine(store_url)
    table = schema.measurements
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(table)).scalar_one()
        per_key = conn.execute(
            select(table.c.run_id, table.c.test, table.c.metric, func.count())
            .group_by(table.c.run_id, table.c.test, table.c.metric)
        ).all()
        values = dict(conn.execute(
            select(table.c.run_id + ":" + table.c.metric, table.c.value)
        ).all())
    engine.dispose()
    assert total == WRITERS * METRICS
    assert len(per_key) == WRITERS * METRICS
    assert {row[3] for row in per_key} == {1}
    for writer in range(WRITERS):
        for index in range(METRICS):
            expected = float(index) + (0.5 if index < RETRIED else 0.0)
            assert values[f"run-{writer}:metric_{index}"] == expected
    store = Store.open(store_url)
    assert len(store.runs()) == WRITERS
    assert {run.status for run in store.runs()} == {RunStatus.COMPLETE}
    store.close()
