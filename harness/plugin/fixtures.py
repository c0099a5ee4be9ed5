"""The plugin's fixtures: device, harness_seed, metrics and speed."""

from __future__ import annotations

import base64
import dataclasses
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from harness.measure.gpus import device_for_worker
from harness.measure.load import LoadMonitor, MachineLoad, NoiseWarning
from harness.measure.noise import quantile_evidence, shared_evidence
from harness.measure.rounds import Rounds, RoundsPlan, on_cpu_rounds, run_rounds
from harness.measure.threads import fixed_threads
from harness.measure.timing import (
    PeakMemory,
    SpeedResult,
    paused_gc,
    percentile,
    synced,
    synchronizer,
)
from harness.measure.work import COUNT_ERRORS, WorkCount, count_work
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


def _is_cuda(device: object) -> bool:
    return getattr(device, "type", str(device).split(":", maxsplit=1)[0]) == "cuda"


def _cuda_section(fn: Callable[[], object], device: object, flush_l2: bool, cuda_graph: bool):
    """The GPU side of a measurement on a CUDA device, else None."""
    if not _is_cuda(device):
        return None
    # pylint: disable-next=import-outside-toplevel  # imports torch: CUDA devices only
    from harness.measure.cuda import CudaSection

    return CudaSection(fn, device, flush_l2=flush_l2, cuda_graph=cuda_graph)  # type: ignore


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


def _kept_details(kept: tuple[float, ...] | None, wall: tuple[float, ...]) -> dict[str, Any]:
    """Which rounds the latency figures come from: all, or on an oversubscribed machine the
    single-threaded rounds that never waited for a core (`on_cpu_rounds`)."""
    if kept is None:
        return {"latency_rounds": "all"}
    return {"latency_rounds": "on_cpu", "rounds_waited": len(wall) - len(kept)}


