"""Fixtures for the image tests: a real Docker engine, the project copy, the built images.

Without an engine these tests skip with the reason; with HARNESS_REQUIRE_DOCKER=1 (CI) a missing
engine or OS base image is a failure instead. Each image is built once per test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TAG = "pytest"


def pytest_collection_modifyitems(items):
    """Everything here needs the engine: mark it so `-m images` selects these tests."""
    for item in items:
        if str(item.fspath).startswith(str(Path(__file__).parent)):
            item.add_marker(pytest.mark.images)


def _unavailable(reason: str):
    if os.environ.get("HARNESS_REQUIRE_DOCKER") == "1":
        pytest.fail(f"HARNESS_REQUIRE_DOCKER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(name="client", scope="session")
def fixture_client():
    """A docker SDK client on a live engine that has the OS base image."""
    from harness.images.config import load_config  # pylint: disable=import-outside-toplevel
    from harness.images.engine import connect  # pylint: disable=import-outside-toplevel
    from harness.images.errors import EngineUnavailable  # pylint: disable=import-outside-toplevel

    try:
        client = connect()
    except EngineUnavailable as error:
        _unavailable(f"no Docker engine: {error}")
    os_base = load_config(ROOT).os_base
    if not client.images.list(name=os_base):
        _unavailable(f"no {os_base} image in the engine: run images/engine/start-engine.sh")
    return client


@pytest.fixture(name="config", scope="session")
def fixture_config():
    """The repository's image settings."""
    from harness.images.config import load_config  # pylint: disable=import-outside-toplevel

    return load_config(ROOT)


def copy_project(client, config, dest: Path) -> Path:
    """A git repository holding a copy of the project (wheels hard-linked, downloaded once)."""
    # pylint: disable-next=import-outside-toplevel  # the docker SDK is an optional extra
    from harness.images.pipeline import snapshot, wheelhouses

    wheelhouses(client, ROOT, config, "cpu", debug=True)
    snapshot(ROOT, dest)
    git = ["git", "-C", str(dest), "-c", "user.name=harness", "-c", "user.email=h@localhost"]
    subprocess.run([*git, "init", "-q"], check=True)
    (dest / ".gitignore").write_text(".harness/\n", "utf-8")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "snapshot"], check=True)
    return dest


@pytest.fixture(name="make_project", scope="session")
def fixture_make_project(client, config):
    """Makes more project copies (for tests that change code)."""
    return lambda dest: copy_project(client, config, dest)


@pytest.fixture(name="project", scope="session")
def fixture_project(client, config, tmp_path_factory):
    """The project copy the session's images are built from."""
    return copy_project(client, config, tmp_path_factory.mktemp("images") / "project")


@pytest.fixture(name="built", scope="session")
def fixture_built(client, config, project):
    """Base and debug images of the project copy, tagged 'pytest'."""
    # pylint: disable-next=import-outside-toplevel  # the docker SDK is an optional extra
    from harness.images.pipeline import BuildOptions, build_images

    built = build_images(client, project, config, BuildOptions(tag=TAG))
    yield built
    for ref in built.refs.values():
        client.images.remove(ref, force=True, noprune=True)


@pytest.fixture(name="checked", scope="session")
def fixture_checked(client, config, project, built):
    """Reports, budgets and smoke results of the session's images."""
    from harness.images.checks import check_images  # pylint: disable=import-outside-toplevel

    return check_images(client, project, config, built)


@pytest.fixture(name="registry", scope="session")
def fixture_registry(tmp_path_factory):
    """Debian's docker-registry on 127.0.0.1 and a random port; yields host:port."""
    from harness.images.errors import ImagesError  # pylint: disable=import-outside-toplevel
    from harness.images.registry import local_registry  # pylint: disable=import-outside-toplevel

    if shutil.which("docker-registry") is None:
        _unavailable("docker-registry is not installed (apt-get install docker-registry)")
    try:
        with local_registry(tmp_path_factory.mktemp("registry")) as address:
            yield address
    except ImagesError as error:
        pytest.fail(str(error), pytrace=False)
