"""Checks of what a runner needs: torch and CUDA, GPU clocks, the store, sheet credentials,
Docker, git.

Each check returns a `Check`: what was found, or what is wrong and how to fix it. Checks
never print or return a secret: URLs are redacted, credential files are parsed, not shown.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# (spreadsheet key, credentials path) -> None when the service account can open it, else why not
AccessCheck = Callable[[str, Path], "str | None"]


@dataclass(frozen=True)
class Check:
    """The outcome of one check. A failed check that is not required is only a warning."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    @property
    def status(self) -> str:
        """'ok', 'warn' (failed, not required) or 'FAIL'."""
        if self.ok:
            return "ok"
        return "FAIL" if self.required else "warn"

    @property
    def line(self) -> str:
        """One line for the terminal: status, name, what was found, how to fix it."""
        text = f"{self.status:<4} {self.name}: {self.detail}"
        return f"{text} -> {self.fix}" if self.fix and not self.ok else text


def _run(command: list[str], cwd: Path | None = None, timeout: float = 20) -> tuple[int, str]:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        return 127, str(error)
    return done.returncode, (done.stdout.strip() or done.stderr.strip())


def check_torch(require_gpu: bool) -> list[Check]:
    """torch imports; CUDA devices are visible (required only on GPU runners)."""
    try:
        import torch  # pylint: disable=import-outside-toplevel  # slow; only the doctor needs it
    except ImportError as error:
        fix = "install the pinned torch flavour, e.g. pip install torch==2.13.0"
        return [Check("torch", False, f"cannot import torch ({error})", fix)]
    found = [Check("torch", True, f"torch {torch.__version__}")]
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        found.append(Check("cuda", True, f"CUDA {torch.version.cuda}: {len(names)} GPU(s): "
                                         + ", ".join(names), required=require_gpu))
    else:
        hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
        reason = ("CUDA_VISIBLE_DEVICES hides every GPU" if hidden is not None and not
                  hidden.strip() else f"no CUDA device visible (torch CUDA build: "
                  f"{torch.version.cuda or 'none, a CPU build'})")
        fix = ("install a CUDA build of torch and the NVIDIA driver; check nvidia-smi and "
               "CUDA_VISIBLE_DEVICES")
        found.append(Check("cuda", False, reason, fix, required=require_gpu))
    return found


def check_store(url: str, shown: str) -> Check:
    """The store opens (an existing one is upgraded in place); a new SQLite file can be made.

    `shown` is the URL with its password hidden: the only form that appears in the result.
    """
    # pylint: disable=import-outside-toplevel  # SQLAlchemy engines only when checking
    from harness.store import Store, StoreError

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            folder = next((p for p in (path.parent, *path.parents) if p.exists()), Path("/"))
            if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
                return Check("store", True, f"{path} does not exist yet; the first run creates it")
            return Check("store", False, f"cannot create {path}: {folder} is not a writable "
                         "folder", "set HARNESS_STORE (or [tool.harness] store) to a writable "
                         "path or a database URL")
    try:
        store = Store.open(url, create=False)
    except (StoreError, ValueError) as error:
        return Check("store", False, str(error).replace(url, shown),
                     "start the database or fix HARNESS_STORE / [tool.harness] store")
    try:
        runs = len(store.runs(limit=1000))
        version = store.schema_version
    finally:
        store.close()
    return Check("store", True, f"{shown}: schema v{version}, {runs}{'+' if runs == 1000 else ''}"
                 " runs")


def check_sheet(
    sheet_key: str | None, credentials: Path | None, access_check: AccessCheck | None = None
) -> list[Check]:
    """Service-account credentials are readable and valid; the spreadsheet is shared with it."""
    if not sheet_key:
        return [Check("sheet", True, "no spreadsheet configured: runs publish to the local "
                      "workbook", required=False)]
    how = "set HARNESS_SHEET_CREDENTIALS to the service-account JSON key file"
    if credentials is None:
        return [Check("sheet credentials", False, f"spreadsheet {sheet_key} is configured but "
                      "no credentials are", how)]
    try:
        data = json.loads(credentials.read_text(encoding="utf-8"))
    except OSError as error:
        return [Check("sheet credentials", False, f"cannot read {credentials}: "
                      f"{error.strerror or error}", how)]
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [Check("sheet credentials", False, f"{credentials} is not a JSON key file",
                      "download a new JSON key for the service account")]
    missing = [key for key in ("client_email", "private_key", "token_uri")
               if not isinstance(data, dict) or not data.get(key)]
    if missing or data.get("type") != "service_account":
        return [Check("sheet credentials", False, f"{credentials} is not a service-account key "
                      f"(missing: {', '.join(missing) or 'type service_account'})",
                      "create a key for a service account (IAM > Service accounts > Keys)")]
    account = data["client_email"]
    found = [Check("sheet credentials", True, f"{credentials}: service account {account}")]
    if stat.S_IMODE(credentials.stat().st_mode) & 0o077:
        found.append(Check("sheet credentials mode", False, f"{credentials} is readable by "
                           "other users", f"chmod 600 {credentials}", required=False))
    if access_check is None:
        found.append(Check("sheet access", False, "not checked: this harness has no sheet "
                           "publisher installed", "pip install 'torch-regression-harness[sheet]'",
                           required=False))
    else:
        problem = access_check(sheet_key, credentials)
        found.append(Check("sheet access", problem is None, problem or
                           f"spreadsheet {sheet_key} opens as {account}",
                           f"share the spreadsheet with {account} (Editor)"))
    return found


