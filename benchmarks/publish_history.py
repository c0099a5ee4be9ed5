"""Publish one new nightly run onto a history of N nights (2 runners x 60 metrics each).

    python benchmarks/publish_history.py [--nights 10,100,730,3650] [--source PATH]
        [--timeout 600]

For each N, a worker process (using the harness checkout at --source, default this one, so
an older commit can be measured side by side) builds a store of N nights, publishes all but
the newest run to a workbook and to a spreadsheet on the local Sheets server, runs
`harness check` when that version has it (the nightly order: record, check, publish), then
times `harness publish` of the newest run through the CLI and counts its Sheets requests.
Prints one Markdown table row per N. A worker past --timeout is reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
RUNNERS, METRICS = 2, 60


def fill(store, nights: int) -> None:
    """N nights x 2 runners x 60 metrics of 1 % noise, one transaction per run."""
    # pylint: disable=import-outside-toplevel  # the worker imports the checkout under test
    from harness.records import Environment, GitInfo, Measurement, Run, RunStatus

    noise = random.Random(nights)
    origin = datetime(2020, 1, 1, 2, 0, tzinfo=timezone.utc)
    for night in range(nights):
        for runner in range(RUNNERS):
            run = Run(f"n{night:05d}-r{runner}", origin + timedelta(days=night, minutes=runner),
                      GitInfo(f"{night:040x}", "main", f"change {night}"),
                      Environment(torch="2.13.0", gpu_name="NVIDIA H100",
                                  hostname=f"runner-{runner}"), RunStatus.COMPLETE)
            store.begin_run(run)
            store.record([Measurement(run.run_id, f"suites/test_models.py::test_{m % 6}",
                                      f"metric_{m:02d}", (1 + m) * (1 + noise.gauss(0, 0.01)),
                                      "ms", False) for m in range(METRICS)])


def harness_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the CLI of the checkout under test."""
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], env=env, check=False,
                          capture_output=True, text=True)


# The CLI, reporting its peak RSS at exit: VmHWM belongs to the process's own memory, while
# ru_maxrss would count the RSS of this (large) worker it was forked from.
PEAK_CLI = """
import atexit, runpy, sys
def peak():
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM"))
    sys.stderr.write("\\npeak-kib " + line.split()[1] + "\\n")
atexit.register(peak)
sys.argv = ["harness", *sys.argv[1:]]
runpy.run_module("harness.cli", run_name="__main__", alter_sys=True)
"""


def measured_cli(*args: str, env: dict[str, str]) -> dict:
    """Run the CLI; its exit code, wall and CPU seconds (os.wait4) and peak RSS (MiB)."""
    started = time.perf_counter()
    with subprocess.Popen([sys.executable, "-c", PEAK_CLI, *args], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True) as process:
        error = process.stderr.read() if process.stderr else ""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    lines = error.strip().splitlines()
    peak = int(lines[-1].split()[1]) / 1024 if lines and lines[-1].startswith("peak-kib") else 0
    return {"code": process.returncode, "wall": time.perf_counter() - started,
            "cpu": usage.ru_utime + usage.ru_stime, "rss": peak,
            "error": "\n".join(lines[:-1])[-300:]}


