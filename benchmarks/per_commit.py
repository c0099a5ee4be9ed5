"""Wall and CPU time of a warm per-commit `nox` (the default sessions, lint and unit), as a
developer runs it and as CI runs it (HARNESS_FULL=1: pylint on every file, the slow tests too).

    python benchmarks/per_commit.py [--repeats 1] [--sessions lint,unit]

Each `nox -R -s SESSION` is its own process (virtualenvs reused, nothing installed), timed
with os.wait4 (CPU = user + system of the session and everything it started). The modes run
interleaved, so a change in the machine's load hits both alike. Target (issue 14): the
per-commit `nox` warm under 60 s on 2 cores. Run it on a quiet machine: the table says the
load average each row ran at.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
MODES = {"per commit": {"HARNESS_FULL": "0", "CI": ""},
         "CI (HARNESS_FULL=1)": {"HARNESS_FULL": "1"}}


def timed_session(session: str, overrides: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and exit code of one warm `nox -R -s session`."""
    env = {**os.environ, **overrides}
    if not env.get("CI"):
        env.pop("CI", None)
    started = time.perf_counter()
    with subprocess.Popen(["nox", "-R", "-s", session], cwd=ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - started, usage.ru_utime + usage.ru_stime,
            process.returncode)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--sessions", default="lint,unit")
    args = parser.parse_args()
    sessions = args.sessions.split(",")
    table = Table(title="warm nox on this machine (wall / CPU seconds)")
    for column in ("mode", "load before", *sessions, "total wall", "exit codes"):
        table.add_column(column, justify="right" if column != "mode" else "left")
    for _ in range(args.repeats):
        for mode, overrides in MODES.items():
            load = os.getloadavg()[0]
            cells, total, codes = [], 0.0, []
            for session in sessions:
                wall, cpu, code = timed_session(session, overrides)
                cells.append(f"{wall:.1f} / {cpu:.1f}")
                total += wall
                codes.append(str(code))
            table.add_row(mode, f"{load:.2f}", *cells, f"{total:.1f}", ",".join(codes))
    Console().print(table)


if __name__ == "__main__":
    main()
