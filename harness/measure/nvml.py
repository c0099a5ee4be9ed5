"""GPU clocks, temperature, power and throttle reasons during a measurement, through NVML.

Uses `nvidia-ml-py` (the `gpu` extra; imported as `pynvml`) when it is installed and a driver
answers; otherwise the monitor records why it has nothing. Tests pass a stand-in NVML object.
"""

from __future__ import annotations

import statistics
from typing import Any

# Reasons that slow the clocks down below what the workload asks for (NVML's names).
SLOWDOWNS = ("HwSlowdown", "HwThermalSlowdown", "HwPowerBrakeSlowdown", "SwThermalSlowdown",
             "SwPowerCap")
REASONS = ("GpuIdle", "ApplicationsClocksSetting", "UserDefinedClocks", "SyncBoost",
           "DisplayClockSetting", *SLOWDOWNS)


def reason_names(mask: int, nvml: Any) -> list[str]:
    """NVML's clock event (throttle) reason bits in `mask`, by name."""
    return [name for name in REASONS if mask & getattr(nvml, f"nvmlClocksEventReason{name}", 0)]


def open_nvml(nvml: Any = None) -> tuple[Any, str]:
    """An initialised NVML module and '' , or None and why there is none."""
    if nvml is None:
        try:
            import pynvml  # pylint: disable=import-outside-toplevel  # optional: the gpu extra
        except ImportError:
            return None, "nvidia-ml-py is not installed (pip install 'harness[gpu]')"
        nvml = pynvml
    try:
        nvml.nvmlInit()
    except Exception as error:  # pylint: disable=broad-exception-caught  # NVMLError subclasses
        return None, f"NVML did not start: {error}"
    return nvml, ""


class GpuMonitor:
    """Samples one GPU between rounds: `start()`, `sample()`, `stop()` for the figures."""

    def __init__(self, index: int = 0, uuid: str = "", nvml: Any = None) -> None:
        self.nvml, self.unavailable = open_nvml(nvml)
        self.handle = None
        if self.nvml is not None:
            try:
                self.handle = (self.nvml.nvmlDeviceGetHandleByUUID(uuid) if uuid
                               else self.nvml.nvmlDeviceGetHandleByIndex(index))
            except Exception as error:  # pylint: disable=broad-exception-caught  # NVMLError
                self.unavailable = f"NVML has no GPU {uuid or index}: {error}"
        self.samples: list[dict[str, float]] = []
        self.reasons = 0

    def start(self) -> None:
        """Begin the section."""
        self.samples, self.reasons = [], 0
        self.sample()

    def sample(self) -> None:
        """Read clocks, temperature, power and throttle reasons now."""
        nvml, handle = self.nvml, self.handle
        if nvml is None or handle is None:
            return
        self.samples.append({
            "sm": nvml.nvmlDeviceGetClockInfo(handle, nvml.NVML_CLOCK_SM),
            "mem": nvml.nvmlDeviceGetClockInfo(handle, nvml.NVML_CLOCK_MEM),
            "temperature": nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU),
            "power": nvml.nvmlDeviceGetPowerUsage(handle) / 1000,  # mW -> W
        })
        self.reasons |= int(nvml.nvmlDeviceGetCurrentClocksEventReasons(handle))

    def stop(self) -> dict[str, Any]:
        """The section's figures for `Measurement.details["gpu"]`."""
        self.sample()
        if not self.samples:
            return {"nvml": self.unavailable or "no samples"}
        column = {key: [sample[key] for sample in self.samples] for key in self.samples[0]}
        names = reason_names(self.reasons, self.nvml)
        return {
            "samples": len(self.samples),
            "sm_clock_mhz_min": min(column["sm"]),
            "sm_clock_mhz_max": max(column["sm"]),
            "sm_clock_mhz_median": statistics.median(column["sm"]),
            "mem_clock_mhz_min": min(column["mem"]),
            "mem_clock_mhz_max": max(column["mem"]),
            "temperature_c_max": max(column["temperature"]),
            "power_w_mean": round(statistics.fmean(column["power"]), 1),
            "power_w_max": round(max(column["power"]), 1),
            "throttle_reasons": names,
            "throttled": [name for name in names if name in SLOWDOWNS],
            # `nvidia-smi -lgc` shows as user-defined clocks; `-ac` as application clocks.
            "clocks_locked": "UserDefinedClocks" in names,
        }
