"""`harness publish` and `harness sync`: bring the regression sheet to the store's state.

With a spreadsheet key (HARNESS_SHEET_KEY or `[tool.harness] sheet_key`) and service-account
credentials, the target is Google Sheets; otherwise the local workbook
(.harness/regression-sheet.xlsx or HARNESS_WORKBOOK). A run is marked published only after
its rows are confirmed written; on failure it stays unpublished for a later `harness sync`.
Every publish also brings the stored verdicts' colours and Regressions rows up to date.
"""

from __future__ import annotations

import argparse

from harness.cli.output import console
from harness.cli.results import open_existing, pick_run
from harness.settings import add_options, options_from, resolve

TARGET_SETTINGS = ["sheet_key", "credentials", "workbook"]


def register(subparsers) -> None:
    """Add the `publish` and `sync` subcommands."""
    publish = subparsers.add_parser(
        "publish", help="write a run (default: the last one) and the verdicts' state to the "
                        "regression sheet")
    publish.add_argument("run", nargs="?", help="run id or prefix (default: the last run)")
    add_options(publish, TARGET_SETTINGS)
    publish.set_defaults(handler=publish_command)

    sync = subparsers.add_parser(
        "sync", help="write every run not yet published (oldest first) and the verdicts' "
                     "state to the regression sheet")
    add_options(sync, TARGET_SETTINGS)
    sync.set_defaults(handler=sync_command)


def _publish(args: argparse.Namespace, one_run: bool) -> int:
    # pylint: disable=import-outside-toplevel  # publishers load only when publishing
    from harness.stages.publish import publish

    settings = resolve(options_from(args))
    store = open_existing(args)
    runs = [pick_run(store, args.run)] if one_run else None
    out = console()
    result = publish(store, settings, runs, out.print)
    if not (result.runs or result.regressions or result.restyled):
        what = "this run is" if one_run else "every run is"
        out.print(f"Nothing to publish: {what} already in {result.location} and its "
                  "verdicts are up to date")
        return 0
    out.print(f"Published to {result.location}: {result.runs} new run(s), "
              f"{result.regressions} verdict row(s) and {result.restyled} earlier cell(s) "
              "brought up to date")
    return 0


def publish_command(args: argparse.Namespace) -> int:
    """Publish one run (default: the last) and the verdicts' state."""
    return _publish(args, one_run=True)


def sync_command(args: argparse.Namespace) -> int:
    """Publish every run not yet published to the target, oldest first."""
    return _publish(args, one_run=False)
