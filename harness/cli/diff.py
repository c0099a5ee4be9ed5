"""`harness diff RUN_A [RUN_B]`: what differs between two runs, or between two tests.

Only the differences by default (`--all` for every compared item): each test's configuration
(what `metrics.config()` recorded, as dotted keys), the environment, git, and the metrics
with their change. `--test` picks one test of both runs; `--test-a`/`--test-b` compare two
different tests (e.g. two architectures of one run: `harness diff RUN --test-a
'test_accuracy[resnet]' --test-b 'test_accuracy[vit]'`). A test is named by its id or by the
end of it.
"""

from __future__ import annotations

import argparse

from harness.cli.output import console, run_heading
from harness.cli.results import open_existing, pick_run
from harness.errors import CommandError
from harness.report.diff import (
    METRICS,
    SECTIONS,
    Difference,
    Side,
    commit_range,
    diff_sides,
    pairs,
    shown,
)
from harness.stages.diff import load_side
from harness.store import Store


def register(subparsers) -> None:
    """Add the `diff` subcommand."""
    parser = subparsers.add_parser(
        "diff", help="what differs between two runs (config, environment, git, metrics)")
    parser.add_argument("run_a", metavar="RUN_A", help="run id or prefix")
    parser.add_argument("run_b", metavar="RUN_B", nargs="?",
                        help="run id or prefix (default: RUN_A, to compare two of its tests)")
    parser.add_argument("--test", help="compare only this test (its id or the end of it)")
    parser.add_argument("--test-a", help="the test of RUN_A to compare with --test-b")
    parser.add_argument("--test-b", help="the test of RUN_B to compare with --test-a")
    parser.add_argument("--all", action="store_true", dest="everything",
                        help="show every compared item, not only the differences")
    parser.set_defaults(handler=diff_command)


def _side(store: Store, run_id: str | None) -> Side:
    return load_side(store, pick_run(store, run_id))


def resolve_test(side: Side, name: str | None) -> str | None:
    """The test id of `side` that is `name` or ends with it (it must be unambiguous)."""
    if not name:
        return None
    tests = sorted(set(side.configs) | {m.test for m in side.measurements})
    if name in tests:
        return name
    found = [test for test in tests if test.endswith(name)]
    if len(found) == 1:
        return found[0]
    run = side.run.run_id[:8]
    if not found:
        known = ", ".join(tests[:8]) or "none"
        raise CommandError(f"run {run} has no test '{name}' (its tests: {known})")
    raise CommandError(f"test '{name}' is ambiguous in run {run}: {', '.join(found[:4])}")


def diff_command(args: argparse.Namespace) -> int:
    """Print the differences, one table per section."""
    if args.test and (args.test_a or args.test_b):
        raise CommandError("give --test, or --test-a and --test-b, not both")
    if args.run_b is None and not (args.test_a and args.test_b):
        raise CommandError("give RUN_B, or --test-a and --test-b to compare two tests of "
                           "RUN_A")
    store = open_existing(args)
    a = _side(store, args.run_a)
    b = _side(store, args.run_b or args.run_a)
    test_a = resolve_test(a, args.test_a or args.test)
    test_b = resolve_test(b, args.test_b or args.test)
    found = diff_sides(a, b, pairs(a, b, test_a, test_b), everything=args.everything)
    out = console()
    out.print(f"A: {run_heading(a.run)}", soft_wrap=True)
    out.print(f"B: {run_heading(b.run)}", soft_wrap=True)
    out.print(f"commits {commit_range(a.run, b.run)}", soft_wrap=True)
    if not found:
        out.print("no differences" + ("" if args.everything else " (--all shows everything)"))
        return 0
    for section in SECTIONS:
        rows = [item for item in found if item.section == section]
        if rows:
            title, table = _table(section, rows)
            out.print(title, soft_wrap=True)
            out.print(table)
    return 0


def _table(section: str, rows: list[Difference]):
    from rich.table import Table  # pylint: disable=import-outside-toplevel

    tests = {row.test for row in rows}
    # One test (or one pair of tests) for the whole table: named once, above it.
    with_tests = len(tests) > 1
    title = section if with_tests or not any(tests) else f"{section}: {tests.pop()}"
    table = Table()
    if with_tests:
        table.add_column("test", overflow="fold")
    table.add_column("metric" if section == METRICS else "key", overflow="fold")
    table.add_column("A", overflow="fold", justify="right" if section == METRICS else "left")
    table.add_column("B", overflow="fold", justify="right" if section == METRICS else "left")
    if section == METRICS:
        table.add_column("Δ", justify="right")
        table.add_column("unit")
    for row in rows:
        cells = ([row.test] if with_tests else []) + [row.key, shown(row.a), shown(row.b)]
        if section == METRICS:
            cells += ["-" if row.change_pct is None else f"{row.change_pct:+.1f} %", row.unit]
        table.add_row(*cells)
    return title, table
