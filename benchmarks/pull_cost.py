"""Pull cost of the images: compressed size as a registry stores it, and the bytes a runner
downloads after a one-line code change and after a dependency change.

Builds base and debug from a copy of the project, pushes them to Debian's docker-registry on
loopback, changes one line of code, rebuilds and pushes, then adds one dependency, rebuilds and
pushes; each update is priced by the layer blobs whose digests are new. Needs a Docker engine
(images/engine/start-engine.sh). Usage:

    python benchmarks/pull_cost.py [--flavour cpu|cuda] [--skip-dependency]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.images.config import ImagesConfig, format_size, load_config
from harness.images.engine import connect
from harness.images.pipeline import BuildOptions, build_images, snapshot
from harness.images.push import push
from harness.images.registry import RemoteImage, local_registry, remote_image, update_bytes

ROOT = Path(__file__).resolve().parents[1]
# A small, real new dependency (a pure-Python wheel): what a dependency change looks like.
NEW_DEPENDENCY = "tabulate>=0.9"
IMAGES = ("base", "debug")


@dataclass
class Pass:
    """One build-and-push of both images: what the registry holds and how long it took."""

    remote: dict[str, RemoteImage]
    sizes: dict[str, int]
    build_seconds: float
    push_seconds: float


def git_project(dest: Path) -> Path:
    """A committed copy of the project (wheels hard-linked), so image tags are stable."""
    snapshot(ROOT, dest)
    git = ["git", "-C", str(dest), "-c", "user.name=harness", "-c", "user.email=h@localhost"]
    (dest / ".gitignore").write_text(".harness/\n", "utf-8")
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "snapshot"], check=True)
    return dest


def code_change(project: Path) -> None:
    """The smallest code change: one line appended to a module."""
    target = project / "harness" / "__init__.py"
    target.write_text(target.read_text("utf-8") + f"# pull-cost change {time.time()}\n",
                      "utf-8")


def dependency_change(project: Path) -> None:
    """One new runtime dependency in pyproject.toml."""
    target = project / "pyproject.toml"
    text = target.read_text("utf-8")
    marker = "dependencies = [\n"
    if marker not in text:
        raise SystemExit("pyproject.toml has no 'dependencies = [' list to extend")
    target.write_text(text.replace(marker, f'{marker}    "{NEW_DEPENDENCY}",\n', 1), "utf-8")


def build_and_push(client: Any, project: Path, config: ImagesConfig, flavour: str,
                   registry: str, tag: str) -> Pass:
    """Build base and debug at `tag`, push both, read their manifests back."""
    started = time.perf_counter()
    built = build_images(client, project, load_config(project),
                         BuildOptions(flavour=flavour, tag=tag))
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    remote, sizes = {}, {}
    for name in IMAGES:
        repository = config.base_name if name == "base" else config.debug_name
        push(client, built.refs[name], registry, repository, tag)
        remote[name] = remote_image(registry, repository, tag)
        sizes[name] = int(client.images.get(built.refs[name]).attrs["Size"])
    return Pass(remote, sizes, build_seconds, time.perf_counter() - started)


def _cost(held: RemoteImage, new: RemoteImage) -> str:
    size, layers = update_bytes(held, new)
    return f"{format_size(size)} ({layers} layer{'s' if layers != 1 else ''})"


def _dependency_estimate(image: RemoteImage, os_layers: int) -> str:
    """Without the rebuild: the environment layer and everything above it are new (the OS and
    interpreter layers below it stay), plus the config."""
    fetched = image.layers[os_layers:]
    size = image.config.size + sum(layer.size for layer in fetched)
    return f"{format_size(size)} ({len(fetched)} layers; derived, not rebuilt)"


def print_table(flavour: str, first: Pass, code: Pass, dependency: Pass | None,
                os_layers: int = 2) -> None:
    """One Markdown table: per image, engine size, compressed size and the two update costs.

    `os_layers`: layers below the environment (the OS base and the interpreter layer).
    """
    print(f"| {flavour} image | layers | size (engine) | compressed (registry) "
          "| pull after one-line code change | pull after dependency change |")
    print("|---|---|---|---|---|---|")
    for name in IMAGES:
        held = first.remote[name]
        after_dependency = (_dependency_estimate(code.remote[name], os_layers)
                            if dependency is None
                            else _cost(code.remote[name], dependency.remote[name]))
        print(f"| {name} | {len(held.layers)} | {format_size(first.sizes[name])} | "
              f"{format_size(held.compressed)} | {_cost(held, code.remote[name])} | "
              f"{after_dependency} |")
    both = first.remote["base"].layers + first.remote["debug"].layers
    shared = {blob.digest: blob.size for blob in both}
    print()
    print(f"both images on one runner: {format_size(sum(shared.values()))} compressed "
          f"(shared layers counted once)")
    for label, item in (("first", first), ("after code change", code),
                        ("after dependency change", dependency)):
        if item is not None:
            print(f"{label}: build {item.build_seconds:.1f} s, push {item.push_seconds:.1f} s")


def main() -> None:
    """Build, push, change code, rebuild, push, change a dependency, rebuild, push."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flavour", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--skip-dependency", action="store_true",
                        help="skip the dependency rebuild (it reinstalls the whole environment);"
                             " its cost is then derived from the layers")
    args = parser.parse_args()
    client = connect()
    config = load_config(ROOT)
    # Wheels are downloaded once, before anything is timed.
    build_images(client, ROOT, config, BuildOptions(flavour=args.flavour, debug=True))
    with tempfile.TemporaryDirectory(prefix="harness-pull-") as temp:
        project = git_project(Path(temp) / "project")
        with local_registry(Path(temp) / "registry") as registry:
            first = build_and_push(client, project, config, args.flavour, registry, "pull-1")
            code_change(project)
            code = build_and_push(client, project, config, args.flavour, registry, "pull-2")
            dependency = None
            if not args.skip_dependency:
                dependency_change(project)
                dependency = build_and_push(client, project, config, args.flavour, registry,
                                            "pull-3")
            os_layers = len(client.images.get(config.os_base).attrs["RootFS"]["Layers"]) + 1
            print_table(args.flavour, first, code, dependency, os_layers)
    for tag in ("pull-1", "pull-2", "pull-3"):
        for name in (config.base_name, config.debug_name):
            for ref in (f"{name}:{tag}", f"{registry}/{name}:{tag}"):
                if client.images.list(name=ref):
                    client.images.remove(ref, force=True, noprune=True)


if __name__ == "__main__":
    main()
