"""Push images to a registry, tagged with the commit, and check the registry holds them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from harness.images.engine import get_image
from harness.images.errors import ImagesError

_MANIFEST_TYPES = ", ".join((
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
))


@dataclass(frozen=True)
class Pushed:
    """An image in a registry: where, and the manifest digest the registry serves."""

    reference: str
    digest: str
    layers: int
    compressed: int = 0


def registry_manifest(registry: str, repository: str, tag: str, scheme: str = "http"
                      ) -> tuple[str, dict[str, Any]]:
    """The digest and manifest a registry serves for repository:tag (registry API v2)."""
    request = urllib.request.Request(f"{scheme}://{registry}/v2/{repository}/manifests/{tag}",
                                     headers={"Accept": _MANIFEST_TYPES})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers["Docker-Content-Digest"], json.load(response)
    except urllib.error.URLError as error:
        raise ImagesError(f"registry {registry} has no {repository}:{tag}: {error}") from error


def push(client: Any, image: str, registry: str, repository: str, tag: str) -> Pushed:
    """Tag `image` as registry/repository:tag, push it, and read its manifest back."""
    target = f"{registry}/{repository}"
    get_image(client, image).tag(target, tag=tag)
    pushed_digest = ""
    for item in client.images.push(target, tag=tag, stream=True, decode=True):
        if "error" in item:
            raise ImagesError(f"pushing {target}:{tag} failed: {item['error']}")
        pushed_digest = item.get("aux", {}).get("Digest", pushed_digest)
    digest, manifest = registry_manifest(registry, repository, tag)
    if pushed_digest and digest != pushed_digest:
        raise ImagesError(f"registry serves {digest} for {target}:{tag}, pushed {pushed_digest}")
    blobs = [manifest.get("config", {}), *manifest.get("layers", [])]
    return Pushed(f"{target}:{tag}", digest, len(manifest.get("layers", [])),
                  sum(int(blob.get("size", 0)) for blob in blobs))
