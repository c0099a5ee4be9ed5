"""The image pipeline: wheelhouses, then base (its code-free runtime stage first), then debug.

Each step is a small function; the CLI, nox, the tests and the benchmark call them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness import __version__
from harness.images import wheelhouse
from harness.images.build import BuildRequest, BuildResult, LogSink, build
from harness.images.config import FLAVOURS, ImagesConfig
from harness.images.errors import ImagesError

BASE_DOCKERFILE = Path("images/base/Dockerfile")
DEBUG_DOCKERFILE = Path("images/debug/Dockerfile")
WORK_DIR = Path(".harness/images")
# What a build reads from the project (the rest is left out by .dockerignore anyway).
PROJECT_FILES = ("pyproject.toml", "README.md", ".dockerignore", "harness", "backbone", "suites",
                 "noxfile.py", ".github", ".ci",
                 "images")


@dataclass(frozen=True)
class BuildOptions:
    """Choices for one build; the company-mirror options reach the builder stage only."""

    flavour: str = "cpu"
    tag: str | None = None
    package_index_url: str = ""
    extra_ca_cert: Path | None = None
    debug: bool = True
    nocache: bool = False


@dataclass(frozen=True)
class Revision:
    """The commit the images are built from."""

    commit: str
    tag: str
    source: str


@dataclass(frozen=True)
class Built:
    """The images one pipeline run made."""

    revision: Revision
    runtime: BuildResult
    base: BuildResult
    debug: BuildResult | None
    refs: dict[str, str] = field(default_factory=dict)


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def revision(root: Path) -> Revision:
    """Commit, image tag (short commit, '-dirty' when the tree has changes) and source URL."""
    commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return Revision("unknown", "dev", "unknown")
    dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    return Revision(commit, commit[:12] + ("-dirty" if dirty else ""),
                    _git(root, "remote", "get-url", "origin") or "unknown")


def read_ca(path: Path | None) -> str:
    """The extra CA certificate (PEM text) for the builder stage; '' when none is given."""
    if path is None:
        return ""
    try:
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise ImagesError(f"cannot read the CA certificate {path}: {error}") from error
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ImagesError(f"{path} is not a PEM certificate (no BEGIN CERTIFICATE line)")
    return text


def snapshot(root: Path, dest: Path) -> Path:
    """Copy the project files a build reads to `dest`; prepared wheels are hard-linked."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, dest / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, dest / name)
    wheels = root / WORK_DIR / "wheelhouse"
    if wheels.is_dir():
        shutil.copytree(wheels, dest / WORK_DIR / "wheelhouse", copy_function=os.link)
    return dest


def image_tag(revision_tag: str, flavour: str) -> str:
    """The default tag of a flavour's images: the revision, with '-cuda' for the CUDA build."""
    return revision_tag if flavour == "cpu" else f"{revision_tag}-{flavour}"


def _base_args(config: ImagesConfig, options: BuildOptions, wheelhouse_tag: str
               ) -> dict[str, str]:
    """Build arguments of the base Dockerfile (the builder stage's inputs)."""
    return {"BASE_IMAGE": config.os_base, "PACKAGE_INDEX_URL": options.package_index_url,
            "EXTRA_CA_CERT": read_ca(options.extra_ca_cert), "WHEELHOUSE": wheelhouse_tag,
            "TRIM": " ".join(config.trim_for(options.flavour))}


def wheelhouses(client: Any, root: Path, config: ImagesConfig, flavour: str,
                debug: bool) -> dict[str, str]:
    """Wheelhouse image tags for the base (and debug) builds, downloading wheels when needed.

    Both flavours take the same path: torch (CPU build, or the CUDA build with its nvidia-*
    and triton wheels) is downloaded on the host with the project's requirements.
    """
    requirements = wheelhouse.project_requirements(root, config.extras)
    requirements.append(config.torch_for(flavour))
    index_args: tuple[str, ...] = ()
    if flavour == "cuda" and config.cuda_index_url:
        index_args = ("--extra-index-url", config.cuda_index_url)
    tools = ["pip", *wheelhouse.build_requirements(root)]
    folder = root / WORK_DIR / "wheelhouse" / f"base-{flavour}"
    tags = {"base": wheelhouse.wheelhouse_image(
        client, folder, f"base-{flavour}",
        wheelhouse.prepare(folder, requirements, tools, index_args))}
    if debug:
        folder = root / WORK_DIR / "wheelhouse" / "debug"
        tags["debug"] = wheelhouse.wheelhouse_image(
            client, folder, "debug",
            wheelhouse.prepare(folder, list(config.debug_packages), ["pip"]))
    return tags


def build_images(client: Any, root: Path, config: ImagesConfig,
                 options: BuildOptions = BuildOptions(), sink: LogSink | None = None) -> Built:
    """Build the base image (runtime stage, then with code) and the debug image FROM it."""
    if options.flavour not in FLAVOURS:
        raise ImagesError(f"unknown torch flavour {options.flavour!r}; choose from {FLAVOURS}")
    rev = revision(root)
    tag = options.tag or image_tag(rev.tag, options.flavour)
    houses = wheelhouses(client, root, config, options.flavour, options.debug)
    base_args = _base_args(config, options, houses["base"])
    labels = {"REVISION": rev.commit, "SOURCE": rev.source, "VERSION": __version__,
              "CREATED": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "TORCH_FLAVOUR": options.flavour}
    refs = {"runtime": f"{config.base_name}:{tag}-runtime", "base": f"{config.base_name}:{tag}"}
    dockerfile = root / BASE_DOCKERFILE
    runtime = build(client, BuildRequest("base (runtime stage)", dockerfile, root, "runtime",
                                         refs["runtime"], base_args, nocache=options.nocache),
                    sink)
    base = build(client, BuildRequest("base", dockerfile, root, "base", refs["base"],
                                      base_args | labels), sink)
    debug = None
    if options.debug:
        refs["debug"] = f"{config.debug_name}:{tag}"
        debug = build(client, BuildRequest(
            "debug", root / DEBUG_DOCKERFILE, None, "debug", refs["debug"],
            {"RUNTIME_IMAGE": runtime.image_id, "BASE_IMAGE": base.image_id,
             "WHEELHOUSE": houses["debug"], **labels}, nocache=options.nocache), sink)
    return Built(rev, runtime, base, debug, refs)