def worker(nights: int, folder: Path) -> dict:  # pylint: disable=too-many-locals  # one script
    """Build, publish the history, then measure publishing the newest run (this process
    imports the harness found on sys.path: the checkout under test)."""
    # pylint: disable=import-outside-toplevel
    from harness.store import Store
    from harness.testing.sheets_server import SheetsServer

    db = folder / "results.db"
    store = Store.open(str(db))
    fill(store, nights)
    newest = store.last_run()
    with SheetsServer() as server:
        key = server.create_spreadsheet()
        credentials = server.service_account_file(folder / "sa.json")
        env = {**os.environ, "HARNESS_STORE": str(db), "HARNESS_SHEET_KEY": key,
               "HARNESS_SHEET_CREDENTIALS": str(credentials), "HARNESS_SHEETS_ENDPOINT":
               server.url, "HARNESS_WORKBOOK": str(folder / "sheet.xlsx"),
               "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        book_env = {k: v for k, v in env.items() if k != "HARNESS_SHEET_KEY"}
        sync = _setup_sync(store, newest.run_id, env, book_env)
        checked = harness_cli("check", env=env).returncode in (0, 1)
        check = measured_cli("check", "--new", env=env)
        server.reset_counts()
        sheet = measured_cli("publish", newest.run_id, env=env)
        counts = dict(server.counts)
        book = measured_cli("publish", newest.run_id, env=book_env)
    store.close()
    return {"nights": nights, "sheet": sheet, "reads": counts.get("read", 0),
            "writes": counts.get("write", 0), "downloaded": counts.get("bytes sent", 0),
            "uploaded": counts.get("bytes received", 0), "workbook": book, "checked": checked,
            "check": check, "sync": sync, "ok": sheet["code"] == 0 and book["code"] == 0,
            "error": (sheet["error"] + book["error"]).strip()[-300:]}


def _setup_sync(store, newest: str, env: dict, book_env: dict) -> dict:
    """Everything but the newest run into both targets, as earlier nightlies left it; what
    the sync into the fresh workbook cost."""
    from sqlalchemy import text  # pylint: disable=import-outside-toplevel

    # Hide the newest run from the setup syncs by marking it published for a moment.
    targets = ["sheet:" + env["HARNESS_SHEET_KEY"],
               f"workbook:{Path(book_env['HARNESS_WORKBOOK']).resolve()}"]
    for name in targets:
        store.mark_published(newest, name)
    for variables in (env, book_env):
        done = measured_cli("sync", env=variables)
        if done["code"] != 0:
            raise RuntimeError(f"setup sync failed: {done['error']}")
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM publications WHERE run_id = :r"), {"r": newest})
    return done


def main() -> None:
    """Run one worker per history length and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", default="10,100,730,3650")
    parser.add_argument("--source", type=Path, default=HERE,
                        help="the harness checkout to measure (default: this one)")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(worker(args.worker, Path(folder))))
        return
    print(f"harness at {args.source.resolve().name}: publish one new run onto N nights "
          f"({RUNNERS} runners x {METRICS} metrics)\n")
    print("Each cell: wall time / CPU time / peak RSS of the CLI process.\n")
    print("| nights | runs | workbook publish | sheet publish | sheet reads, writes | "
          "sheet KiB down, up | `check --new` | sync into a fresh workbook |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for nights in (int(n) for n in args.nights.split(",")):
        env = {**os.environ, "PYTHONPATH": str(args.source.resolve())}
        try:
            done = subprocess.run([sys.executable, __file__, "--worker", str(nights)], env=env,
                                  cwd=args.source, capture_output=True, text=True,
                                  timeout=args.timeout, check=False)
        except subprocess.TimeoutExpired:
            print(f"| {nights:,} | {nights * RUNNERS:,} | over {args.timeout:.0f} s (setup "
                  "included) | - | - | - | - | - |", flush=True)
            continue
        if done.returncode != 0:
            print(f"| {nights:,} | worker failed: {done.stderr.strip()[-200:]} |", flush=True)
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        note = "" if row["ok"] else f" (error: {row['error']})"
        print(f"| {nights:,} | {nights * RUNNERS:,} | {_cost(row['workbook'])} | "
              f"{_cost(row['sheet'])} | {row['reads']}, {row['writes']} | "
              f"{row.get('downloaded', 0) / 1024:,.0f}, {row.get('uploaded', 0) / 1024:,.0f} | "
              f"{_cost(row['check'])} | {_cost(row['sync'])} |{note}", flush=True)


def _cost(measured: dict) -> str:
    return f"{measured['wall']:.2f} s / {measured['cpu']:.2f} s / {measured['rss']:.0f} MiB"


if __name__ == "__main__":
    main()
