"""The connection to the Docker engine, with a clear error when there is none."""

from __future__ import annotations

import os
from typing import Any

from harness.images.errors import EngineUnavailable, ImagesError

START_HINT = "start one with images/engine/start-engine.sh (root) or set DOCKER_HOST"


def connect(timeout: int = 600) -> Any:
    """A docker SDK client that has answered a ping; EngineUnavailable otherwise."""
    try:
        import docker  # pylint: disable=import-outside-toplevel  # optional extra 'images'
    except ImportError as error:
        raise EngineUnavailable(
            "the docker SDK is not installed: pip install 'torch-regression-harness[images]'"
        ) from error
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as error:
        raise EngineUnavailable(
            f"cannot reach the Docker engine at {where}: {error}; {START_HINT}"
        ) from error
    return client


def get_image(client: Any, ref: str) -> Any:
    """The image `ref`, or an ImagesError that names it when the engine does not have it."""
    import docker  # pylint: disable=import-outside-toplevel  # optional extra 'images'

    try:
        return client.images.get(ref)
    except docker.errors.ImageNotFound as error:
        raise ImagesError(f"no image {ref!r} in the engine (build it first)") from error
