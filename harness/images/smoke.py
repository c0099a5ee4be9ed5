"""Smoke tests: commands run inside an image with networking off."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

BASE_CHECKS: tuple[tuple[str, list[str]], ...] = (
    ("runs as a non-root user", ["sh", "-c", 'test "$(id -u)" != 0 && id']),
    ("imports torch and harness",
     ["python", "-c", "import torch, harness; print('torch', torch.__version__)"]),
    ("has no network", ["python", "-c",
                        "import socket\ntry:\n socket.create_connection(('1.1.1.1', 53), 2)\n"
                        "except OSError as e:\n print('offline:', e)\n"
                        "else:\n raise SystemExit(1)"]),
)
# The image's /app is read-only to its user: the suite measures but records nothing.
UNIT_SUITE = ("runs the unit suite",
              ["python", "-m", "pytest", "suites/unit", "-q", "-p", "no:cacheprovider",
               "--harness-no-record"])
DEBUG_CHECKS: tuple[tuple[str, list[str]], ...] = (
    ("vim runs", ["vim", "--version"]),
    ("ipython runs", ["ipython", "--quick", "-c",
                      "import matplotlib; print(matplotlib.__version__)"]),
    ("matplotlib draws", ["python", "-c",
                          "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as p;"
                          " p.plot([1, 2]); p.savefig('/tmp/smoke.png'); print('ok')"]),
    ("py-spy samples a process", ["py-spy", "record", "--duration", "1", "--nonblocking",
                                  "--idle", "--output", "/tmp/profile.txt", "--format", "raw", "--",
                                  "python", "-c", "import time; time.sleep(3)"]),
    ("gdb runs", ["gdb", "--batch", "--version"]),
    ("procps and strace run", ["sh", "-c", "ps -o pid,comm && strace -V"]),
)


# The CUDA flavour on any host: torch is the CUDA build and its libraries load without a driver.
CUDA_CHECKS: tuple[tuple[str, list[str]], ...] = (
    ("torch is a CUDA build; the CUDA libraries it loads lazily load", ["python", "-c",
     "import ctypes, glob, os, torch\nassert torch.version.cuda, 'not a CUDA build'\n"
     "nvidia = os.path.join(os.path.dirname(torch.__file__), os.pardir, 'nvidia')\n"
     "for pattern in ('*/lib/libnvrtc.so.*', '*/lib/libnvrtc-builtins.so.*',"
     " '*/lib/libcupti.so.*', 'cudnn/lib/libcudnn*.so.*', 'nccl/lib/libnccl.so.*'):\n"
     " found = glob.glob(os.path.join(nvidia, pattern))\n assert found, pattern\n"
     " for path in found:\n  ctypes.CDLL(path)\n"
     "print('CUDA', torch.version.cuda, 'cuDNN', torch.backends.cudnn.version(),"
     " 'GPU visible:', torch.cuda.is_available())"]),
)
# The CUDA flavour on a GPU host (container toolkit installed): the GPU and one training step.
GPU_CHECKS: tuple[tuple[str, list[str]], ...] = (
    ("torch.cuda.is_available()", ["python", "-c",
     "import torch\nassert torch.cuda.is_available(), 'no GPU in the container'\n"
     "print(torch.cuda.device_count(), torch.cuda.get_device_name(0))"]),
    ("one training step on the GPU", ["python", "-c",
     "import torch\nmodel = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(),"
     " torch.nn.Flatten(), torch.nn.Linear(8 * 26 * 26, 10)).cuda()\n"
     "opt = torch.optim.AdamW(model.parameters())\n"
     "x = torch.randn(64, 1, 28, 28, device='cuda')\n"
     "y = torch.randint(0, 10, (64,), device='cuda')\n"
     "loss = torch.nn.functional.cross_entropy(model(x), y)\nloss.backward()\nopt.step()\n"
     "torch.cuda.synchronize()\nprint('loss', float(loss))"]),
)


@dataclass(frozen=True)
class SmokeResult:
    """One check: passed or not, its output (tail) and how long it took; `skipped` says why a
    check did not run (it then counts as passed)."""

    image: str
    name: str
    ok: bool
    output: str
    seconds: float
    skipped: str = ""


def gpu_unavailable(client: Any) -> str:
    """Why containers here cannot get a GPU ('' when they can: a GPU and NVIDIA's runtime)."""
    # pylint: disable-next=import-outside-toplevel  # nvidia-smi is looked up only here
    from harness.measure.gpus import physical_gpus

    if not physical_gpus():
        return "no GPU on this host (nvidia-smi lists none)"
    if "nvidia" not in client.info().get("Runtimes", {}):
        return "the engine has no nvidia runtime (install the NVIDIA container toolkit)"
    return ""


def run_check(client: Any, image: str, name: str, command: list[str],
              gpus: bool = False) -> SmokeResult:
    """Run one command in a fresh container with no network; capture exit status and output.

    `gpus` gives the container every GPU (docker run --gpus all).
    """
    started = time.perf_counter()
    options: dict[str, Any] = {"network_mode": "none"}
    if gpus:
        import docker  # pylint: disable=import-outside-toplevel  # optional extra 'images'

        options["device_requests"] = [docker.types.DeviceRequest(count=-1,
                                                                 capabilities=[["gpu"]])]
    container = client.containers.create(image, command, **options)
    try:
        container.start()
        status = container.wait(timeout=600)
        output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    finally:
        container.remove(force=True)
    tail = "\n".join(output.strip().splitlines()[-15:])
    return SmokeResult(image, name, status.get("StatusCode") == 0, tail,
                       time.perf_counter() - started)


def smoke(client: Any, image: str, checks: tuple[tuple[str, list[str]], ...]
          ) -> list[SmokeResult]:
    """Every check, in order (a failure does not stop the others)."""
    return [run_check(client, image, name, command) for name, command in checks]


def smoke_gpu(client: Any, image: str) -> list[SmokeResult]:
    """The GPU checks with every GPU given to the container; skipped, with why, without one."""
    reason = gpu_unavailable(client)
    if reason:
        return [SmokeResult(image, name, True, "", 0.0, skipped=reason) for name, _ in GPU_CHECKS]
    return [run_check(client, image, name, command, gpus=True) for name, command in GPU_CHECKS]
