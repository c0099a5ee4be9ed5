"""The `harness` command line: one subcommand module per stage of the data flow.

Each module in COMMANDS exposes `register(subparsers)`, which adds its parser and sets
`handler` to a function taking the parsed arguments and returning an exit code. Handlers
build settings (`settings_of`) and call stage functions; nothing imports the CLI.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from harness import __version__
from harness.errors import EXIT_ERROR, EXIT_FINDING, EXIT_OK, CommandError
from harness.settings import Settings, add_options, options_from, resolve

# Modules are imported only to register their parsers; heavy imports live in their handlers.
COMMANDS = (
    "harness.cli.results",
    "harness.cli.diff",
    "harness.cli.images",
    "harness.cli.check",
    "harness.cli.triage",
    "harness.cli.bisect",
    "harness.cli.lint",
    "harness.cli.doctor",
    "harness.cli.publish",
    "harness.cli.nightly",
    "harness.cli.init",
)

__all__ = ["EXIT_ERROR", "EXIT_FINDING", "EXIT_OK", "CommandError", "build_parser", "main",
           "settings_of"]


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings for this command: its options over environment, pyproject, defaults."""
    return resolve(options_from(args))


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Record, inspect, check and publish speed and accuracy of ML code.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the traceback of an unexpected error")
    add_options(parser, ["store"])
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
    except Exception as error:  # pylint: disable=broad-exception-caught  # one line, exit 2
        if args.verbose:
            traceback.print_exc()
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"harness: error: {type(error).__name__}: {reason[:300]} (run with -v for the "
              "traceback)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
