"""GPU-side timing: CUDA events per call, an L2 flush between calls, CUDA graph replay,
NVML sampling between calls.

Imported only for CUDA devices (it imports torch).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

import torch

from harness.measure.nvml import GpuMonitor


class EventTimed:
    """`fn` between two CUDA events, then synchronised: `times` holds each call's GPU time
    in seconds (the events' elapsed time), warm-up calls included."""

    def __init__(self, fn: Callable[[], object], device: torch.device) -> None:
        self.fn = fn
        self.device = device
        self.times: list[float] = []

    def __call__(self) -> None:
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        stream = torch.cuda.current_stream(self.device)
        start.record(stream)
        self.fn()
        end.record(stream)
        end.synchronize()
        self.times.append(start.elapsed_time(end) / 1e3)


def l2_flusher(device: torch.device) -> Callable[[], None]:
    """A function that evicts the GPU's L2 cache (writes a buffer twice its size) and waits,
    so the next call starts cold, as a step in a real training loop would."""
    size = torch.cuda.get_device_properties(device).L2_cache_size or 64 * 2**20
    buffer = torch.empty(2 * size, dtype=torch.int8, device=device)

    def flush() -> None:
        buffer.zero_()
        torch.cuda.synchronize(device)

    return flush


def graphed(fn: Callable[[], object], device: torch.device, warmup: int = 3) -> Callable[[], None]:
    """`fn` captured once as a CUDA graph; the returned function replays it (no launch
    overhead). The work must be capturable: static shapes, no host synchronisation."""
    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(warmup):  # capture needs warmed-up allocator and cuDNN/cuBLAS state
            fn()
    torch.cuda.current_stream(device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return graph.replay


class CudaSection:
    """Everything GPU-side of one measurement: the event-timed (optionally graphed) target,
    the untimed work between calls (L2 flush, NVML sample) and the evidence afterwards."""

    def __init__(self, fn: Callable[[], object], device: torch.device, *, flush_l2: bool,
                 cuda_graph: bool, nvml: Any = None) -> None:
        self.device = device
        self.target = EventTimed(graphed(fn, device) if cuda_graph else fn, device)
        self.flush = l2_flusher(device) if flush_l2 else None
        index = device.index if device.index is not None else torch.cuda.current_device()
        uuid = str(getattr(torch.cuda.get_device_properties(index), "uuid", "") or "")
        self.monitor = GpuMonitor(index, uuid=f"GPU-{uuid}" if uuid else "", nvml=nvml)
        self.options = {"flush_l2": flush_l2, "cuda_graph": cuda_graph}

    def between(self) -> None:
        """Untimed, after every call."""
        if self.flush is not None:
            self.flush()
        self.monitor.sample()

    def evidence(self, warmup: int, host: Sequence[float]) -> tuple[tuple[float, ...], dict]:
        """The timed calls' GPU times, and details: host/event agreement, options, NVML."""
        events = tuple(self.target.times[warmup:])
        host_p50, event_p50 = statistics.median(host), statistics.median(events)
        return events, {
            "timer": "cuda_events",
            "host_ms_p50": round(host_p50 * 1e3, 6),
            "host_per_event": round(host_p50 / event_p50, 4) if event_p50 > 0 else None,
            **self.options,
            "gpu": self.monitor.stop(),
        }
