"""Fixtures of the adoption test: the harness as a built wheel, installed into a fresh venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT_S = 900


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess:
    """Run a command, capturing its output; a failure shows the output's tail."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT_S, check=False)
    assert done.returncode == 0, f"{' '.join(args)}: exit {done.returncode}\n" \
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def clean_env(bin_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """This environment without harness settings, CI variables or our virtualenv."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HARNESS_", "GITHUB_", "NOX", "PYTEST_"))
           and name not in ("VIRTUAL_ENV", "PYTHONPATH", "GOOGLE_APPLICATION_CREDENTIALS")}
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env | extra


@pytest.fixture(scope="session", name="wheel")
def fixture_wheel(tmp_path_factory) -> Path:
    """The harness wheel, built from a copy of this checkout's files (no stale build/)."""
    source = tmp_path_factory.mktemp("source")
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], ROOT).stdout
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        ROOT, clean_env())
    (wheel,) = dist.glob("*.whl")
    return wheel


@pytest.fixture(scope="session", name="adopter_bin")
def fixture_adopter_bin(tmp_path_factory, wheel: Path) -> Path:
    """A fresh venv holding what an adopter installs: nox (with uv) and the harness wheel."""
    venv = tmp_path_factory.mktemp("adopter") / "venv"
    run([sys.executable, "-m", "venv", str(venv)], ROOT, clean_env())
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "nox[uv]", str(wheel)], ROOT,
        clean_env())
    return venv / "bin"
