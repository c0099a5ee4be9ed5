"""CPU time and peak memory of trivial pytest sessions with and without the harness plugin.

    python benchmarks/plugin_overhead.py [--tests 500] [--memory-tests 5000] [--repeats 7]

Each session is its own process; the sessions with `-p no:harness` and with the plugin run
interleaved, so a change in the machine's load hits both alike. CPU is user + system time of
the process (os.wait4), the median over the repeats; memory is the peak RSS of one larger
session. Target (issue 14): CPU within 5 % of `-p no:harness`, no memory growth per test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

TRIVIAL = "import pytest\n\n@pytest.mark.parametrize('n', range({count}))\ndef test_trivial(n):\n" \
          "    assert n >= 0\n"


def session(folder: Path, count: int, plugin: bool) -> tuple[float, float]:
    """CPU seconds and peak RSS (MiB) of one pytest session of `count` trivial tests."""
    (folder / f"test_{count}.py").write_text(TRIVIAL.format(count=count), encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               f"test_{count}.py", *([] if plugin else ["-p", "no:harness"])]
    with subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as process:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--memory-tests", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        session(folder, args.tests, True)  # warm the file cache and .pyc files
        cpu: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.repeats):
            for plugin in (False, True):
                cpu[plugin].append(session(folder, args.tests, plugin)[0])
        memory = {plugin: session(folder, args.memory_tests, plugin)[1] for plugin in (False, True)}
    without, with_plugin = statistics.median(cpu[False]), statistics.median(cpu[True])
    table = Table(title=f"pytest, trivial tests, median of {args.repeats} (CPU = user + system)")
    for column in ("measure", "-p no:harness", "with the plugin", "ratio"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row(f"CPU, {args.tests} tests", f"{without:.3f} s", f"{with_plugin:.3f} s",
                  f"{with_plugin / without:.3f}x")
    table.add_row(f"peak RSS, {args.memory_tests} tests", f"{memory[False]:.0f} MiB",
                  f"{memory[True]:.0f} MiB", f"{memory[True] / memory[False]:.3f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
