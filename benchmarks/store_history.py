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


def time_history(store: Store, repeats: int = 20) -> float:
    """Median milliseconds of one history() read."""
    samples = []
    for repeat in range(repeats):
        metric = (repeat * 37) % 400
        began = time.perf_counter()
        store.history(f"suites/test_{metric % 20}.py::test_model", f"metric_{metric}")
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


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
        with_index = time_history(store)
        with store.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_measurements_series"))
        without_index = time_history(store)
        backend = store.engine.dialect.name
        store.close()
    rows = args.runs * args.metrics
    print("| backend | measurements | history() v1 (no index) | history() v2 | speed-up |")
    print("|---|---|---|---|---|")
    print(f"| {backend} | {rows:,} | {without_index:.2f} ms | {with_index:.2f} ms | "
          f"{without_index / with_index:.1f}x |")


if __name__ == "__main__":
    main()
