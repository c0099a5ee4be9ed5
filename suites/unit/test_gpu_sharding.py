"""`pytest -n 2` with two (faked) GPUs: each xdist worker runs on its own device."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CONFTEST = '''
import os
import pytest
from harness.measure.gpus import device_for_worker, visible_gpus

@pytest.fixture
def device():
    return device_for_worker(os.environ.get("PYTEST_XDIST_WORKER"), visible_gpus())
'''

TESTS = '''
import os
import pytest

@pytest.mark.parametrize("case", range(8))
def test_work(device, case):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    with open(os.environ["SHARD_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{worker} {device}\\n")
'''


@pytest.mark.slow  # a pytest-xdist session of two workers
def test_two_workers_get_two_distinct_devices(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_shard.py").write_text(TESTS)
    log = tmp_path / "shards.log"
    env = {**os.environ, "HARNESS_FAKE_GPUS": "2", "SHARD_LOG": str(log)}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    args = subprocess.run(
        [sys.executable, "-m", "harness.measure.gpus"], env=env, capture_output=True,
        text=True, check=True,
    ).stdout.split()
    assert args[:2] == ["-n", "2"]

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:harness", "-p", "no:cacheprovider", "-q",
         "-o", "addopts=", *args, "test_shard.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pairs = {tuple(line.split()) for line in log.read_text().splitlines()}
    assert pairs == {("gw0", "cuda:0"), ("gw1", "cuda:1")}
