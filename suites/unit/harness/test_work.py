"""Counted work: FLOPs and ATen operators of one call, and the speed fixture's metrics of them."""

import pytest
import torch

from harness.measure.work import WorkCount, count_work
from harness.plugin.fixtures import MetricRecorder, SpeedMeter


def test_a_matmul_counts_two_flops_per_multiply_add_and_one_operator():
    left, right = torch.randn(16, 32), torch.randn(32, 8)
    assert count_work(lambda: left @ right) == WorkCount(flops=2 * 16 * 32 * 8, aten_ops=1)


def test_a_convolution_counts_its_flops_forward_and_backward():
    conv = torch.nn.Conv2d(3, 4, kernel_size=3, bias=False)
    images = torch.randn(2, 3, 10, 10)
    forward = 2 * (2 * 4 * 8 * 8) * (3 * 3 * 3)  # outputs x multiply-adds per output
    assert count_work(lambda: conv(images)).flops == forward

    def train_step():
        conv.zero_grad()
        conv(images).sum().backward()

    # backward: the weights' gradient, and the input's where it needs one, each as costly
    # as the forward
    assert count_work(train_step).flops == 2 * forward
    images.requires_grad_()
    assert count_work(train_step).flops == 3 * forward


def test_redundant_work_shows_exactly_and_every_run_counts_the_same():
    weights = torch.randn(64, 64)

    def step(repeats: int):
        return lambda: [weights @ weights for _ in range(repeats)]

    counts = [count_work(step(10)) for _ in range(3)]
    assert counts[0] == counts[1] == counts[2]
    slower = count_work(step(11))
    assert slower.flops / counts[0].flops == pytest.approx(1.1)
    assert slower.aten_ops == counts[0].aten_ops + 1


def test_plain_python_work_is_not_counted():
    assert count_work(lambda: sum(range(1000))) is None


def test_the_speed_fixture_records_a_torch_workloads_counted_work():
    weights = torch.randn(32, 32)
    meter = SpeedMeter(None, "cpu", MetricRecorder("t.py::test", "run", len))
    result = meter.measure(lambda: torch.relu(weights @ weights), items=4, name="step",
                           rounds=5, warmup=1)
    recorded = {item.metric: item for item in meter.metrics.recorded}
    assert result.work == WorkCount(2 * 32 ** 3, 2)
    assert recorded["step_gflop"].value == pytest.approx(2 * 32 ** 3 / 1e9)
    assert recorded["step_gflop"].unit == "GFLOP"
    assert recorded["step_aten_ops"].value == 2
    assert not recorded["step_aten_ops"].higher_is_better


def test_counting_can_be_turned_off_and_plain_python_gets_no_work_metrics():
    weights = torch.randn(8, 8)
    meter = SpeedMeter(None, "cpu", MetricRecorder("t.py::test", "run", len))
    meter.measure(lambda: weights @ weights, items=1, name="off", rounds=3, warmup=0,
                  count=False)
    meter.measure(lambda: sum(range(100)), items=1, name="python", rounds=3, warmup=0)
    names = {item.metric for item in meter.metrics.recorded}
    assert "off_throughput" in names and "python_throughput" in names
    assert not {name for name in names if name.endswith(("_gflop", "_aten_ops"))}


def test_a_workload_the_counters_cannot_run_is_measured_without_its_count():
    calls = []

    def fails_when_counted():
        calls.append(1)
        if len(calls) > 4:  # the timed calls pass; the counted one after them fails
            raise RuntimeError("an operator the dispatch mode cannot run")
        return torch.ones(2) + 1

    meter = SpeedMeter(None, "cpu", MetricRecorder("t.py::test", "run", len))
    with pytest.warns(UserWarning, match="'step': its work was not counted .*count=False"):
        result = meter.measure(fails_when_counted, items=1, name="step", rounds=3, warmup=1)
    assert result.work is None and len(result.times) == 3
    assert "step_gflop" not in {item.metric for item in meter.metrics.recorded}
