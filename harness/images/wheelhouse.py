"""Wheelhouses: the wheels an image installs, downloaded on the host and given to the build as
a `FROM scratch` image, so the build context stays small and pip in the build needs no TLS."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from harness.images.errors import ImagesError

STAMP = ".requirements.sha256"
WHEELHOUSE_REPOSITORY = "harness-wheelhouse"


def project_requirements(project_root: Path, extras: tuple[str, ...]) -> list[str]:
    """The project's runtime requirements plus those of the chosen extras."""
    project = tomllib.loads((project_root / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise ImagesError(
                f"[tool.harness.images] extras: {extra!r} is not an extra of the project "
                f"(known: {sorted(optional)})"
            )
        requirements.extend(optional[extra])
    return requirements


def build_requirements(project_root: Path) -> list[str]:
    """What building the project's own wheel needs ([build-system] requires)."""
    data = tomllib.loads((project_root / "pyproject.toml").read_text("utf-8"))
    return list(data.get("build-system", {}).get("requires", ["setuptools"]))


def prepare(folder: Path, requirements: list[str], tools: list[str],
            index_args: tuple[str, ...] = ()) -> str:
    """Fill `folder` with wheels for `requirements` (installed) and `tools` (present only).

    `index_args` are extra pip options for the download (e.g. `--extra-index-url URL` for a
    CUDA torch index). Downloads only when the requirement list changed; returns its hash.
    """
    text = "".join(f"{line}\n" for line in requirements)
    digest = hashlib.sha256(
        (text + "\n".join(tools) + "\n".join(index_args)).encode()).hexdigest()
    stamp = folder / STAMP
    if stamp.is_file() and stamp.read_text("utf-8") == digest:
        return digest
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.whl"):
        old.unlink()
    (folder / "requirements.txt").write_text(text, "utf-8")
    command = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--quiet",
               "--dest", str(folder), "-r", str(folder / "requirements.txt"), *index_args, *tools]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ImagesError(
            f"downloading wheels into {folder} failed:\n{done.stderr.strip()[-3000:]}"
        )
    stamp.write_text(digest, "utf-8")
    return digest


def wheelhouse_image(client: Any, folder: Path, kind: str, digest: str) -> str:
    """Tag of an image holding `folder` at /wheels; built once per requirement hash."""
    tag = f"{WHEELHOUSE_REPOSITORY}:{kind}-{digest[:12]}"
    if client.images.list(name=tag):
        return tag
    dockerfile = b"FROM scratch\nCOPY . /wheels/\n"
    # A temporary file, not memory: the CUDA wheel set is 2.7 GB.
    with tempfile.TemporaryFile() as context:
        with tarfile.open(fileobj=context, mode="w") as archive:
            info = tarfile.TarInfo("Dockerfile.wheelhouse")
            info.size = len(dockerfile)
            archive.addfile(info, io.BytesIO(dockerfile))
            for path in sorted(folder.iterdir()):
                if path.name != STAMP:
                    archive.add(path, arcname=path.name)
        context.seek(0)
        client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True,
                            forcerm=True, dockerfile="Dockerfile.wheelhouse")
    return tag
