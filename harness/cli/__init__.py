"""The `harness` command line: one subcommand module per stage of the data flow.

Each module in COMMANDS exposes `register(subparsers)`, which adds its parser and sets
`handler` to a function taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from harness import __version__

# Modules are imported only to register their parsers; heavy imports live in their handlers.
COMMANDS = (
    "harness.cli.results",
    "harness.cli.images",
    "harness.cli.check",
    "harness.cli.bisect",
    "harness.cli.lint",
    "harness.cli.doctor",
    "harness.cli.publish",
)

EXIT_OK, EXIT_FINDING, EXIT_ERROR = 0, 1, 2


class CommandError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Record, inspect, check and publish speed and accuracy of ML code.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    parser.add_argument(
        "--store",
        help="results store: a path or SQLAlchemy URL (default: $HARNESS_STORE, "
        "[tool.harness] store, or .harness/results.db)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `harness` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or EXIT_OK)
    except CommandError as error:
        print(f"harness: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
