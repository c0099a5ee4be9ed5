"""How busy the machine was while something was measured: CPU busy share, runnable threads.

Reads Linux's /proc/stat (elsewhere the figures are None and nothing is sampled).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")


class NoiseWarning(UserWarning):
    """A measurement was taken under conditions that make its figure noisy."""


@dataclass(frozen=True)
class CpuTicks:
    """Cumulative busy and total CPU ticks of the whole machine, and runnable threads now."""

    busy: int
    total: int
    runnable: int


def read_ticks(path: Path | None = None) -> CpuTicks | None:
    """The machine's CPU counters from /proc/stat (or `path`), or None where there is none."""
    try:
        text = (path or PROC_STAT).read_text(encoding="ascii")
    except OSError:
        return None
    busy = total = runnable = 0
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            ticks = [int(value) for value in fields[1:9]]  # user .. steal; guest is in user
            idle = ticks[3] + ticks[4]  # idle + iowait
            total = sum(ticks)
            busy = total - idle
        elif fields and fields[0] == "procs_running":
            runnable = int(fields[1])
    return CpuTicks(busy, total, runnable)


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class MachineLoad:  # pylint: disable=too-many-instance-attributes  # one reading's figures
    """The machine during one measurement.

    `busy` is the whole machine's busy share of all cores, `others_busy` what remains of it
    after this process's own CPU time; `runnable_mean`/`_max` count runnable threads
    (this one included) sampled between rounds. Oversubscribed: more runnable than cores.
    """

    cores: int
    busy: float | None
    others_busy: float | None
    runnable_mean: float | None
    runnable_max: int | None
    loadavg_1m: float | None

    @property
    def oversubscribed(self) -> bool:
        """More threads wanted to run, on average, than there were cores."""
        return self.runnable_mean is not None and self.runnable_mean > self.cores

    def as_details(self) -> dict[str, object]:
        """JSON-able figures for `Measurement.details`."""
        return {
            "cores": self.cores,
            "machine_busy": _rounded(self.busy),
            "others_busy": _rounded(self.others_busy),
            "runnable_mean": _rounded(self.runnable_mean),
            "runnable_max": self.runnable_max,
            "loadavg_1m": self.loadavg_1m,
            "oversubscribed": self.oversubscribed,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class LoadMonitor:
    """Samples the machine's load over a section: `start()`, `sample()` between rounds,
    `stop()` for the figures."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.cores = usable_cores()
        self._first: CpuTicks | None = None
        self._cpu_start = 0.0
        self._runnable: list[int] = []

    def start(self) -> None:
        """Begin the section."""
        self._runnable = []
        self._cpu_start = time.process_time()
        self._first = read_ticks(self.path)
        if self._first is not None:
            self._runnable.append(self._first.runnable)

    def sample(self) -> None:
        """Count the runnable threads now (cheap: one read of /proc/stat)."""
        ticks = read_ticks(self.path)
        if ticks is not None:
            self._runnable.append(ticks.runnable)

    def stop(self) -> MachineLoad:
        """The section's figures."""
        own_cpu = time.process_time() - self._cpu_start
        last = read_ticks(self.path)
        busy = others = None
        if self._first is not None and last is not None:
            self._runnable.append(last.runnable)
            elapsed = last.total - self._first.total
            if elapsed > 0:
                busy = (last.busy - self._first.busy) / elapsed
                # ticks are 1/100 s summed over cores; own CPU seconds over the same span
                others = max(0.0, busy - own_cpu * _ticks_per_second() / elapsed)
        runnable = self._runnable
        return MachineLoad(
            cores=self.cores,
            busy=busy,
            others_busy=others,
            runnable_mean=sum(runnable) / len(runnable) if runnable else None,
            runnable_max=max(runnable) if runnable else None,
            loadavg_1m=_loadavg(),
        )


def _ticks_per_second() -> int:
    try:
        return int(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None
