"""GPU-side measuring: NVML sampling and throttle warnings with a stand-in NVML object, the
doctor's clock advice, and (where a GPU exists) CUDA events, L2 flush and graph capture."""

import warnings

import pytest

from harness.doctor import check_gpu_clocks
from harness.measure.load import MachineLoad, NoiseWarning
from harness.measure.nvml import GpuMonitor, open_nvml, reason_names
from harness.plugin.fixtures import MetricRecorder, SpeedMeter


class FakeNvml:
    """The part of the NVML module (pynvml) the harness calls, with scripted readings."""

    # pylint: disable=invalid-name,missing-function-docstring  # NVML's own names and meanings

    NVML_CLOCK_SM, NVML_CLOCK_MEM, NVML_TEMPERATURE_GPU, NVML_FEATURE_ENABLED = 1, 2, 0, 1
    nvmlClocksEventReasonGpuIdle = 0x1
    nvmlClocksEventReasonApplicationsClocksSetting = 0x2
    nvmlClocksEventReasonSwPowerCap = 0x4
    nvmlClocksEventReasonHwSlowdown = 0x8
    nvmlClocksEventReasonUserDefinedClocks = 0x100
    nvmlClocksEventReasonSwThermalSlowdown = 0x20

    def __init__(self, sm_clocks, reasons=0, persistence=0, fail_init=False):
        self.sm_clocks = iter(sm_clocks)
        self.reasons = reasons
        self.persistence = persistence
        self.fail_init = fail_init

    def nvmlInit(self):
        if self.fail_init:
            raise RuntimeError("Driver Not Loaded")

    def nvmlDeviceGetCount(self):
        return 1

    def nvmlDeviceGetHandleByIndex(self, index):
        return ("gpu", index)

    def nvmlDeviceGetHandleByUUID(self, uuid):
        return ("gpu", uuid)

    def nvmlDeviceGetClockInfo(self, _handle, clock):
        return next(self.sm_clocks) if clock == self.NVML_CLOCK_SM else 2619

    def nvmlDeviceGetTemperature(self, _handle, _sensor):
        return 61

    def nvmlDeviceGetPowerUsage(self, _handle):
        return 412_500  # mW

    def nvmlDeviceGetCurrentClocksEventReasons(self, _handle):
        return self.reasons

    def nvmlDeviceGetPersistenceMode(self, _handle):
        return self.persistence

    def nvmlDeviceGetDefaultApplicationsClock(self, _handle, clock):
        return 1365 if clock == self.NVML_CLOCK_SM else 2619

    def nvmlDeviceGetMaxClockInfo(self, _handle, _clock):
        return 1980


def test_reasons_are_named_from_the_bits():
    mask = FakeNvml.nvmlClocksEventReasonSwPowerCap | FakeNvml.nvmlClocksEventReasonGpuIdle
    assert reason_names(mask, FakeNvml([])) == ["GpuIdle", "SwPowerCap"]


def test_monitor_summarises_clocks_power_and_throttling():
    nvml = FakeNvml([1980, 1950, 1755], reasons=FakeNvml.nvmlClocksEventReasonSwPowerCap)
    monitor = GpuMonitor(0, nvml=nvml)
    monitor.start()
    monitor.sample()
    gpu = monitor.stop()
    assert (gpu["samples"], gpu["sm_clock_mhz_min"], gpu["sm_clock_mhz_max"]) == (3, 1755, 1980)
    assert gpu["sm_clock_mhz_median"] == 1950 and gpu["mem_clock_mhz_max"] == 2619
    assert (gpu["temperature_c_max"], gpu["power_w_max"]) == (61, 412.5)
    assert gpu["throttled"] == ["SwPowerCap"] and gpu["clocks_locked"] is False


def test_locked_clocks_are_seen_as_user_defined_clocks():
    nvml = FakeNvml([1365] * 3, reasons=FakeNvml.nvmlClocksEventReasonUserDefinedClocks)
    monitor = GpuMonitor(uuid="GPU-1234", nvml=nvml)
    monitor.start()
    gpu = monitor.stop()
    assert gpu["clocks_locked"] is True and gpu["throttled"] == []


