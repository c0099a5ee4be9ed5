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
UNIT_SUITE = ("runs the unit suite",
              ["python", "-m", "pytest", "suites/unit", "-q", "-p", "no:cacheprovider"])
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


@dataclass(frozen=True)
class SmokeResult:
    """One check: passed or not, its output (tail) and how long it took."""

    image: str
    name: str
    ok: bool
    output: str
    seconds: float


def run_check(client: Any, image: str, name: str, command: list[str]) -> SmokeResult:
    """Run one command in a fresh container with no network; capture exit status and output."""
    started = time.perf_counter()
    container = client.containers.create(image, command, network_mode="none")
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
