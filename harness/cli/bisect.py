"""`harness bisect`: find the commit that moved a metric, by measuring with `git bisect run`."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import CommandError


def register(subparsers) -> None:
    """Add the `bisect` subcommand."""
    parser = subparsers.add_parser(
        "bisect", help="find the first commit that moved a metric (git bisect run + pytest)",
        description="Measure TEST at GOOD and BAD, then drive `git bisect run`, repeating "
                    "measurements where a commit is within the noise. Prints the first bad "
                    "commit.")
    parser.add_argument("--test", required=True, help="pytest node id that records the metric")
    parser.add_argument("--metric", required=True, help="metric name the test records")
    parser.add_argument("--good", required=True, help="a commit with the old value")
    parser.add_argument("--bad", required=True, help="a commit with the new value")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per step (3)")
    parser.add_argument("--max-repeat", type=int, default=9,
                        help="most measurements of one commit before skipping it (9)")
    parser.add_argument("--repo", type=Path, default=Path("."), help="git repository (.)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    parser.set_defaults(handler=run_bisect)


def run_bisect(args: argparse.Namespace) -> int:
    """Bisect and print the first bad commit."""
    # pylint: disable=import-outside-toplevel  # subcommand modules import lazily
    from harness.bisect import BisectError, bisect

    if args.repeat < 1 or args.max_repeat < args.repeat:
        raise CommandError("--repeat must be >= 1 and --max-repeat >= --repeat")
    try:
        result = bisect(args.repo, args.test, args.metric, args.good, args.bad,
                        repeat=args.repeat, max_repeat=args.max_repeat,
                        pytest_args=args.pytest_args)
    except BisectError as error:
        raise CommandError(str(error)) from error
    print(f"first bad commit: {result.first_bad}")
    print(f"{args.metric}: {result.baseline.good:.6g} (good) -> {result.baseline.bad:.6g} "
          f"(bad), noise {result.baseline.sigma:.3g}")
    return 0
