"""Benchmark the regression sheet: requests and time per publish, sync time, fault matrix.

Runs gspread's real client against the local Sheets server on 127.0.0.1 (no Google quota or
network latency: wall times are the harness's own cost). Prints Markdown tables; with
--write-docs it also refreshes the fault-matrix table in README.md.

    python benchmarks/sheet.py [--sync-runs 200] [--write-docs]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness.stages.publish import publish_runs
from harness.publish.retry import RetryPolicy
from harness.publish.sheet import SheetTarget
from harness.publish.workbook import WorkbookTarget
from harness.store import Store
from harness.testing.fault_matrix import CASES, run_case
from harness.testing.fixtures import add_runs
from harness.testing.sheets_server import SheetsServer

DOCS = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- fault-matrix:start -->", "<!-- fault-matrix:end -->"
REPEATS = 5


def _quiet(_: str) -> None:
    """Progress lines are not part of the measurement."""


def publish_costs(folder: Path, metrics: int) -> dict:
    """Requests and wall time of publishing one run of `metrics` metrics, as a new process
    would (fresh client: token, metadata, key read, one write)."""
    store = Store.open(str(folder / f"m{metrics}.db"))
    runs = add_runs(store, REPEATS + 1, metrics)
    policy = RetryPolicy()
    with SheetsServer() as server:
        key = server.create_spreadsheet()
        credentials = server.service_account_file(folder / "sa.json")
        publish_runs(store, SheetTarget(key, credentials, server.url, policy), runs[:1],
                     _quiet)
        costs: dict = {"metrics": metrics, "first_writes": server.counts["write"],
                       "writes": [], "reads": [], "seconds": []}
        for run in runs[1:]:
            server.reset_counts()
            target = SheetTarget(key, credentials, server.url, policy)
            started = time.perf_counter()
            publish_runs(store, target, [run], _quiet)
            costs["seconds"].append(time.perf_counter() - started)
            costs["writes"].append(server.counts["write"])
            costs["reads"].append(server.counts["read"])
    costs["workbook_seconds"] = workbook_costs(store, runs, folder / f"m{metrics}.xlsx")
    store.close()
    return {**costs, "writes": max(costs["writes"]), "reads": max(costs["reads"]),
            "seconds": statistics.median(costs["seconds"])}


def workbook_costs(store: Store, runs: list, path: Path) -> float:
    """Median wall time of publishing one run to a workbook that holds the earlier ones."""
    workbook = WorkbookTarget(path)
    publish_runs(store, workbook, runs[:1], _quiet)
    seconds = []
    for run in runs[1:]:
        started = time.perf_counter()
        publish_runs(store, workbook, [run], _quiet)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def sync_cost(folder: Path, runs: int, metrics: int) -> dict:
    """Time and requests to sync `runs` unpublished runs to a new spreadsheet and workbook."""
    store = Store.open(str(folder / "sync.db"))
    add_runs(store, runs, metrics, drift=0.01)
    with SheetsServer() as server:
        key = server.create_spreadsheet()
        credentials = server.service_account_file(folder / "sa.json")
        target = SheetTarget(key, credentials, server.url, RetryPolicy())
        started = time.perf_counter()
        done = publish_runs(store, target, store.unpublished_runs(target.name), _quiet).runs
        seconds = time.perf_counter() - started
        counts = dict(server.counts)
    workbook = WorkbookTarget(folder / "sync.xlsx")
    started = time.perf_counter()
    publish_runs(store, workbook, store.unpublished_runs(workbook.name), _quiet)
    book_seconds = time.perf_counter() - started
    store.close()
    return {"runs": done, "metrics": metrics, "seconds": seconds, "writes": counts["write"],
            "reads": counts["read"], "workbook_seconds": book_seconds}


def fault_matrix(folder: Path) -> str:
    """The fault matrix as a Markdown table."""
    lines = ["| fault | on | rows expected | lost | duplicated | reads | writes | time |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for index, case in enumerate(CASES):
        result = run_case(case, folder / f"case{index}")
        lines.append(f"| {case.name} | {case.on} | {result.expected} | {result.lost} | "
                     f"{result.duplicated} | {result.reads} | {result.writes} | "
                     f"{result.seconds:.2f} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sync-runs", type=int, default=200)
    parser.add_argument("--sync-metrics", type=int, default=50)
    parser.add_argument("--write-docs", action="store_true", help="refresh README.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        print("Publish one run (local Sheets server; median of 5; a new client each time)\n")
        print("| metrics | writes (first publish, creates tabs) | writes | reads | wall time "
              "| workbook wall time |")
        print("|---:|---:|---:|---:|---:|---:|")
        for metrics in (1, 50, 500):
            row = publish_costs(folder, metrics)
            print(f"| {metrics} | {row['first_writes']} | {row['writes']} | {row['reads']} | "
                  f"{row['seconds'] * 1000:.0f} ms | {row['workbook_seconds'] * 1000:.0f} ms |")
        sync = sync_cost(folder, args.sync_runs, args.sync_metrics)
        print(f"\nSync {sync['runs']} unpublished runs x {sync['metrics']} metrics\n")
        print("| target | wall time | writes | reads |")
        print("|---|---:|---:|---:|")
        print(f"| Google Sheets protocol (local server) | {sync['seconds']:.2f} s | "
              f"{sync['writes']} | {sync['reads']} |")
        print(f"| .xlsx workbook | {sync['workbook_seconds']:.2f} s | - | - |")
        matrix = fault_matrix(folder)
        print("\nFault matrix (each case: 3 runs x 20 metrics; one fault on the first matching "
              "request after the tabs exist)\n")
        print(matrix)
    if args.write_docs:
        text = DOCS.read_text(encoding="utf-8")
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        DOCS.write_text(f"{head}{START}\n{matrix}\n{END}{tail}", encoding="utf-8")
        print(f"\nupdated {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
