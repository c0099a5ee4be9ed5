"""Push to a real registry (Debian's docker-registry on loopback), tagged with the commit."""

from __future__ import annotations

from harness.images.push import push, registry_manifest


def test_push_both_images_and_pull_them_back(client, built, registry):
    """Push both images and pull them back."""
    for name in ("base", "debug"):
        repository, tag = built.refs[name].split(":")
        local = client.images.get(built.refs[name])
        pushed = push(client, built.refs[name], registry, repository, tag)
        digest, manifest = registry_manifest(registry, repository, tag)
        assert pushed.digest == digest
        assert len(manifest["layers"]) == len(local.attrs["RootFS"]["Layers"])
        client.images.remove(pushed.reference)
        pulled = client.images.pull(f"{registry}/{repository}", tag=tag)
        assert pulled.id == local.id
        client.images.remove(pushed.reference)
