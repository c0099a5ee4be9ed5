"""Which GPUs this process may use, and which one each pytest-xdist worker gets.

Pure logic with no torch import, so nox can call it before any test environment exists:
`python -m harness.measure.gpus` prints the xdist arguments for one worker per visible GPU.
`CUDA_VISIBLE_DEVICES` is honoured the way CUDA reads it, and `HARNESS_FAKE_GPUS=N` stands in
for N GPUs so the sharding can be tested on a machine without one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence

FAKE_GPUS_ENV = "HARNESS_FAKE_GPUS"
_WORKER_ID = re.compile(r"gw(\d+)")
_NVIDIA_SMI_GPU = re.compile(r"^GPU (\d+): .*\(UUID: (GPU-[0-9a-fA-F-]+)\)")


def physical_gpus() -> list[str]:
    """The UUIDs of every GPU the driver reports (`nvidia-smi -L`), in index order."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        listing = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30,
                                 check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = (_NVIDIA_SMI_GPU.match(line) for line in listing.stdout.splitlines())
    return [match.group(2) for match in found if match]


def _fake_gpus(value: str) -> list[str]:
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"{FAKE_GPUS_ENV} must be a whole number of GPUs, not {value!r}")
    return [f"GPU-fake-{index}" for index in range(count)]


def select_visible(uuids: Sequence[str], cuda_visible_devices: str | None) -> list[str]:
    """The GPUs left after CUDA_VISIBLE_DEVICES, in the order CUDA numbers them.

    Entries are indices or UUID prefixes; as in CUDA, the first entry that names no GPU (or
    repeats one) ends the list, and an empty value hides every GPU.
    """
    if cuda_visible_devices is None:
        return list(uuids)
    chosen: list[str] = []
    for entry in (part.strip() for part in cuda_visible_devices.split(",")):
        if entry.isdigit() and int(entry) < len(uuids):
            match = [uuids[int(entry)]]
        elif entry.startswith("GPU-"):
            match = [uuid for uuid in uuids if uuid.startswith(entry)]
        else:
            match = []
        if len(match) != 1 or match[0] in chosen:
            break
        chosen.append(match[0])
    return chosen


def visible_gpus(environ: Mapping[str, str] | None = None) -> list[str]:
    """Device names ("cuda:0", "cuda:1", ...) of the GPUs this process may use."""
    env = os.environ if environ is None else environ
    fake = env.get(FAKE_GPUS_ENV, "").strip()
    uuids = _fake_gpus(fake) if fake else physical_gpus()
    visible = select_visible(uuids, env.get("CUDA_VISIBLE_DEVICES"))
    return [f"cuda:{index}" for index in range(len(visible))]


def worker_count(gpus: Sequence[str], requested: int | None = None) -> int:
    """How many xdist workers to start: one per GPU (0 means run without xdist)."""
    if requested is not None:
        if requested < 0:
            raise ValueError("the number of workers cannot be negative")
        return requested
    return len(gpus) if len(gpus) > 1 else 0


def xdist_args(gpus: Sequence[str], requested: int | None = None) -> list[str]:
    """pytest arguments that shard tests one worker per GPU (none for a single device)."""
    count = worker_count(gpus, requested)
    return ["-n", str(count), "--dist", "load"] if count else []


def device_for_worker(worker_id: str | None, gpus: Sequence[str]) -> str:
    """The device a worker is pinned to: worker gwN gets GPU N modulo the GPU count.

    `worker_id` is pytest-xdist's PYTEST_XDIST_WORKER ("gw0", ...); None or "master" means
    no xdist, which gets the first GPU. Without GPUs every worker gets "cpu".
    """
    if not gpus:
        return "cpu"
    if worker_id in (None, "", "master"):
        return gpus[0]
    match = _WORKER_ID.fullmatch(worker_id)
    if match is None:
        raise ValueError(f"not a pytest-xdist worker id: {worker_id!r} (expected gw0, gw1, ...)")
    return gpus[int(match.group(1)) % len(gpus)]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the xdist arguments for this machine (what `nox -s integration` passes)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        gpus = visible_gpus()
    except ValueError as error:
        print(f"harness: error: {error}", file=sys.stderr)
        return 2
    if args == ["--list"]:
        print("\n".join(gpus))
    else:
        print(" ".join(xdist_args(gpus)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
