"""Inspect a built image: size, layer table, largest paths, wasted bytes, base digest, secrets.

Everything comes from one pass over `docker save` (the image's own layer tarballs and config),
so the numbers describe exactly what a registry would store.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.images.engine import get_image
from harness.images.layers import LayerContent, WastedFile, largest_paths, overlay, read_layer
from harness.images.secrets import CERTIFICATE, Finding, SecretRules

_SMALL = 4 << 20  # members smaller than this are read whole (configs, manifests, tiny layers)


@dataclass(frozen=True)
class LayerRow:
    """One layer: the instruction that made it and the bytes of its files."""

    instruction: str
    size: int


@dataclass(frozen=True)
class ImageReport:
    """What `harness images inspect` shows about one image."""

    ref: str
    image_id: str
    size: int
    layers: tuple[LayerRow, ...]
    largest: tuple[tuple[str, int], ...]
    wasted: tuple[WastedFile, ...]
    base_ref: str
    base_id: str
    labels: dict[str, str] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def wasted_bytes(self) -> int:
        """Bytes stored in layers but hidden by a later layer."""
        return sum(item.size for item in self.wasted)


class _ChunkStream(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (the engine's `docker save` output)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks, self._pending, self._offset = chunks, memoryview(b""), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._pending):
            try:
                self._pending, self._offset = memoryview(next(self._chunks)), 0
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending) - self._offset)
        buffer[:size] = self._pending[self._offset:self._offset + size]
        self._offset += size
        return size


class _Collector:
    """Secret findings per layer blob, gathered while the blob streams past."""

    def __init__(self, rules: SecretRules) -> None:
        self.rules = rules
        self.found: dict[str, list[tuple[str, str]]] = {}

    def visitor(self, blob: str):  # noqa: ANN201 - a closure handed to read_layer
        """A FileVisitor that files findings under `blob`."""
        found = self.found.setdefault(blob, [])

        def visit(path: str, _size: int, data: bytes | None) -> None:
            for kind in self.rules.kinds(path, data):
                found.append((path, kind))

        return visit


def _read_save(chunks: Iterator[bytes], collector: _Collector
               ) -> tuple[dict[str, LayerContent], dict[str, Any]]:
    """Layer contents keyed by their name in the archive, and the small JSON documents."""
    layers: dict[str, LayerContent] = {}
    documents: dict[str, Any] = {}
    with tarfile.open(fileobj=io.BufferedReader(_ChunkStream(chunks), 1 << 20),
                      mode="r|") as archive:
        for member in archive:
            if not member.isreg():
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            if member.size < _SMALL:
                data = handle.read()
                try:
                    documents[member.name] = json.loads(data)
                    continue
                except ValueError:
                    handle = io.BytesIO(data)
            try:
                layers[member.name] = read_layer(handle, collector.visitor(member.name))
            except tarfile.TarError:
                continue
    return layers, documents


def _saved_image(chunks: Iterator[bytes], collector: _Collector
                 ) -> tuple[list[str], list[LayerContent], dict[str, Any]]:
    """Layer names bottom first, their contents, and the image config, from `docker save`."""
    blobs, documents = _read_save(chunks, collector)
    manifest = documents["manifest.json"][0]
    order = list(manifest["Layers"])
    return order, [blobs[name] for name in order], documents.get(manifest["Config"], {})


def _layer_rows(config: dict[str, Any], layers: list[LayerContent]) -> tuple[LayerRow, ...]:
    made = [entry for entry in config.get("history", []) if not entry.get("empty_layer")]
    if len(made) != len(layers):
        made = [{} for _ in layers]
    rows = []
    for entry, layer in zip(made, layers):
        text = entry.get("created_by", "") or entry.get("comment", "") or "(imported)"
        text = text.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").strip()
        rows.append(LayerRow(" ".join(text.split()), layer.size))
    return tuple(rows)


def _findings(order: list[str], collector: _Collector, first_added: int
              ) -> tuple[Finding, ...]:
    """Findings in layer order; certificates count only above the OS base's layers."""
    findings = [
        Finding(index, path, kind)
        for index, name in enumerate(order)
        for path, kind in collector.found.get(name, [])
        if kind != CERTIFICATE or index >= first_added
    ]
    return tuple(_merge_git(findings))


def _merge_git(findings: list[Finding]) -> list[Finding]:
    """One finding per `.git` folder, not one per file inside it."""
    merged: dict[tuple[int, str, str], Finding] = {}
    for item in findings:
        path = item.path
        if item.kind.startswith("git metadata"):
            parts = path.split("/")
            path = "/".join(parts[: parts.index(".git") + 1])
        merged.setdefault((item.layer, path, item.kind), Finding(item.layer, path, item.kind))
    return list(merged.values())


def inspect(client: Any, ref: str, base_ref: str, rules: SecretRules | None = None,
            os_ref: str | None = None, top: int = 10) -> ImageReport:
    """Read `ref` from the engine and measure it.

    `base_ref` is the image it was built FROM; certificates count as added by the build in the
    layers above `os_ref` (the OS base; default `base_ref`).
    """
    image, base = get_image(client, ref), get_image(client, base_ref)
    os_layers = len(get_image(client, os_ref or base_ref).attrs["RootFS"].get("Layers", []))
    collector = _Collector(rules or SecretRules())
    order, layers, config = _saved_image(client.api.get_image(image.id), collector)
    files, wasted = overlay(layers)
    return ImageReport(
        ref=ref, image_id=image.id, size=int(image.attrs["Size"]),
        layers=_layer_rows(config, layers),
        largest=tuple(largest_paths(files, top=top)),
        wasted=tuple(sorted(wasted, key=lambda w: -w.size)),
        base_ref=base_ref, base_id=base.id,
        labels=dict(image.labels or {}),
        findings=_findings(order, collector, os_layers),
    )
