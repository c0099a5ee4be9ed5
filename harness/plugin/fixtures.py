"""The plugin's fixtures: device, harness_seed, metrics and speed."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from harness.measure.gpus import device_for_worker
from harness.measure.timing import PeakMemory, SpeedResult, synced, synchronizer, time_rounds
from harness.records import Measurement, MeasurementStatus

def resolve_device(requested: str | None):
    """A torch.device: the requested one (the `device` setting), else CUDA when available,
    else CPU."""
    import torch  # pylint: disable=import-outside-toplevel  # only tests that ask for a device

    choice = (requested or "auto").strip().lower()
    if choice == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        # Under xdist each worker gets its own GPU (gw0 -> cuda:0, gw1 -> cuda:1, ...).
        gpus = [f"cuda:{index}" for index in range(torch.cuda.device_count())]
        device = torch.device(device_for_worker(os.environ.get("PYTEST_XDIST_WORKER"), gpus))
        torch.cuda.set_device(device)
        return device
    device = torch.device(choice)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise pytest.UsageError(f"--harness-device={choice} but torch sees no CUDA device")
    return device


class MetricRecorder:
    """Records accuracy-type values of one test; written to the store when the test ends."""

    def __init__(self, test_id: str, run_id: str, write: Callable[[list[Measurement]], int]):
        self.test_id = test_id
        self.run_id = run_id
        self._write = write
        self._pending: list[Measurement] = []
        self.recorded: list[Measurement] = []

    def record(
        self, name: str, value: object, unit: str = "", higher_is_better: bool = True
    ) -> Measurement:
        """Record `value` of metric `name`. A non-finite value is stored as INVALID and fails
        the test: it is never dropped silently."""
        if not name or not isinstance(name, str):
            raise ValueError(f"metric name must be a non-empty string, got {name!r}")
        item = Measurement.checked(self.run_id, self.test_id, name, value, unit, higher_is_better)
        self._pending.append(item)
        self.recorded.append(item)
        if item.status is MeasurementStatus.INVALID:
            self.flush()
            pytest.fail(f"metric '{name}' is not a finite number ({value!r}): recorded as invalid")
        return item

    def flush(self) -> int:
        """Write what is pending now."""
        pending, self._pending = self._pending, []
        return self._write(pending)


class SpeedMeter:
    """Times a workload correctly on any device and records throughput, latency and memory.

    The first measurement of a test goes through pytest-benchmark's `pedantic` mode (so it
    also appears in pytest-benchmark's table and JSON); later ones, and all of them when
    pytest-benchmark is disabled (as under xdist), use the same loop without it.
    """

    def __init__(self, benchmark, device, metrics: MetricRecorder) -> None:
        self.benchmark = benchmark
        self.device = device
        self.metrics = metrics
        self._benchmark_used = False

    def measure(
        self,
        fn: Callable[[], object],
        *,
        items: int,
        name: str = "step",
        rounds: int = 20,
        warmup: int = 3,
    ) -> SpeedResult:
        """Time `fn` (processing `items` samples per call) and record four metrics:
        `<name>_throughput` (samples/s), `<name>_latency_p50` and `_p90` (ms) and
        `<name>_peak_memory` (MB)."""
        if items < 1:
            raise ValueError(f"items must be >= 1, got {items}")
        target = synced(fn, synchronizer(self.device))
        with PeakMemory(self.device) as peak:
            times = self._time(target, rounds, warmup, name)
        result = SpeedResult(tuple(times), items, peak.peak_bytes)
        self.metrics.record(f"{name}_throughput", result.throughput, "samples/s", True)
        self.metrics.record(f"{name}_latency_p50", result.p50 * 1e3, "ms", False)
        self.metrics.record(f"{name}_latency_p90", result.p90 * 1e3, "ms", False)
        self.metrics.record(f"{name}_peak_memory", result.peak_memory_mb, "MB", False)
        return result

    def _time(self, target: Callable[[], None], rounds: int, warmup: int, name: str) -> list:
        if self.benchmark is None or self.benchmark.disabled or self._benchmark_used:
            return time_rounds(target, rounds, warmup)
        self._benchmark_used = True
        self.benchmark.group = name
        self.benchmark.extra_info["device"] = str(self.device)
        self.benchmark.pedantic(target, rounds=rounds, warmup_rounds=warmup, iterations=1)
        return list(self.benchmark.stats.stats.data)
