"""Correct timing of (GPU) work: synchronisation, a quiet garbage collector, percentiles, memory.

torch is used only when the caller passes a torch device; plain Python callables work too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import resource
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.measure.work import WorkCount


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


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cyclic garbage collector runs before the block and not inside it, so no
    collection lands in a timed call (as timeit and pyperf do)."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    cpu_times: tuple[float, ...] = ()
    memory_growth_bytes: int = 0
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    work: WorkCount | None = None  # one call's FLOPs and ATen operators, where counted

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

    @property
    def memory_growth_mb(self) -> float:
        """The measurement's peak above the memory in use when it began, in MB."""
        return self.memory_growth_bytes / 1e6


class PeakMemory:
    """Memory of a section: its peak, its start, and the process's peak beside them.

    On GPU the figures are the CUDA allocator's (allocated bytes; `reserved_peak_bytes` is
    the caching allocator's reserve). On CPU they are resident set sizes: on Linux the RSS
    high-water mark is reset at entry (/proc/self/clear_refs, after the heap's free memory
    went back to the system), so `peak_bytes` belongs to the
    section; `growth_bytes` (peak above the start) is the workload's own memory, which the
    process's hundreds of MB of runtime would hide.
    """

    def __init__(self, device: object) -> None:
        self.device = device
        self.is_cuda = getattr(device, "type", str(device).split(":", maxsplit=1)[0]) == "cuda"
        self.peak_bytes = 0
        self.start_bytes = 0
        self.process_peak_bytes = 0
        self.reserved_peak_bytes: int | None = None

    @property
    def growth_bytes(self) -> int:
        """The section's peak above what was in use when it began."""
        return max(0, self.peak_bytes - self.start_bytes)

    def __enter__(self) -> PeakMemory:
        self.process_peak_bytes = _status_bytes("VmHWM:")
        if self.is_cuda:
            import torch  # pylint: disable=import-outside-toplevel  # only for CUDA devices

            torch.cuda.reset_peak_memory_stats(self.device)  # type: ignore[arg-type]
            self.start_bytes = int(torch.cuda.memory_allocated(self.device))  # type: ignore
        else:
            _reset_rss_peak()
            self.start_bytes = _status_bytes("VmRSS:")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.is_cuda:
            import torch  # pylint: disable=import-outside-toplevel  # only for CUDA devices

            self.peak_bytes = int(torch.cuda.max_memory_allocated(
                self.device))  # type: ignore[arg-type]
            self.reserved_peak_bytes = int(torch.cuda.max_memory_reserved(
                self.device))  # type: ignore[arg-type]
        else:
            self.peak_bytes = _status_bytes("VmHWM:")
        self.process_peak_bytes = max(self.process_peak_bytes, _status_bytes("VmHWM:"))

    def as_details(self) -> dict[str, object]:
        """The figures in MB (10^6 bytes) for `Measurement.details`."""
        details: dict[str, object] = {
            "memory_source": "cuda_allocator" if self.is_cuda else "rss",
            "memory_start_mb": round(self.start_bytes / 1e6, 3),
            "memory_peak_mb": round(self.peak_bytes / 1e6, 3),
            "memory_growth_mb": round(self.growth_bytes / 1e6, 3),
            "process_peak_mb": round(self.process_peak_bytes / 1e6, 3),
        }
        if self.reserved_peak_bytes is not None:
            details["cuda_reserved_peak_mb"] = round(self.reserved_peak_bytes / 1e6, 3)
        return details


def _reset_rss_peak() -> None:
    """Give freed heap memory back to the system (glibc's malloc_trim), so what earlier code
    freed but kept does not hide the section's own growth, then reset the RSS high-water
    mark."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        pass


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, where the C library has it (looked up once)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _status_bytes(key: str) -> int:
    """A size from /proc/self/status (VmHWM:, VmRSS:), else the process's peak RSS."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
