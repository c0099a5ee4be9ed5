"""Correct timing of (GPU) work: warm-up, synchronisation, repeated rounds, percentiles.

torch is used only when the caller passes a torch device; plain Python callables work too.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

Clock = Callable[[], float]


def synchronizer(device: object) -> Callable[[], None]:
    """A function that waits for all queued work on `device` (a no-op on CPU)."""
    if getattr(device, "type", str(device).split(":", maxsplit=1)[0]) != "cuda":
        return lambda: None
    import torch  # pylint: disable=import-outside-toplevel  # only for CUDA devices

    return lambda: torch.cuda.synchronize(device)  # type: ignore[arg-type]


def synced(fn: Callable[[], object], sync: Callable[[], None]) -> Callable[[], None]:
    """`fn` followed by `sync`, so the clock stops when the device has finished."""

    def run() -> None:
        fn()
        sync()

    return run


def time_rounds(
    target: Callable[[], None], rounds: int, warmup: int, clock: Clock = time.perf_counter
) -> list[float]:
    """Seconds per call of `target` for `rounds` calls after `warmup` untimed ones."""
    if rounds < 1 or warmup < 0:
        raise ValueError(f"need rounds >= 1 and warmup >= 0, got {rounds} and {warmup}")
    for _ in range(warmup):
        target()
    times = []
    for _ in range(rounds):
        start = clock()
        target()
        times.append(clock() - start)
    return times


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile of `values` by linear interpolation (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class SpeedResult:
    """Summary of timed rounds of a callable that processes `items_per_call` samples."""

    times: tuple[float, ...]
    items_per_call: int
    peak_memory_bytes: int

    @property
    def median(self) -> float:
        """Median seconds per call."""
        return percentile(self.times, 0.5)

    @property
    def p50(self) -> float:
        """50th percentile latency in seconds."""
        return percentile(self.times, 0.5)

    @property
    def p90(self) -> float:
        """90th percentile latency in seconds."""
        return percentile(self.times, 0.9)

    @property
    def throughput(self) -> float:
        """Samples per second at the median latency."""
        return self.items_per_call / self.median if self.median > 0 else float("inf")

    @property
    def peak_memory_mb(self) -> float:
        """Peak memory during the measurement, in MB (10^6 bytes)."""
        return self.peak_memory_bytes / 1e6


class PeakMemory:
    """Peak memory of a section: CUDA allocator peak on GPU, peak RSS of the process on CPU.

    On Linux the RSS high-water mark is reset at entry (/proc/self/clear_refs), so the figure
    belongs to the section, not to the whole process; elsewhere it is the process's peak.
    """

    def __init__(self, device: object) -> None:
        self.device = device
        self.is_cuda = getattr(device, "type", str(device).split(":", maxsplit=1)[0]) == "cuda"
        self.peak_bytes = 0

    def __enter__(self) -> PeakMemory:
        if self.is_cuda:
            import torch  # pylint: disable=import-outside-toplevel  # only for CUDA devices

            torch.cuda.reset_peak_memory_stats(self.device)  # type: ignore[arg-type]
        else:
            _reset_rss_peak()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.is_cuda:
            import torch  # pylint: disable=import-outside-toplevel  # only for CUDA devices

            self.peak_bytes = int(torch.cuda.max_memory_allocated(
                self.device))  # type: ignore[arg-type]
        else:
            self.peak_bytes = _rss_peak_bytes()


def _reset_rss_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        pass


def _rss_peak_bytes() -> int:
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
