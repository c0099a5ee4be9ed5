"""`harness check`: detect regressions in the store's history or in imported histories.

Exit codes: 0 nothing to report, 1 a (confirmed) regression was found, 2 error (bad input).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from harness.detect import DetectorConfig, detect, group_alerts, new_verdicts, series_from_store
from harness.detect.changepoints import METHODS
from harness.detect.imports import HistoryError, read_benchmark_json, read_csv
from harness.records import Verdict

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def register(subparsers) -> None:
    """Add the `check` subcommand."""
    parser = subparsers.add_parser(
        "check", help="detect regressions (exit 1 if any), improvements, outliers, env changes",
        description="Detect persistent shifts per test x metric x environment against each "
                    "series' own noise. Exit 0: nothing to report, 1: regression, 2: error.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from-csv", type=Path, metavar="PATH",
                        help="CSV with columns run,commit,test,metric,value,higher_is_better,env")
    source.add_argument("--from-benchmark-json", type=Path, nargs="+", metavar="PATH",
                        help="pytest-benchmark JSON files, one per run")
    parser.add_argument("--new", action="store_true",
                        help="only verdicts that appear with the newest run (nightly alerting)")
    parser.add_argument("--format", choices=("table", "json", "markdown"), default="table",
                        help="stdout format; json prints one object per verdict per line")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help=f"also write a Markdown summary here (default: ${SUMMARY_ENV} "
                             "when set)")
    parser.add_argument("--html", type=Path, metavar="PATH",
                        help="also write an HTML report with trend plots (extra `report`)")
    parser.add_argument("--slack", action="store_true",
                        help="post regressions to the Slack webhook in $HARNESS_SLACK_WEBHOOK "
                             "(or the file named by $HARNESS_SLACK_WEBHOOK_FILE)")
    parser.add_argument("--fail-on-unconfirmed", action="store_true",
                        help="also exit 1 (and alert) on an unconfirmed regression: the newest "
                             "run alone jumped; by default it is shown but waits for a second "
                             "run to confirm it")
    parser.add_argument("--method", choices=METHODS, default=DetectorConfig.method,
                        help="change-point engine (pelt needs the `detect` extra)")
    parser.set_defaults(handler=run_check)


def _load_series(args: argparse.Namespace):
    from harness.cli import CommandError  # pylint: disable=import-outside-toplevel,cyclic-import
    from harness.cli.results import open_existing  # pylint: disable=import-outside-toplevel

    try:
        if args.from_csv:
            return read_csv(args.from_csv)
        if args.from_benchmark_json:
            return read_benchmark_json(args.from_benchmark_json)
    except HistoryError as error:
        raise CommandError(str(error)) from error
    return series_from_store(open_existing(args))


def _json_line(verdict: Verdict) -> str:
    data = verdict.to_dict()
    data["run"] = int(verdict.run_id) if verdict.run_id.isdigit() else verdict.run_id
    return json.dumps(data, sort_keys=True)


def _print_table(verdicts: list[Verdict], series_count: int) -> None:
    from rich.table import Table  # pylint: disable=import-outside-toplevel

    from harness.cli.output import console  # pylint: disable=import-outside-toplevel
    from harness.report.rows import COLUMNS, cells, headline  # pylint: disable=import-outside-toplevel

    out = console()
    out.print(headline(verdicts, series_count))
    if verdicts:
        table = Table()
        for column in COLUMNS:
            table.add_column(column)
        for verdict in verdicts:
            table.add_row(*cells(verdict))
        out.print(table)


def failing(verdicts: list[Verdict], include_unconfirmed: bool = False) -> list[Verdict]:
    """The regressions that fail the check (and are alerted)."""
    return [v for v in verdicts if v.is_regression and (v.confirmed or include_unconfirmed)]


def _publish(args: argparse.Namespace, series_list, verdicts: list[Verdict]) -> None:
    # pylint: disable=import-outside-toplevel  # publishers load only when asked for
    from harness.cli import CommandError  # pylint: disable=cyclic-import
    from harness.report.markdown import markdown_report

    target = args.markdown or (Path(os.environ[SUMMARY_ENV])
                               if os.environ.get(SUMMARY_ENV) else None)
    if target is not None:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown_report(verdicts, len(series_list)))
    if args.html:
        try:
            from harness.report.html import write_html
            write_html(args.html, series_list, verdicts)
        except ImportError as error:
            raise CommandError(f"the HTML report needs matplotlib: pip install "
                               f"'harness[report]' ({error})") from error
    if args.slack:
        from harness.alerts.slack import AlertError, SlackWebhook, send_alerts
        try:
            webhook = SlackWebhook.from_env()
            if webhook is None:
                raise CommandError("--slack: no webhook configured (set HARNESS_SLACK_WEBHOOK "
                                   "or HARNESS_SLACK_WEBHOOK_FILE)")
            send_alerts(webhook, group_alerts(failing(verdicts, args.fail_on_unconfirmed)))
        except AlertError as error:
            raise CommandError(str(error)) from None


def run_check(args: argparse.Namespace) -> int:
    """Detect, print, publish; exit 1 when a reported verdict is a regression."""
    from harness.cli import CommandError  # pylint: disable=import-outside-toplevel,cyclic-import
    from harness.report.markdown import markdown_report  # pylint: disable=import-outside-toplevel

    series_list = _load_series(args)
    config = DetectorConfig(method=args.method)
    try:
        verdicts = new_verdicts(series_list, config) if args.new else detect(series_list, config)
    except ImportError as error:
        raise CommandError(str(error)) from error
    if args.format == "json":
        for verdict in verdicts:
            print(_json_line(verdict))
    elif args.format == "markdown":
        print(markdown_report(verdicts, len(series_list)), end="")
    else:
        _print_table(verdicts, len(series_list))
    _publish(args, series_list, verdicts)
    return 1 if failing(verdicts, args.fail_on_unconfirmed) else 0
