"""The environment fingerprint: software stack and hardware a run executed on.

Identity is configurable, so history is split only where numbers really stop being
comparable:

Both are settings (harness.settings): option, environment, `[tool.harness]`, default.

- `HARNESS_TESTBED` (or `[tool.harness] testbed`) names the testbed (default: the host
  name). Fleets give every runner of one hardware class the same name; ephemeral CI
  runners (a new host name per job) must set it, or every run starts a new segment.
- `HARNESS_DEPS_DIGEST` is the digest of the image's dependency layers (the stage with
  CUDA, torch and the Python packages, not the layer with the code under test). The image
  build sets it, e.g. `ARG DEPS_DIGEST` / `ENV HARNESS_DEPS_DIGEST=$DEPS_DIGEST` from the
  dependency stage's digest, so an image built per commit does not split history.
  `HARNESS_IMAGE_DIGEST` (the whole image) is the fallback, for images without code layers.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import platform
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from harness.records import Environment
from harness.settings import Settings, resolve

def testbed(settings: Settings | None = None) -> str:
    """The testbed's name in the fingerprint: the `testbed` setting, else the host name."""
    return str((settings or resolve()).testbed) or socket.gethostname()


def image_digest(settings: Settings | None = None) -> str:
    """The digest that identifies the software image: its dependency layers' digest
    (HARNESS_DEPS_DIGEST), else the whole image's (HARNESS_IMAGE_DIGEST), else ''."""
    return str((settings or resolve()).image_digest)


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, or what `platform` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def ci_run_url() -> str:
    """A link to the CI job that made this run, when running under a known CI system."""
    if os.environ.get("GITHUB_RUN_ID"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        return (
            f"{server}/{os.environ.get('GITHUB_REPOSITORY', '')}/actions/runs/"
            + os.environ["GITHUB_RUN_ID"]
        )
    return os.environ.get("CI_JOB_URL") or os.environ.get("BUILD_URL", "")


def gpu_driver() -> str:
    """The NVIDIA driver version from nvidia-smi, or '' without one."""
    if not shutil.which("nvidia-smi"):
        return ""
    try:
        completed = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = completed.stdout.strip().splitlines()
    return lines[0].strip() if completed.returncode == 0 and lines else ""


def torch_build() -> dict:
    """torch's and its CUDA's versions, read from torch's generated `version.py` without
    importing torch (seconds, and never wanted by code that does not use it); {} without."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return {}
    found: dict[str, object] = {}
    try:
        tree = ast.parse(Path(spec.origin).with_name("version.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
            found[target.id] = value.value
    return {"torch": str(found.get("__version__") or ""), "cuda": str(found.get("cuda") or "")}


def torch_details() -> dict:
    """torch, CUDA and cuDNN versions and the visible GPUs; {} when torch is absent.

    torch is not imported for this: when the code under test has not loaded it, the versions
    come from its version file, and cuDNN and the GPUs (known only through torch) are left out.
    """
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "cuda"):
        return torch_build()
    details: dict[str, object] = {"torch": str(torch.__version__),
                                  "cuda": torch.version.cuda or ""}
    if torch.cuda.is_available():
        details["cudnn"] = str(torch.backends.cudnn.version() or "")
        details["gpu_count"] = torch.cuda.device_count()
        details["gpu_name"] = torch.cuda.get_device_name(0)
        details["gpu_driver"] = gpu_driver()
    return details


def installed_packages() -> tuple[tuple[str, str], ...]:
    """(distribution, version) of every installed Python package, sorted by name."""
    from importlib import metadata  # pylint: disable=import-outside-toplevel  # once a run

    found = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            found[str(name).lower()] = str(distribution.version)
    return tuple(sorted(found.items()))


def collect_environment() -> Environment:
    """Everything that makes two runs comparable or not (see records.FINGERPRINT_FIELDS)."""
    settings = resolve()  # read pyproject once for both identity settings
    return Environment(
        python=platform.python_version(),
        cpu_model=cpu_model(),
        hostname=testbed(settings),
        platform=f"{platform.system()} {platform.release()} {platform.machine()}",
        ci_url=ci_run_url(),
        image_digest=image_digest(settings),
        packages=installed_packages(),
        **torch_details(),
    )


__all__ = ["collect_environment", "cpu_model", "ci_run_url", "image_digest",
           "installed_packages", "testbed"]
