"""The plugin's fixtures: device, harness_seed, metrics and speed."""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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

    def __init__(
        self,
        test_id: str,
        run_id: str,
        write: Callable[[list[Measurement]], int],
        write_config: Callable[[str, Mapping[str, Any]], None] | None = None,
    ):
        self.test_id = test_id
        self.run_id = run_id
        self._write = write
        self._write_config = write_config
        self._pending: list[Measurement] = []
        self.recorded: list[Measurement] = []

    def record(  # pylint: disable=too-many-arguments  # the metric's own fields
        self,
        name: str,
        value: object,
        unit: str = "",
        higher_is_better: bool = True,
        *,
        correct: Sequence[object] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Measurement:
        """Record `value` of metric `name`. A non-finite value is stored as INVALID and fails
        the test: it is never dropped silently.

        `correct` is the per-sample correctness behind an accuracy on a fixed evaluation set
        (booleans or 0/1, a list or a tensor, in a fixed sample order): detection then compares
        runs with an exact paired test. `details` is any JSON-able evidence kept beside it.
        """
        if not name or not isinstance(name, str):
            raise ValueError(f"metric name must be a non-empty string, got {name!r}")
        extra = dict(details or {})
        if correct is not None:
            extra["samples"] = encode_correctness(correct)
        item = Measurement.checked(self.run_id, self.test_id, name, value, unit,
                                   higher_is_better, details=extra)
        self._pending.append(item)
        self.recorded.append(item)
        if item.status is MeasurementStatus.INVALID:
            self.flush()
            pytest.fail(f"metric '{name}' is not a finite number ({value!r}): recorded as invalid")
        return item

    def config(self, args: object) -> dict[str, Any]:
        """Record what this test ran with: a dataclass, a mapping or an `argparse.Namespace`
        (nested dataclasses and mappings are flattened to JSON-able values). `harness diff`
        shows how two runs' configurations differ. Returns what was recorded."""
        recorded = config_mapping(args)
        if self._write_config is not None:
            self._write_config(self.test_id, recorded)
        return recorded

    def flush(self) -> int:
        """Write what is pending now."""
        pending, self._pending = self._pending, []
        return self._write(pending)


def config_mapping(args: object) -> dict[str, Any]:
    """`args` (dataclass, mapping or namespace) as a JSON-able dict, keys sorted."""
    if dataclasses.is_dataclass(args) and not isinstance(args, type):
        mapping: Mapping[str, Any] = dataclasses.asdict(args)
    elif isinstance(args, Mapping):
        mapping = args
    elif hasattr(args, "__dict__") and not callable(args):
        mapping = vars(args)
    else:
        raise TypeError(f"metrics.config() takes a dataclass, mapping or namespace, not "
                        f"{type(args).__name__}")
    return {str(key): _jsonable(value) for key, value in sorted(mapping.items())}


def _jsonable(value: object) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return config_mapping(value)
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def encode_correctness(correct: Sequence[object]) -> str:
    """Per-sample correctness (booleans, 0/1, or a tensor of them) packed and base64-encoded
    for `Measurement.details["samples"]`."""
    # pylint: disable-next=import-outside-toplevel  # detection's imports only when used
    from harness.detect.mcnemar import pack_correctness

    tolist = getattr(correct, "tolist", None)
    values = tolist() if callable(tolist) else list(correct)
    return base64.b64encode(pack_correctness([bool(value) for value in values])).decode("ascii")


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
