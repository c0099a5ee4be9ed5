"""Image benchmark: naive single-stage image vs our slim base and debug images.

Prints size, layers and wasted bytes; debug minus base; cold build time; rebuild time after a
one-line code change; the floor (OS layer + Python environment). CPU flavour (the CUDA one:
docs/images.md, benchmarks/pull_cost.py --flavour cuda). Needs a Docker engine
(images/engine/start-engine.sh). Usage: python benchmarks/images.py [--skip-cold]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.images.build import BuildRequest, BuildResult, build
from harness.images.checks import floor_of
from harness.images.config import format_size, load_config
from harness.images.engine import connect
from harness.images.pipeline import WORK_DIR, BuildOptions, Built, build_images, snapshot
from harness.images.report import ImageReport, inspect

ROOT = Path(__file__).resolve().parents[1]
NAIVE = ROOT / "benchmarks" / "images" / "naive.Dockerfile"


@dataclass
class Row:
    """One image in the table."""

    name: str
    report: ImageReport
    cold: float | None = None
    rebuild: float | None = None
    rebuilt_steps: str = "-"


def naive_project(project: Path, dest: Path) -> Path:
    """The naive build's context: the project and its wheels, no .dockerignore."""
    shutil.copytree(project, dest, symlinks=True, copy_function=os.link)
    (dest / ".dockerignore").unlink(missing_ok=True)
    shutil.copytree(project / WORK_DIR / "wheelhouse" / "base-cpu", dest / "wheels",
                    copy_function=os.link)
    return dest


def one_line_change(project: Path) -> None:
    """The smallest code change: one line appended to a module."""
    target = project / "harness" / "__init__.py"
    target.write_text(target.read_text("utf-8") + f"# benchmark change {time.time()}\n", "utf-8")


def ours(client: Any, project: Path, tag: str, nocache: bool) -> tuple[Built, float, float]:
    """Build base and debug; (built, base seconds (runtime + base), debug seconds)."""
    config = load_config(project)
    built = build_images(client, project, config, BuildOptions(tag=tag, nocache=nocache))
    assert built.debug is not None
    return built, built.runtime.seconds + built.base.seconds, built.debug.seconds


def naive(client: Any, project: Path, tag: str, nocache: bool = False) -> BuildResult:
    """The naive single-stage build of the same content."""
    return build(client, BuildRequest("naive", NAIVE, project, None, f"bench-naive:{tag}",
                                      nocache=nocache))


def rebuilt(result: BuildResult, code: tuple[str, ...] = ("/opt/project", "/app/", "COPY . /")
            ) -> str:
    """Which dependency steps ran again (steps naming a `code` marker do not count)."""
    steps = [s.text for s in result.rebuilt if not any(marker in s.text for marker in code)]
    return "none" if not steps else f"{len(steps)}: " + "; ".join(t[:40] for t in steps)


@dataclass
class Timings:
    """Build seconds of one benchmark pass (None: not measured)."""

    base: float | None = None
    debug: float | None = None
    naive: float | None = None


def build_all(client: Any, project: Path, naive_dir: Path, tag: str, cold: bool
              ) -> tuple[Built, BuildResult, Timings]:
    """Our two images and the naive one, cold (no layer cache) or warm."""
    built, base_s, debug_s = ours(client, project, f"bench-{tag}", cold)
    started = time.perf_counter()
    naive_result = naive(client, naive_dir, tag, nocache=cold)
    return built, naive_result, Timings(base_s, debug_s, time.perf_counter() - started)


def main() -> None:
    """Build cold, change one line, rebuild, and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-cold", action="store_true", help="reuse the layer cache")
    args = parser.parse_args()
    client = connect()
    config = load_config(ROOT)
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as temp:
        # Wheels are downloaded (once) before timing: downloads are not part of a build.
        build_images(client, ROOT, config, BuildOptions(tag="bench-warm"))
        project = snapshot(ROOT, Path(temp) / "project")
        naive_dir = naive_project(project, Path(temp) / "naive")
        cold = Timings()
        if not args.skip_cold:
            _, _, cold = build_all(client, project, naive_dir, "cold", cold=True)
        one_line_change(project)
        one_line_change(naive_dir)
        warm_built, naive_warm, warm = build_all(client, project, naive_dir, "rebuild", False)
        rows = [
            Row("naive single stage", inspect(client, naive_warm.image_id, config.os_base),
                cold.naive, warm.naive, rebuilt(naive_warm, code=("COPY . /app",))),
            Row("base (ours)", inspect(client, warm_built.refs["base"], config.os_base),
                cold.base, warm.base,
                rebuilt(warm_built.runtime) + " / " + rebuilt(warm_built.base)),
            Row("debug (ours)", inspect(client, warm_built.refs["debug"],
                                        warm_built.refs["base"], os_ref=config.os_base),
                cold.debug, warm.debug, rebuilt(warm_built.debug)),
        ]
        print_tables(rows, floor_of(client, config, warm_built),
                     client.images.get(config.os_base).attrs["Size"])
        for ref in ("bench-naive:cold", "bench-naive:rebuild"):
            if client.images.list(name=ref):
                client.images.remove(ref, force=True)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def print_tables(rows: list[Row], floor: Any, os_size: int) -> None:
    """The benchmark tables, Markdown, as the issue asks."""
    print("| image | size | layers | wasted | cold build | rebuild after one-line change "
          "| dependency steps rebuilt |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row.name} | {format_size(row.report.size)} | {len(row.report.layers)} | "
              f"{format_size(row.report.wasted_bytes)} | {_seconds(row.cold)} | "
              f"{_seconds(row.rebuild)} | {row.rebuilt_steps} |")
    base, debug = rows[1].report, rows[2].report
    print()
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| debug minus base | {format_size(debug.size - base.size)} | <= 250 MB |")
    print(f"| OS layer (local debootstrap, trimmed) | {format_size(os_size)} | about 75 MB |")
    print(f"| Python environment (interpreter + venv) | {format_size(floor.python_env)} | |")
    print(f"| floor = OS layer + Python environment | {format_size(floor.total)} | |")
    print(f"| base / floor | {base.size / floor.total:.3f}x | <= 1.05x |")
    print(f"| wasted bytes, worst image (ours) | "
          f"{format_size(max(base.wasted_bytes, debug.wasted_bytes))} | < 5 MB |")
    print("| CUDA flavour | measured by `harness images build --flavour cuda` and "
          "`benchmarks/pull_cost.py --flavour cuda`: docs/images.md | |")


if __name__ == "__main__":
    main()
