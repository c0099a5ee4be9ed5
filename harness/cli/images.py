"""`harness images build|inspect|push|lint`: the slim base and debug images."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.output import console
from harness.errors import EXIT_FINDING, EXIT_OK, CommandError


def register(subparsers: Any) -> None:
    """Add `harness images` and its subcommands."""
    parser = subparsers.add_parser("images", help="build, inspect and push the Docker images")
    parser.add_argument("--project", type=Path, default=Path("."),
                        help="project root (default: the current folder)")
    actions = parser.add_subparsers(dest="images_command", metavar="ACTION", required=True)

    build = actions.add_parser("build", help="build base and debug, then inspect, budget, "
                                             "scan and smoke-test them")
    build.add_argument("--flavour", choices=("cpu", "cuda"), default="cpu",
                       help="torch build in the image (default: cpu)")
    build.add_argument("--tag", help="image tag (default: the short commit, -dirty if changed)")
    build.add_argument("--index-url", default="",
                       help="company package index for the builder stage")
    build.add_argument("--extra-ca-cert", type=Path,
                       help="PEM CA certificate for the builder stage only (never in the image)")
    build.add_argument("--no-debug", action="store_true", help="build the base image only")
    build.add_argument("--verbose", "-v", action="store_true", help="show every build log line")
    build.set_defaults(handler=run_build)

    show = actions.add_parser("inspect", help="size, layers, largest paths, waste, secrets")
    show.add_argument("image", help="image reference (name:tag or id)")
    show.add_argument("--base", help="the image it was built FROM (default: the OS base)")
    show.set_defaults(handler=run_inspect)

    push = actions.add_parser("push", help="push base and debug, tagged with the commit")
    push.add_argument("--registry", required=True, help="registry host:port")
    push.add_argument("--flavour", choices=("cpu", "cuda"), default="cpu",
                      help="which build to push (default: cpu; cuda tags end in -cuda)")
    push.add_argument("--tag", help="tag to push (default: the short commit, as built)")
    push.set_defaults(handler=run_push)

    lint = actions.add_parser("lint", help="lint the Dockerfiles with hadolint")
    lint.set_defaults(handler=run_lint)


def _errors():  # noqa: ANN202 - returns the exception class, imported lazily
    from harness.images.errors import ImagesError  # pylint: disable=import-outside-toplevel

    return ImagesError


def _config(args: argparse.Namespace) -> Any:
    from harness.images.config import load_config  # pylint: disable=import-outside-toplevel

    return load_config(args.project.resolve())


def _sink(verbose: bool):  # noqa: ANN202 - a LogSink closure
    out = console()

    def sink(kind: str, text: str) -> None:
        if kind == "step":
            out.print(text, highlight=False, markup=False, style="bold")
        elif kind == "cached":
            out.print("  cached", style="dim")
        elif verbose:
            out.print(f"  {text}", highlight=False, markup=False, style="dim")

    return sink


def run_build(args: argparse.Namespace) -> int:
    """Build, then judge; exit 1 when a budget, smoke test or secrets scan fails."""
    # pylint: disable=import-outside-toplevel  # the docker SDK is an optional extra
    from harness.images.checks import check_images
    from harness.images.engine import connect
    from harness.images.pipeline import BuildOptions, build_images

    root = args.project.resolve()
    options = BuildOptions(flavour=args.flavour, tag=args.tag, package_index_url=args.index_url,
                           extra_ca_cert=args.extra_ca_cert, debug=not args.no_debug)
    out = console()
    try:
        config = _config(args)
        client = connect()
        built = build_images(client, root, config, options, _sink(args.verbose))
        for result in (built.runtime, built.base, built.debug):
            if result is not None:
                out.print(f"built {result.tag} ({result.image_id[:19]}) in "
                          f"{result.seconds:.1f} s; {len(result.rebuilt)} steps ran")
        checked = check_images(client, root, config, built, options)
    except _errors() as error:
        raise CommandError(str(error)) from error
    _print_checked(checked)
    return EXIT_OK if checked.ok else EXIT_FINDING


def _print_checked(checked: Any) -> None:
    """Every table of a checked build: layers, paths, secrets, floor, budgets, smoke."""
    from harness.images import render  # pylint: disable=import-outside-toplevel

    out = console()
    for report in checked.reports.values():
        out.print(render.layer_table(report))
        out.print(render.paths_table(report))
        out.print(render.findings_table(report.ref, report.findings))
    out.print(f"floor: OS layer {checked.floor.os_layer:,} B + Python environment "
              f"{checked.floor.python_env:,} B = {checked.floor.total:,} B")
    out.print(render.budget_table(checked.verdicts))
    out.print(render.smoke_table(checked.smoke))


def run_inspect(args: argparse.Namespace) -> int:
    """Print one image's report; exit 1 when the secrets scan finds something."""
    # pylint: disable=import-outside-toplevel  # the docker SDK is an optional extra
    from harness.images import render
    from harness.images.engine import connect
    from harness.images.report import inspect
    from harness.images.secrets import SecretRules

    try:
        config = _config(args)
        client = connect()
        report = inspect(client, args.image, args.base or config.os_base,
                         SecretRules(config.allowed_certificates), os_ref=config.os_base)
    except _errors() as error:
        raise CommandError(str(error)) from error
    out = console()
    out.print(render.layer_table(report))
    out.print(render.paths_table(report))
    out.print(render.findings_table(report.ref, report.findings))
    return EXIT_FINDING if report.findings else EXIT_OK


def run_push(args: argparse.Namespace) -> int:
    """Push the base and debug images of this commit to a registry."""
    # pylint: disable=import-outside-toplevel  # the docker SDK is an optional extra
    from harness.images.engine import connect
    from harness.images.config import format_size
    from harness.images.pipeline import image_tag, revision
    from harness.images.push import push

    root = args.project.resolve()
    tag = args.tag or image_tag(revision(root).tag, args.flavour)
    out = console()
    try:
        config = _config(args)
        client = connect()
        for name in (config.base_name, config.debug_name):
            pushed = push(client, f"{name}:{tag}", args.registry, name, tag)
            out.print(f"pushed {pushed.reference} {pushed.digest} ({pushed.layers} layers, "
                      f"{format_size(pushed.compressed)} compressed)")
    except _errors() as error:
        raise CommandError(str(error)) from error
    return EXIT_OK


def run_lint(args: argparse.Namespace) -> int:
    """hadolint on every Dockerfile under images/."""
    from harness.images.lint import hadolint  # pylint: disable=import-outside-toplevel

    try:
        status, text = hadolint(args.project.resolve())
    except _errors() as error:
        raise CommandError(str(error)) from error
    console().print(text or "hadolint: no findings", highlight=False, markup=False)
    return EXIT_OK if status == 0 else EXIT_FINDING