def test_without_nvml_the_monitor_says_why():
    assert open_nvml(FakeNvml([], fail_init=True))[1] == "NVML did not start: Driver Not Loaded"
    monitor = GpuMonitor(0, nvml=FakeNvml([], fail_init=True))
    monitor.start()
    assert monitor.stop() == {"nvml": "NVML did not start: Driver Not Loaded"}


def test_throttling_is_warned_about_in_the_run():
    nvml = FakeNvml([1980, 1410], reasons=FakeNvml.nvmlClocksEventReasonHwSlowdown)
    monitor = GpuMonitor(0, nvml=nvml)
    monitor.start()
    meter = SpeedMeter(None, "cpu", MetricRecorder("t.py::test_step", "run", len))
    quiet = MachineLoad(cores=2, busy=0.1, others_busy=0.0, runnable_mean=1.0, runnable_max=1,
                        loadavg_1m=0.1)
    with pytest.warns(NoiseWarning, match=r"t.py::test_step: 'train': the GPU throttled "
                      r"during the measurement \(HwSlowdown; SM clock 1410-1980 MHz\)"):
        meter._warn("train", quiet, monitor.stop())  # pylint: disable=protected-access
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        meter._warn("train", quiet, {})  # pylint: disable=protected-access


def test_gpu_options_need_a_cuda_device():
    meter = SpeedMeter(None, "cpu", MetricRecorder("t.py::test", "run", len))
    for option in ("flush_l2", "cuda_graph"):
        with pytest.raises(ValueError, match="need a CUDA device"):
            meter.measure(lambda: None, items=1, rounds=3, **{option: True})


def test_doctor_says_how_to_lock_clocks():
    (check,) = check_gpu_clocks(FakeNvml([1980]))
    assert check.status == "warn"
    assert check.detail == "GPU 0: persistence mode off, clocks not locked"
    assert "nvidia-smi -i 0 -pm 1" in check.fix and "-lgc 1365,1365" in check.fix
    assert "-lmc 2619,2619" in check.fix
    locked = FakeNvml([1365], reasons=FakeNvml.nvmlClocksEventReasonUserDefinedClocks,
                      persistence=1)
    assert check_gpu_clocks(locked)[0].status == "ok"
    (missing,) = check_gpu_clocks(FakeNvml([], fail_init=True))
    assert missing.status == "warn" and "Driver Not Loaded" in missing.detail


@pytest.mark.gpu
def test_cuda_measurement_uses_events_and_records_the_gpu():
    torch = pytest.importorskip("torch")
    device = torch.device("cuda")
    left = torch.randn(2048, 2048, device=device)
    recorder = MetricRecorder("t.py::test", "run", len)
    result = SpeedMeter(None, device, recorder).measure(lambda: left @ left, items=1,
                                                        name="mm", rounds=20)
    details = result.details
    assert details["timer"] == "cuda_events" and len(result.times) == 20
    assert details["host_per_event"] > 0 and "gpu" in details
    assert details["memory_source"] == "cuda_allocator"


@pytest.mark.gpu
def test_l2_flush_and_graph_capture_run_on_a_gpu():
    torch = pytest.importorskip("torch")
    device = torch.device("cuda")
    left = torch.randn(1024, 1024, device=device)
    out = torch.empty_like(left)
    meter = SpeedMeter(None, device, MetricRecorder("t.py::test", "run", len))
    flushed = meter.measure(lambda: torch.mm(left, left, out=out), items=1, name="flushed",
                            rounds=10, flush_l2=True)
    graphed = meter.measure(lambda: torch.mm(left, left, out=out), items=1, name="graphed",
                            rounds=10, cuda_graph=True)
    assert flushed.details["flush_l2"] and graphed.details["cuda_graph"]
    assert min(flushed.times) > 0 and min(graphed.times) > 0
    torch.testing.assert_close(out, left @ left)  # the replayed graph computed the product