def check_docker(required: bool) -> Check:
    """The Docker engine answers (docker SDK when installed, else `docker info`)."""
    fix = "start the engine (systemctl start docker, or dockerd) or set DOCKER_HOST"
    try:
        import docker  # pylint: disable=import-outside-toplevel  # optional dependency
    except ImportError:
        docker = None
    if docker is not None:
        try:
            client = docker.from_env(timeout=10)
            version = client.version().get("Version", "?")
            client.close()
        except docker.errors.DockerException as error:
            return Check("docker", False, f"engine not reachable ({error})", fix, required)
        return Check("docker", True, f"engine {version}", required=required)
    if shutil.which("docker") is None:
        return Check("docker", False, "neither the docker SDK nor the docker CLI is installed",
                     "pip install 'torch-regression-harness[images]' or install docker", required)
    code, output = _run(["docker", "info", "--format", "{{.ServerVersion}}"])
    if code != 0:
        return Check("docker", False, f"engine not reachable ({output.splitlines()[-1:]})",
                     fix, required)
    return Check("docker", True, f"engine {output}", required=required)


def check_git(folder: Path) -> list[Check]:
    """`folder` is inside a git repository with a commit; history is not shallow."""
    if shutil.which("git") is None:
        return [Check("git", False, "git is not installed", "install git")]
    code, top = _run(["git", "rev-parse", "--show-toplevel"], folder)
    if code != 0:
        return [Check("git", False, f"{folder} is not inside a git repository",
                      "run harness from a clone of the repository under test")]
    code, head = _run(["git", "rev-parse", "--short=12", "HEAD"], folder)
    if code != 0:
        return [Check("git", False, f"{top} has no commit yet", "commit the code under test")]
    found = [Check("git", True, f"{top} at {head}")]
    _, shallow = _run(["git", "rev-parse", "--is-shallow-repository"], folder)
    if shallow == "true":
        found.append(Check("git history", False, "shallow clone: suspect ranges and bisection "
                           "need history", "git fetch --unshallow (actions/checkout: "
                           "fetch-depth: 0)", required=False))
    return found


def check_gpu_clocks(nvml: Any = None) -> list[Check]:
    """Per GPU: persistence mode and locked clocks (NVML); the fix says how to lock them.
    Warnings only: unlocked clocks make GPU timings noisier, not wrong."""
    # pylint: disable-next=import-outside-toplevel  # NVML only for --gpu
    from harness.measure.nvml import open_nvml, reason_names

    opened, why = open_nvml(nvml)
    if opened is None:
        return [Check("gpu clocks", False, why, "pip install 'harness[gpu]' (nvidia-ml-py), "
                      "then rerun: it says how to lock the clocks", required=False)]
    found = []
    for index in range(opened.nvmlDeviceGetCount()):
        handle = opened.nvmlDeviceGetHandleByIndex(index)
        persistent = opened.nvmlDeviceGetPersistenceMode(handle) == opened.NVML_FEATURE_ENABLED
        reasons = reason_names(opened.nvmlDeviceGetCurrentClocksEventReasons(handle), opened)
        locked = "UserDefinedClocks" in reasons
        sm_clock = _clock_to_lock(opened, handle, opened.NVML_CLOCK_SM)
        mem_clock = _clock_to_lock(opened, handle, opened.NVML_CLOCK_MEM)
        detail = (f"GPU {index}: persistence mode {'on' if persistent else 'off'}, clocks "
                  f"{'locked' if locked else 'not locked'}")
        fix = (f"sudo nvidia-smi -i {index} -pm 1 (persistence mode); "
               f"sudo nvidia-smi -i {index} -lgc {sm_clock},{sm_clock} (lock the SM clock at "
               f"its base, which holds under heat and power limits); "
               f"sudo nvidia-smi -i {index} -lmc {mem_clock},{mem_clock} (memory clock, where "
               "supported); undo with -rgc / -rmc")
        found.append(Check(f"gpu {index} clocks", persistent and locked, detail, fix,
                           required=False))
    return found


def _clock_to_lock(nvml: Any, handle: Any, clock: int) -> int:
    """The default application clock (the base clock), else the maximum."""
    try:
        return int(nvml.nvmlDeviceGetDefaultApplicationsClock(handle, clock))
    except Exception:  # pylint: disable=broad-exception-caught  # NVMLError_NotSupported
        return int(nvml.nvmlDeviceGetMaxClockInfo(handle, clock))
