"""The noise evidence of one speed measurement, as `Measurement.details`.

Keys (all speed metrics of a measurement carry the shared ones; the CI keys are per metric):
- `rounds`, `warmup`, `ended_by` ("rounds" fixed, "ci" target reached, "budget",
  "max_rounds"), `elapsed_s`, and for adaptive rounds `target_ci` and `budget_s`;
- `ci_low`, `ci_high` (in the metric's unit), `ci_rel` (relative half-width of the 95 %
  distribution-free CI of the metric's quantile), `mdc_rel` (the minimum detectable change
  of two such measurements at 95 % confidence and 80 % power, if nothing varied between
  runs: a lower bound for detection's noise estimate);
- `threads` (torch intra-op threads, None for plain Python), `cpu_ms_p50` (process CPU time
  per call) and `cpu_per_wall` (median CPU/wall per call: about the threads kept busy);
- the machine's load (harness.measure.load.MachineLoad.as_details) and memory
  (harness.measure.timing.PeakMemory.as_details); on GPU a `gpu` dict (clocks, throttling).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.measure.rounds import minimum_detectable_change, quantile_ci, relative_half_width
from harness.measure.timing import percentile


def quantile_evidence(times: Sequence[float], fraction: float, scale: float = 1.0,
                      invert: float | None = None) -> dict[str, Any]:
    """CI keys of the `fraction` quantile of `times`, in units of `times * scale`; with
    `invert` the metric is `invert / quantile` (a throughput), its interval reversed."""
    centre = percentile(times, fraction)
    interval = quantile_ci(times, fraction)
    width = relative_half_width(interval, centre)
    if interval is None:
        low = high = None
    elif invert is not None:
        low, high = invert / interval[1], invert / interval[0]
    else:
        low, high = interval[0] * scale, interval[1] * scale
    return {"ci_low": _round(low), "ci_high": _round(high), "ci_rel": _round(width),
            "mdc_rel": _round(minimum_detectable_change(width))}


def shared_evidence(*, wall: Sequence[float], cpu: Sequence[float],
                    parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The keys every speed metric of one measurement carries: CPU time and the `parts`
    (rounds, threads, load, memory, GPU) merged in order."""
    ratios = [spent / took for spent, took in zip(cpu, wall) if took > 0]
    details: dict[str, Any] = {
        "cpu_ms_p50": _round(percentile(cpu, 0.5) * 1e3) if cpu else None,
        "cpu_per_wall": _round(percentile(ratios, 0.5)) if ratios else None,
    }
    for part in parts:
        details.update(part)
    return details


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")
