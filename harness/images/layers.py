"""What each image layer holds, read from layer tarballs, and what that costs.

Pure functions over tar streams: the engine is not needed, so the waste arithmetic is tested on
layer tarballs made in the test. Paths are absolute ("/opt/venv/...") whatever the tar says.
"""

from __future__ import annotations

import posixpath
import tarfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"

# Called for each regular file: (path, size, content or None when larger than the read limit).
FileVisitor = Callable[[str, int, "bytes | None"], None]


@dataclass
class LayerContent:
    """The files a layer adds or replaces, and the paths it deletes."""

    files: dict[str, int] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)
    opaque_dirs: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Bytes of regular files in this layer."""
        return sum(self.files.values())


@dataclass(frozen=True)
class WastedFile:
    """A file some layer wrote that a later layer overwrote or deleted."""

    path: str
    size: int
    layer: int
    hidden_by: int


def _absolute(name: str) -> str:
    return "/" + posixpath.normpath(name.lstrip("./") or ".").lstrip("/")


def read_layer(stream: IO[bytes], visit: FileVisitor | None = None,
               read_limit: int = 128 << 10) -> LayerContent:
    """Read one layer tarball (uncompressed or compressed) from a stream, in one pass."""
    layer = LayerContent()
    with tarfile.open(fileobj=stream, mode="r|*") as archive:
        for member in archive:
            path = _absolute(member.name)
            folder, base = posixpath.split(path)
            if base == OPAQUE:
                layer.opaque_dirs.append(folder)
                continue
            if base.startswith(WHITEOUT):
                layer.whiteouts.append(posixpath.join(folder, base[len(WHITEOUT):]))
                continue
            layer.paths.append(path)
            if not member.isreg():
                continue
            layer.files[path] = member.size
            if visit is not None:
                data = None
                if member.size <= read_limit:
                    handle = archive.extractfile(member)
                    data = handle.read() if handle else b""
                visit(path, member.size, data)
    return layer


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def overlay(layers: Sequence[LayerContent]) -> tuple[dict[str, int], list[WastedFile]]:
    """The final file system (path -> size) and every file a later layer hid."""
    live: dict[str, tuple[int, int]] = {}
    wasted: list[WastedFile] = []

    def hide(paths: list[str], by: int) -> None:
        for path in paths:
            layer, size = live.pop(path)
            wasted.append(WastedFile(path, size, layer, by))

    for index, layer in enumerate(layers):
        for folder in layer.opaque_dirs:
            hide([p for p in live if _under(p, folder) and p != folder], index)
        for gone in layer.whiteouts:
            hide([p for p in live if _under(p, gone)], index)
        for path, size in layer.files.items():
            if path in live:
                hide([path], index)
            live[path] = (index, size)
    return {path: size for path, (_, size) in live.items()}, wasted


def largest_paths(files: dict[str, int], depth: int = 6, top: int = 10) -> list[tuple[str, int]]:
    """The biggest folders (or files) of a file system, grouped `depth` components deep."""
    totals: dict[str, int] = defaultdict(int)
    for path, size in files.items():
        parts = path.strip("/").split("/")
        totals["/" + "/".join(parts[:depth])] += size
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:top]
