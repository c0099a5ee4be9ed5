"""benchmarks/gpu_check.sh on a machine without a GPU: every GPU step skipped, with its reason,
one table, exit 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the GPU check script end to end (CI runs it; see noxfile.py)

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.sh"
GPU_STEPS = ("harness doctor --gpu", "unit suite (GPU tests)", "integration, GPU profile",
             "CUDA event vs host clock", "noise benchmark, GPU", "multi-GPU sharding")


def test_without_a_gpu_every_gpu_step_is_skipped_and_the_script_passes(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: this test checks the behaviour without one")
    if not SCRIPT.is_file():
        pytest.skip("benchmarks/ is not here (the images leave it out)")
    if shutil.which("bash") is None or shutil.which("timeout") is None:
        pytest.skip("needs bash and coreutils' timeout")
    # A tiny whole-script budget: the one CPU step (timing benchmark) is skipped for it, so the
    # test stays fast while the table and the skip reasons are checked for real.
    env = dict(os.environ, PYTHON=sys.executable, GPU_CHECK_BUDGET_S="1", TMPDIR=str(tmp_path))
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines()
            if line.startswith("| ") and not line.startswith("| step")}
    for step in GPU_STEPS:
        assert "skipped" in rows[step] and "no GPU" in rows[step], rows.get(step)
    assert "script budget" in rows["timing benchmark"]
    assert "| ok " in rows["total"] and "GPUs: 0" in rows["total"]
    assert not list(tmp_path.iterdir()), "the work folder was not removed"
