"""Acceptance of issue 12: the README's Quick start, as written, on a fresh Debian machine.

A container from the local Debian base image (images/engine/start-engine.sh makes it; no
registry) gets what a fresh Debian machine has (python3, git) and the README's `apt-get
install` line, then a normal user whose system python3 is externally managed (PEP 668) clones
the repository and runs the Quick start's commands, extracted from README.md and run
verbatim: a venv, nox and the harness, the nightly, the tests. Then `harness show` must work
from the activated venv and the nightly must have recorded rows.

This machine's pip configuration (indexes, find-links, constraints, the proxy's CA) is given
to the container at run time (read-only mounts and variables; suites/quickstart/container.py);
no image is kept. Without a Docker engine the test skips; HARNESS_REQUIRE_DOCKER=1 (CI) makes
that a failure. It takes a while (three nox sessions install torch): `nox -s quickstart`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from harness.adopt.installs import pip_settings
from harness.images.config import load_config
from suites.quickstart.container import carry, root_script, user_script

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 3600
DOCKER_TIMEOUT_S = 60
_STEP = re.compile(r"^==== (?P<command>.*) (?P<at>\d+)$")


def _unavailable(reason: str):
    if os.environ.get("HARNESS_REQUIRE_DOCKER") == "1":
        pytest.fail(f"HARNESS_REQUIRE_DOCKER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _docker(*args: str, timeout: float = DOCKER_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.fixture(name="os_base", scope="module")
def fixture_os_base() -> str:
    """The local Debian base image, on a live engine."""
    if shutil.which("docker") is None:
        _unavailable("no docker command (images/engine/start-engine.sh installs the engine)")
    if _docker("info").returncode != 0:
        _unavailable("no Docker engine answers (images/engine/start-engine.sh starts one)")
    os_base = load_config(ROOT).os_base
    if _docker("image", "inspect", os_base).returncode != 0:
        _unavailable(f"no {os_base} image in the engine: run images/engine/start-engine.sh")
    return os_base


@pytest.fixture(name="handed_over")
def fixture_handed_over(tmp_path: Path) -> Path:
    """The folder the container gets at /quickstart: a git bundle of a fresh commit of this
    checkout's files (uncommitted changes included) and the two scripts."""
    folder = tmp_path / "quickstart"
    source = tmp_path / "source"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=60).stdout
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    git = ["git", "-C", str(source), "-c", "user.name=harness", "-c", "user.email=h@localhost"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run([*git, *args], check=True, timeout=60)
    folder.mkdir()
    subprocess.run([*git, "bundle", "create", "-q", str(folder / "harness.bundle"), "HEAD", "main"],
                   check=True, timeout=60)
    readme = (source / "README.md").read_text(encoding="utf-8")
    (folder / "root.sh").write_text(root_script(readme), encoding="utf-8")
    (folder / "user.sh").write_text(user_script(readme), encoding="utf-8")
    for path in folder.iterdir():
        path.chmod(0o644)
    folder.chmod(0o755)
    return folder


def _timings(log: str) -> list[tuple[str, int]]:
    """Seconds each README command took, from the markers the user script prints."""
    marks = [(m["command"], int(m["at"])) for m in map(_STEP.match, log.splitlines()) if m]
    return [(command, later - at) for (command, at), (_, later) in zip(marks, marks[1:])]


def test_the_readme_quick_start_runs_as_written_on_fresh_debian(os_base: str,
                                                                handed_over: Path, capsys):
    carried = carry(pip_settings())
    name = f"harness-quickstart-{uuid.uuid4().hex[:8]}"
    log_path = handed_over.parent / "container.log"
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        try:
            done = subprocess.run(
                ["docker", "run", "--rm", "--name", name, "--network", "host",
                 "--mount", f"type=bind,source={handed_over},target=/quickstart,readonly",
                 *carried.docker_args(), os_base, "bash", "/quickstart/root.sh"],
                stdout=log, stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT_S,
                check=False)
        except subprocess.TimeoutExpired:
            _docker("rm", "--force", name)
            raise
    wall_s = time.monotonic() - started
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, f"exit {done.returncode}; the log's tail:\n{output[-6000:]}"
    assert "==== done" in output
    assert re.search(r"^recorded: [1-9]\d* run\(s\), [1-9]\d* measurements$", output, re.M)
    assert "Traceback" not in output.split("==== done", 1)[1]
    with capsys.disabled():
        print(f"\nquick start in a fresh {os_base} container: {wall_s / 60:.1f} min in all")
        for command, seconds in _timings(output):
            print(f"  {seconds / 60:5.1f} min  {command}")
        for line in output.splitlines():
            if line.startswith(("disk (", "recorded:")):
                print(f"  {line}")
    sys.stdout.flush()
