"""Which GPUs are visible and which one each xdist worker gets (faked device lists)."""

from __future__ import annotations

import pytest

from harness.measure.gpus import (
    device_for_worker,
    select_visible,
    visible_gpus,
    worker_count,
    xdist_args,
)

UUIDS = ["GPU-aaaa-1", "GPU-bbbb-2", "GPU-cccc-3", "GPU-dddd-4"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, UUIDS),
        ("", []),
        ("2,0", ["GPU-cccc-3", "GPU-aaaa-1"]),
        ("1, 7, 2", ["GPU-bbbb-2"]),  # CUDA stops at the first entry naming no GPU
        ("-1", []),
        ("0,0,1", ["GPU-aaaa-1"]),  # a repeated GPU ends the list too
        ("GPU-dddd,GPU-aaaa-1", ["GPU-dddd-4", "GPU-aaaa-1"]),
        ("GPU-", []),  # an ambiguous UUID prefix names no single GPU
    ],
)
def test_cuda_visible_devices_is_read_the_way_cuda_reads_it(value, expected):
    assert select_visible(UUIDS, value) == expected


def test_fake_gpus_stand_in_for_real_ones_and_respect_cuda_visible_devices():
    assert visible_gpus({"HARNESS_FAKE_GPUS": "3"}) == ["cuda:0", "cuda:1", "cuda:2"]
    assert visible_gpus({"HARNESS_FAKE_GPUS": "3", "CUDA_VISIBLE_DEVICES": "2"}) == ["cuda:0"]
    assert visible_gpus({"HARNESS_FAKE_GPUS": "0"}) == []


@pytest.mark.parametrize("value", ["two", "-1", "1.5"])
def test_a_bad_fake_gpu_count_is_a_clear_error(value):
    with pytest.raises(ValueError, match="HARNESS_FAKE_GPUS must be a whole number"):
        visible_gpus({"HARNESS_FAKE_GPUS": value})


def test_one_worker_per_gpu_and_no_xdist_for_a_single_device():
    assert worker_count(["cuda:0", "cuda:1", "cuda:2"]) == 3
    assert worker_count(["cuda:0"]) == 0
    assert worker_count([]) == 0
    assert worker_count(["cuda:0"], requested=4) == 4
    assert xdist_args(["cuda:0", "cuda:1"]) == ["-n", "2", "--dist", "load"]
    assert not xdist_args(["cuda:0"])


@pytest.mark.parametrize(
    ("worker", "gpus", "expected"),
    [
        ("gw0", ["cuda:0", "cuda:1"], "cuda:0"),
        ("gw3", ["cuda:0", "cuda:1"], "cuda:1"),
        ("gw2", ["cuda:0", "cuda:1", "cuda:2"], "cuda:2"),
        (None, ["cuda:0", "cuda:1"], "cuda:0"),
        ("master", ["cuda:0"], "cuda:0"),
        ("gw5", [], "cpu"),
    ],
)
def test_each_worker_is_pinned_to_one_gpu(worker, gpus, expected):
    assert device_for_worker(worker, gpus) == expected


def test_an_unknown_worker_id_is_refused():
    with pytest.raises(ValueError, match="not a pytest-xdist worker id"):
        device_for_worker("worker-1", ["cuda:0"])
