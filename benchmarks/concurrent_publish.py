"""Two runners syncing their own stores into one workbook and into one spreadsheet at once.

    python benchmarks/concurrent_publish.py [--runs 1000] [--metrics 12]

Each runner is a process with its own store of --runs runs; both start `harness sync` at the
same moment, first into one workbook, then into one spreadsheet on the local Sheets server
(where a sync writes in batches, so the two interleave). The workbook's rows are
counted over the current file and the files of earlier months. Prints, per target, the rows
expected, found, lost and duplicated, the runs left unpublished, and the wall time.
suites/unit/publish/test_concurrent_writers.py checks the same on a small scale.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from openpyxl import load_workbook
from rich.console import Console
from rich.table import Table

from harness.publish.workbook_periods import archives
from harness.store import Store
from harness.testing.fixtures import add_runs
from harness.testing.sheets_server import SheetsServer


def make_stores(folder: Path, runs: int, metrics: int) -> list[Path]:
    """One store per runner, with distinct runs."""
    paths = []
    for number in range(2):
        path = folder / f"runner{number}.db"
        store = Store.open(str(path))
        add_runs(store, runs, metrics, start=number * 100_000)
        store.close()
        paths.append(path)
    return paths


def sync_at_once(stores: list[Path], env: dict[str, str]) -> tuple[float, list[int]]:
    """Both syncs started together; wall seconds and their exit codes."""
    started = time.perf_counter()
    codes = []
    with ExitStack() as running:
        runners = [running.enter_context(subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "--store", str(path), "sync"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)) for path in stores]
        for runner in runners:
            _, err = runner.communicate()
            codes.append(runner.returncode)
            if runner.returncode:
                print(err.strip()[-500:], file=sys.stderr)
    return time.perf_counter() - started, codes


def unpublished(stores: list[Path], target: str) -> int:
    """Runs the stores still hold as unpublished to `target`."""
    left = 0
    for path in stores:
        store = Store.open(str(path), create=False)
        left += len(store.unpublished_runs(target))
        store.close()
    return left


def row(target: str, keys: list, expected: int, seconds: float, left: int) -> list[str]:
    """One table row from the keys found in the target's Runs tab."""
    counts = Counter(keys)
    duplicated = sum(count - 1 for count in counts.values())
    return [target, f"{expected:,}", f"{len(keys):,}", f"{expected - len(counts):,}",
            f"{duplicated:,}", str(left), f"{seconds:.1f} s"]


def main() -> None:
    """Run both cases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=12)
    args = parser.parse_args()
    expected = 2 * args.runs * args.metrics
    table = Table(title=f"2 runners x {args.runs:,} runs x {args.metrics} metrics, synced at once")
    for column in ("target", "rows expected", "rows found", "lost", "duplicated",
                   "runs unpublished", "wall time"):
        table.add_column(column, justify="left" if column == "target" else "right")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        stores = make_stores(folder, args.runs, args.metrics)
        book = folder / "shared.xlsx"
        env = {**os.environ, "HARNESS_WORKBOOK": str(book)}
        env.pop("HARNESS_SHEET_KEY", None)
        seconds, _ = sync_at_once(stores, env)
        keys = [r[0] for path in (book, *archives(book))
                for r in load_workbook(path, read_only=True)["Runs"].iter_rows(
                    min_row=2, values_only=True)]
        table.add_row(*row("workbook", keys, expected, seconds,
                           unpublished(stores, f"workbook:{book.resolve()}")))
        with SheetsServer() as server:
            key = server.create_spreadsheet()
            env.update(HARNESS_SHEET_KEY=key, HARNESS_SHEETS_ENDPOINT=server.url,
                       HARNESS_SHEET_CREDENTIALS=str(server.service_account_file(
                           folder / "sa.json")))
            seconds, _ = sync_at_once(stores, env)
            keys = [r[0] for r in server.values(key, "Runs")[1:]]
            table.add_row(*row("local Sheets server", keys, expected, seconds,
                               unpublished(stores, f"sheet:{key}")))
    Console().print(table)


if __name__ == "__main__":
    main()
