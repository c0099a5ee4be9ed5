"""How much the v2 series index speeds up history reads: the same store with and without it.

    python benchmarks/store_history.py [--runs 300] [--metrics 400] [--url URL]

Builds a store of RUNS runs x METRICS measurements (SQLite in a temp folder by default, or
an empty database at URL), times `Store.history()` for a few series, drops the v2 index
(as a v1 store lacks it), times again, and prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta

from sqlalchemy import text

from harness.records import Environment, GitInfo, Measurement, Run, utc_now
from harness.store import Store


def fill(store: Store, runs: int, metrics: int) -> None:
    """RUNS runs, each with METRICS measurements spread over 20 tests."""
    start = utc_now()
    for index in range(runs):
        run = Run(f"run-{index:05d}", start + timedelta(minutes=index), GitInfo(f"{index:040x}"),
                  Environment(hostname=f"runner-{index % 2}"))
        store.begin_run(run)
        store.record(
            Measurement(run.run_id, f"suites/test_{m % 20}.py::test_model", f"metric_{m}",
                        float(m))
            for m in range(metrics)
        )


SERIES_SQL = text(
    "SELECT runs.*, m.* FROM runs JOIN measurements AS m ON m.run_id = runs.run_id "
    "WHERE m.test = :test AND m.metric = :metric ORDER BY runs.started_at, runs.run_id"
)


def series(repeat: int) -> tuple[str, str]:
    """A different (test, metric) pair for each repeat."""
    metric = (repeat * 37) % 400
    return f"suites/test_{metric % 20}.py::test_model", f"metric_{metric}"


def median_ms(action, repeats: int = 20) -> float:
    """Median milliseconds of `action(repeat)`."""
    samples = []
    for repeat in range(repeats):
        began = time.perf_counter()
        action(repeat)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def measure(store: Store) -> dict[str, float]:
    """The series query alone, history() end to end (rows decoded into records), and
    series_names()."""
    with store.engine.connect() as conn:
        query = median_ms(lambda r: conn.execute(
            SERIES_SQL, dict(zip(("test", "metric"), series(r)))).all())
    return {
        "series query (SQL only)": query,
        "history() incl. decoding": median_ms(lambda r: store.history(*series(r))),
        "series_names()": median_ms(lambda r: store.series_names(), repeats=5),
    }


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--metrics", type=int, default=400)
    parser.add_argument("--url", help="an empty database (default: SQLite in a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(args.url or f"{folder}/bench.db")
        fill(store, args.runs, args.metrics)
        with_index = measure(store)
        with store.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_measurements_series"))
        store.engine.dispose()  # no connection keeps a plan that used the index
        without_index = measure(store)
        backend = store.engine.dialect.name
        store.close()
    rows = args.runs * args.metrics
    print(f"{backend}, {args.runs} runs x {args.metrics} metrics = {rows:,} measurements "
          "(median ms)")
    print("| read | v1 (no series index) | v2 | speed-up |")
    print("|---|---|---|---|")
    for name, fast in with_index.items():
        slow = without_index[name]
        print(f"| {name} | {slow:.2f} | {fast:.2f} | {slow / fast:.1f}x |")


if __name__ == "__main__":
    main()
