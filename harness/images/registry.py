"""A throwaway registry on loopback (Debian's docker-registry), and what a pull of an image costs.

The registry stores each layer compressed, as a runner downloads it; its manifest lists every
layer blob with its compressed size. A runner that already holds an older image downloads only
the blobs whose digests are new, so comparing two manifests gives the bytes of one update.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.images.errors import ImagesError
from harness.images.push import registry_manifest


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def local_registry(folder: Path, start_timeout: float = 30.0) -> Iterator[str]:
    """Run Debian's docker-registry on 127.0.0.1 with its storage in `folder`; yield host:port."""
    binary = shutil.which("docker-registry")
    if binary is None:
        raise ImagesError("docker-registry is not installed (apt-get install docker-registry; "
                          "images/engine/start-engine.sh installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    address = f"127.0.0.1:{free_port()}"
    config = folder / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {folder / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {address}\n", "utf-8")
    log_path = folder / "registry.log"
    with log_path.open("wb") as log:
        # pylint: disable-next=consider-using-with  # a server that lives for the block
        server = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    with urllib.request.urlopen(f"http://{address}/v2/", timeout=2):
                        break
                except OSError as error:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise ImagesError(f"the registry did not start: "
                                          f"{log_path.read_text('utf-8')[-500:]}") from error
                    time.sleep(0.2)
            yield address
        finally:
            server.terminate()
            server.wait(timeout=10)


@dataclass(frozen=True)
class Blob:
    """One blob of a manifest: its digest and compressed size in bytes."""

    digest: str
    size: int


@dataclass(frozen=True)
class RemoteImage:
    """An image as a registry serves it: config blob and layer blobs (compressed)."""

    reference: str
    config: Blob
    layers: tuple[Blob, ...]

    @property
    def compressed(self) -> int:
        """Bytes a runner downloads to pull this image onto an empty machine."""
        return self.config.size + sum(layer.size for layer in self.layers)


def remote_image(registry: str, repository: str, tag: str) -> RemoteImage:
    """The manifest of repository:tag, as blobs with compressed sizes."""
    _, manifest = registry_manifest(registry, repository, tag)
    if "layers" not in manifest:
        raise ImagesError(f"{registry}/{repository}:{tag} is a manifest list, not one image")

    def blob(entry: dict[str, Any]) -> Blob:
        return Blob(str(entry["digest"]), int(entry["size"]))

    return RemoteImage(f"{registry}/{repository}:{tag}", blob(manifest["config"]),
                       tuple(blob(entry) for entry in manifest["layers"]))


def update_bytes(held: RemoteImage | None, new: RemoteImage) -> tuple[int, int]:
    """(bytes, layers) a runner holding `held` downloads to pull `new`.

    Layers are shared by digest; the config blob is always new when anything changed.
    """
    have = set() if held is None else {layer.digest for layer in held.layers}
    fetched = [layer for layer in new.layers if layer.digest not in have]
    config = 0 if held is not None and held.config == new.config else new.config.size
    return config + sum(layer.size for layer in fetched), len(fetched)
