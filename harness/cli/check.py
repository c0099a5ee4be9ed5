"""`harness check`: detect once over the history, keep the verdicts in the store, report.

Exit codes: 0 nothing new to fail on, 1 a regression became confirmed in this check and
nobody has triaged it, 2 error (bad input). `--stats` prints the detector's record instead.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from harness.cli.output import console, print_verdicts
from harness.cli.results import open_existing
from harness.errors import EXIT_FINDING, EXIT_OK, CommandError
from harness.records import StoredVerdict
from harness.settings import add_options, options_from, resolve

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def register(subparsers) -> None:
    """Add the `check` subcommand."""
    parser = subparsers.add_parser(
        "check", help="detect regressions, keep verdicts in the store (exit 1 on a newly "
                      "confirmed, untriaged regression)",
        description="Detect persistent shifts per test x metric x environment against each "
                    "series' own noise, and bring the stored verdicts up to date: suspected "
                    "(unconfirmed), confirmed, or retracted. Exit 0: nothing new, 1: a "
                    "regression was newly confirmed and nobody triaged it, 2: error.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from-csv", type=Path, metavar="PATH",
                        help="CSV with columns run,commit,test,metric,value,higher_is_better,env"
                             " (not stored: every verdict counts as new)")
    source.add_argument("--from-benchmark-json", type=Path, nargs="+", metavar="PATH",
                        help="pytest-benchmark JSON files, one per run (not stored)")
    parser.add_argument("--new", action="store_true",
                        help="print only what changed since the last check (nightly)")
    parser.add_argument("--format", choices=("table", "json", "markdown"), default="table",
                        help="stdout format; json prints one object per verdict per line")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help=f"also write a Markdown summary here (and append it to "
                             f"${SUMMARY_ENV} when that is set)")
    parser.add_argument("--html", type=Path, metavar="PATH",
                        help="also write an HTML report with trend plots (extra `report`)")
    parser.add_argument("--slack", action="store_true",
                        help="post what changed (newly suspected, confirmed or retracted "
                             "regressions, each once) to the Slack webhook in "
                             "$HARNESS_SLACK_WEBHOOK or $HARNESS_SLACK_WEBHOOK_FILE")
    parser.add_argument("--fail-on-unconfirmed", action="store_true",
                        help="also exit 1 on a newly suspected regression: the newest run "
                             "alone jumped; by default it waits for later runs to confirm it")
    parser.add_argument("--stats", action="store_true",
                        help="print the detector's record from triage (alarms marked invalid "
                             "per metric kind) and exit")
    parser.add_argument("--days", type=int, default=90,
                        help="with --stats: the window in days (default 90)")
    add_options(parser, ["detect_method"])
    parser.set_defaults(handler=run_check)


def _json_line(item: StoredVerdict) -> str:
    data = item.verdict.to_dict()
    verdict = item.verdict
    data["run"] = int(verdict.run_id) if verdict.run_id.isdigit() else verdict.run_id
    data |= {"key": item.key, "state": item.state.value,
             "triage": item.triage.label if item.triage and item.triaged() else ""}
    return json.dumps(data, sort_keys=True)




def _print_table(result, only_news: bool) -> None:
    # pylint: disable=import-outside-toplevel  # rows only when printing
    from harness.report.rows import CHANGE_WORDS, CONFIDENCE_NOTE, stored_headline

    out = console()
    out.print(stored_headline(list(result.verdicts), len(result.series)))
    shown = [t.after for t in result.news] if only_news else result.open
    if result.news:
        out.print("Since the last check:")
        for change in result.news:
            out.print(f"  {CHANGE_WORDS[change.change]}: {change.after.verdict.kind.value} "
                      f"{change.after.verdict.test} {change.after.verdict.metric} (verdict "
                      f"{change.after.key[:8]}, now {change.after.state.value})",
                      soft_wrap=True)
    elif only_news:
        out.print("Nothing changed since the last check.")
    _print_notes(out, result)
    if shown:
        print_verdicts(out, shown)
        out.print(CONFIDENCE_NOTE, soft_wrap=True)


def _print_notes(out, result) -> None:
    """Series without enough history yet, and same-commit drift (neither is a verdict)."""
    if result.needed:
        out.print(f"{len(result.needed)} series need more history before they are judged:")
        for test, metric, runs in result.needed[:10]:
            out.print(f"  {test} {metric}: {runs} more run(s)", soft_wrap=True)
        if len(result.needed) > 10:
            out.print(f"  ... and {len(result.needed) - 10} more")
    for verdict in result.drift:
        out.print(f"environmental drift (same commit {verdict.commit[:10]}, not a regression): "
                  f"{verdict.test} {verdict.metric} moved {verdict.change_pct or 0:+.1f} % "
                  f"across runs {', '.join(run[:8] for run in verdict.runs)}", soft_wrap=True)


def _write_reports(args: argparse.Namespace, result, store=None) -> None:
    # pylint: disable=import-outside-toplevel  # publishers load only when asked for
    from harness.report.markdown import markdown_report

    text = markdown_report(list(result.verdicts), len(result.series), result.news,
                           needed=result.needed)
    if args.markdown:
        _write(args.markdown, text, append=False)
    if os.environ.get(SUMMARY_ENV):
        _write(Path(os.environ[SUMMARY_ENV]), text, append=True)
    if args.html:
        try:
            from harness.report.html import write_html
            from harness.stages.diff import range_diffs
        except ImportError as error:
            raise CommandError(f"the HTML report needs matplotlib: pip install "
                               f"'torch-regression-harness[report]' ({error})") from error
        try:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            write_html(args.html, list(result.series), [v.verdict for v in result.open],
                       diffs=None if store is None else range_diffs(
                           store, result.series, [v.verdict for v in result.open]),
                       needed=result.needed)
        except OSError as error:
            raise CommandError(f"cannot write {args.html}: {error.strerror}") from error


def _write(path: Path, text: str, append: bool) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from error


def _alert(store, settings, include_unconfirmed: bool) -> None:
    # pylint: disable=import-outside-toplevel  # Slack only when asked for
    from harness.alerts.slack import AlertError, SlackWebhook, send_transitions
    from harness.detect.lifecycle import to_alert

    try:
        webhook = SlackWebhook.from_settings(settings)
        if webhook is None:
            raise CommandError("--slack: no webhook configured (set HARNESS_SLACK_WEBHOOK "
                               "or HARNESS_SLACK_WEBHOOK_FILE)")
        chosen = to_alert(store.verdicts(), include_unconfirmed=include_unconfirmed)
        if chosen:
            send_transitions(webhook, chosen)
            store.mark_alerted({item.key: item.state.value for item in chosen})
    except AlertError as error:
        raise CommandError(str(error)) from None


def _stats(store, days: int) -> int:
    # pylint: disable=import-outside-toplevel  # rich tables only when printing
    from rich.table import Table

    from harness.stages.triage import detector_record

    rows = detector_record(store.verdicts(), days)
    out = console()
    out.print(f"The detector's record over the last {days} days (from triage):")
    table = Table()
    for column in ("metric kind", "alarms", "confirmed", "retracted", "triaged", "invalid",
                   "expected", "acknowledged", "fixed", "false alarms"):
        table.add_column(column, justify="left" if column == "metric kind" else "right")
    for row in rows:
        share = "-" if row.false_alarm_share is None else f"{100 * row.false_alarm_share:.0f} %"
        table.add_row(row.metric_kind, *(str(n) for n in (
            row.alarms, row.confirmed, row.retracted, row.triaged, row.invalid, row.expected,
            row.acknowledged, row.fixed)), share)
    out.print(table if rows else "No alarms in that window.")
    out.print("false alarms: alarms marked invalid among the triaged ones", soft_wrap=True)
    return EXIT_OK


def _imported(args: argparse.Namespace):
    # pylint: disable=import-outside-toplevel  # importers only when importing
    from harness.detect.imports import HistoryError, read_benchmark_json, read_csv

    try:
        if args.from_csv:
            return read_csv(args.from_csv)
        return read_benchmark_json(args.from_benchmark_json)
    except HistoryError as error:
        raise CommandError(str(error)) from error


def run_check(args: argparse.Namespace) -> int:
    """Detect, store the transitions, print and report; exit 1 on a newly confirmed
    untriaged regression."""
    # pylint: disable=import-outside-toplevel  # detection loads only when checking
    from harness.report.markdown import markdown_report
    from harness.stages.check import check_imported, check_store

    settings = resolve(options_from(args))
    imported = bool(args.from_csv or args.from_benchmark_json)
    if args.stats:
        if imported:
            raise CommandError("--stats reads the store's triage; it takes no imported history")
        return _stats(open_existing(args), args.days)
    try:
        if imported:
            result = check_imported(_imported(args), settings,
                                    fail_on_unconfirmed=args.fail_on_unconfirmed)
        else:
            store = open_existing(args)
            result = check_store(store, settings, fail_on_unconfirmed=args.fail_on_unconfirmed)
    except ImportError as error:
        raise CommandError(str(error)) from error
    if args.format == "json":
        for item in ([t.after for t in result.news] if args.new else result.open):
            print(_json_line(item))
    elif args.format == "markdown":
        print(markdown_report(list(result.verdicts), len(result.series), result.news,
                              needed=result.needed), end="")
    else:
        _print_table(result, args.new)
    _write_reports(args, result, None if imported else store)
    if args.slack:
        if imported:
            raise CommandError("--slack needs the store (it remembers what was alerted)")
        _alert(store, settings, args.fail_on_unconfirmed)
    return EXIT_FINDING if result.failing else EXIT_OK