class SpeedMeter:
    """Times a workload correctly on any device and records throughput, latency, CPU time
    and memory, each with its noise evidence in `details` (harness.measure.noise).

    With a fixed `rounds` the first measurement of a test goes through pytest-benchmark's
    `pedantic` mode (so it also appears in pytest-benchmark's table and JSON); adaptive
    rounds, later measurements, and all of them when pytest-benchmark is disabled (as under
    xdist) use the harness's own loop.
    """

    def __init__(self, get_benchmark: Callable[[], Any] | None, device,
                 metrics: MetricRecorder, threads: int = 1) -> None:
        """`get_benchmark` returns pytest-benchmark's fixture; it is called only when a
        fixed-rounds measurement first needs it (a test that never uses the fixture would
        otherwise get pytest-benchmark's "fixture was not used" warning). None: no
        pytest-benchmark."""
        self._get_benchmark = get_benchmark
        self._benchmark: Any = None
        self.device = device
        self.metrics = metrics
        self.threads = threads
        self._benchmark_used = False

    @property
    def benchmark(self):
        """pytest-benchmark's fixture (looked up on first use), or None."""
        if self._benchmark is None and self._get_benchmark is not None:
            self._benchmark = self._get_benchmark()
        return self._benchmark

    def measure(  # pylint: disable=too-many-arguments  # the measurement's own knobs
        self,
        fn: Callable[[], object],
        *,
        items: int,
        name: str = "step",
        rounds: int | str = 20,
        warmup: int = 3,
        target_ci: float = 0.01,
        budget_s: float = 10.0,
        flush_l2: bool = False,
        cuda_graph: bool = False,
        count: bool = True,
    ) -> SpeedResult:
        """Time `fn` (processing `items` samples per call) and record six metrics:
        `<name>_throughput` (samples/s), `<name>_latency_p50` and `_p90` (ms),
        `<name>_cpu_time` (ms of process CPU time per call, median), `<name>_peak_memory`
        (MB, the section's peak) and `<name>_memory_growth` (MB, that peak above the
        section's start); for a torch workload (`count`) two more, the work of one more
        call, counted: `<name>_gflop` (10^9 floating-point operations) and
        `<name>_aten_ops` (operator calls), exact where the times are noisy
        (harness.measure.work).

        `rounds="auto"` times until the median's 95 % CI is within +-`target_ci` (relative)
        or `budget_s` seconds have passed; `details["ended_by"]` says which. On a CUDA device
        each call is timed with CUDA events (the host clock's median is kept beside them),
        NVML samples clocks and throttling between calls, `flush_l2` evicts the L2 cache
        between calls and `cuda_graph` captures `fn` once and replays it.
        """
        if items < 1:
            raise ValueError(f"items must be >= 1, got {items}")
        if rounds != "auto" and (not isinstance(rounds, int) or isinstance(rounds, bool)):
            raise ValueError(f"rounds must be a whole number or 'auto', got {rounds!r}")
        if (flush_l2 or cuda_graph) and not _is_cuda(self.device):
            raise ValueError("flush_l2 and cuda_graph need a CUDA device")
        plan = RoundsPlan(None if rounds == "auto" else int(rounds), warmup, target_ci, budget_s)
        result = self._section(fn, plan, name, items=items, flush_l2=flush_l2,
                               cuda_graph=cuda_graph)
        if count:
            result = dataclasses.replace(result, work=self._count(fn, name))
        return self._record(name, result)

    def _count(self, fn: Callable[[], object], name: str) -> WorkCount | None:
        """One untimed call's work; a workload the counters cannot run through is measured
        without it, with a warning."""
        try:
            return count_work(synced(fn, synchronizer(self.device)))
        except COUNT_ERRORS as error:
            warnings.warn(f"{self.metrics.test_id}: '{name}': its work was not counted "
                          f"({type(error).__name__}: {error}); pass count=False to skip it",
                          stacklevel=3)
            return None

    def _section(  # pylint: disable=too-many-arguments,too-many-locals  # knobs and evidence
            self, fn: Callable[[], object], plan: RoundsPlan, name: str, *, items: int,
            flush_l2: bool, cuda_graph: bool) -> SpeedResult:
        """The timed rounds with threads fixed and the collector paused, watching memory,
        the machine's load and the GPU; the call times, memory and the shared evidence."""
        cuda = _cuda_section(fn, self.device, flush_l2, cuda_graph)
        load = LoadMonitor()

        def between() -> None:
            load.sample()
            if cuda is not None:
                cuda.between()

        with fixed_threads(self.threads) as threads, paused_gc(), \
                PeakMemory(self.device) as peak:  # garbage collected before memory's start
            load.start()
            if cuda is not None:
                cuda.monitor.start()
            timed = self._time(cuda.target if cuda else synced(fn, synchronizer(self.device)),
                               plan, name, between)
            machine = load.stop()
        times, gpu = cuda.evidence(plan.warmup, timed.wall) if cuda else (timed.wall, {})
        self._warn(name, machine, gpu.get("gpu", {}))
        kept = on_cpu_rounds(timed.wall, timed.cpu) if (
            cuda is None and machine.oversubscribed and (threads or 1) == 1) else None
        shared = shared_evidence(wall=timed.wall, cpu=timed.cpu, parts=[
            plan.as_details(timed), {"threads": threads}, machine.as_details(),
            peak.as_details(), gpu, _kept_details(kept, timed.wall)])
        return SpeedResult(kept or times, items, peak.peak_bytes, cpu_times=timed.cpu,
                           memory_growth_bytes=peak.growth_bytes, details=shared)

    def _warn(self, name: str, machine: MachineLoad, gpu: Mapping[str, Any]) -> None:
        where = f"{self.metrics.test_id}: '{name}'"
        if machine.oversubscribed:
            warnings.warn(NoiseWarning(
                f"{where} was measured on an oversubscribed machine "
                f"({machine.runnable_mean:.1f} runnable threads on {machine.cores} cores): "
                f"its speed figures are noisy"), stacklevel=4)
        if gpu.get("throttled"):
            warnings.warn(NoiseWarning(
                f"{where}: the GPU throttled during the measurement "
                f"({', '.join(gpu['throttled'])}; SM clock {gpu['sm_clock_mhz_min']}-"
                f"{gpu['sm_clock_mhz_max']} MHz): its speed figures are noisy; "
                "`harness doctor --gpu` says how to lock clocks"), stacklevel=4)

    def _record(self, name: str, result: SpeedResult) -> SpeedResult:
        times, record, shared = result.times, self.metrics.record, result.details
        per_call = result.items_per_call
        record(f"{name}_throughput", result.throughput, "samples/s", True,
               details={**shared, **quantile_evidence(times, 0.5, invert=per_call)})
        record(f"{name}_latency_p50", result.p50 * 1e3, "ms", False,
               details={**shared, **quantile_evidence(times, 0.5, 1e3)})
        record(f"{name}_latency_p90", result.p90 * 1e3, "ms", False,
               details={**shared, **quantile_evidence(times, 0.9, 1e3)})
        record(f"{name}_cpu_time", percentile(result.cpu_times, 0.5) * 1e3, "ms", False,
               details={**shared, **quantile_evidence(result.cpu_times, 0.5, 1e3)})
        record(f"{name}_peak_memory", result.peak_memory_mb, "MB", False, details=shared)
        record(f"{name}_memory_growth", result.memory_growth_mb, "MB", False, details=shared)
        if result.work is not None:
            counted = {"counted": "one call after the timed rounds"}
            record(f"{name}_gflop", result.work.gflop, "GFLOP", False, details=counted)
            record(f"{name}_aten_ops", result.work.aten_ops, "ops", False, details=counted)
        return result

    def _time(self, target: Callable[[], None], plan: RoundsPlan, name: str,
              between: Callable[[], None]) -> Rounds:
        if (plan.rounds is None or self._benchmark_used or self.benchmark is None
                or self.benchmark.disabled):
            return run_rounds(target, plan, between)
        self._benchmark_used = True
        self.benchmark.group = name
        self.benchmark.extra_info["device"] = str(self.device)
        cpu: list[float] = []

        def with_cpu_time() -> None:
            start = time.process_time()
            target()
            cpu.append(time.process_time() - start)

        began = time.perf_counter()
        self.benchmark.pedantic(with_cpu_time, rounds=plan.rounds, warmup_rounds=plan.warmup,
                                iterations=1)
        wall = tuple(self.benchmark.stats.stats.data)
        return Rounds(wall, tuple(cpu[plan.warmup:]), "rounds", time.perf_counter() - began)
