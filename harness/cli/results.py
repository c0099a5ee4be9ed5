"""`harness show` and `harness history`: read what the store holds."""

from __future__ import annotations

import argparse

from harness.cli.output import console, format_value, run_heading
from harness.errors import CommandError
from harness.publish.collect import RecordsCollector
from harness.publish.layout import change_pct
from harness.records import Run
from harness.store import Store, StoreError


def register(subparsers) -> None:
    """Add the `show` and `history` subcommands."""
    show = subparsers.add_parser("show", help="the last run (or one run): every metric")
    show.add_argument("run", nargs="?", help="run id or prefix (default: the last run)")
    show.set_defaults(handler=show_run)

    history = subparsers.add_parser("history", help="one metric across runs")
    history.add_argument("--test", required=True, help="test id, e.g. suites/...::test_x[cnn]")
    history.add_argument("--metric", required=True, help="metric name, e.g. top1_accuracy")
    history.add_argument("--limit", type=int, default=50, help="newest N runs (default 50)")
    history.set_defaults(handler=show_history)


def open_existing(args: argparse.Namespace) -> Store:
    """The store the user named, which must exist already."""
    try:
        return Store.open(args.store, create=False)
    except (StoreError, ValueError) as error:
        raise CommandError(str(error)) from error


def pick_run(store: Store, run_id: str | None) -> Run:
    """The run named by an id prefix, or the last run; a clear error when there is none."""
    try:
        run = store.get_run(run_id) if run_id else store.last_run()
    except StoreError as error:
        raise CommandError(str(error)) from error
    if run is None:
        raise CommandError(
            "the store holds no runs yet: run the suites first (`nox -s integration`)"
        )
    return run


def show_run(args: argparse.Namespace) -> int:
    """Print a run's heading, then a table of its measurements."""
    from rich.table import Table  # pylint: disable=import-outside-toplevel

    store = open_existing(args)
    run = pick_run(store, args.run)
    out = console()
    out.print(run_heading(run))
    table = Table(show_lines=False, caption="change: against the previous run in the same "
                  "environment (- when there is none)")
    for column, justify in (
        ("test", "left"),
        ("metric", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("change", "right"),
        ("better", "left"),
        ("status", "left"),
    ):
        table.add_column(column, justify=justify,  # type: ignore[arg-type]
                         overflow="fold")
    items = store.measurements(run.run_id)
    previous = RecordsCollector(store).collect([run])[0].previous
    for item in items:
        table.add_row(
            item.test,
            item.metric,
            format_value(item.value),
            item.unit,
            change_text(item.value, previous.get((item.test, item.metric))),
            "higher" if item.higher_is_better else "lower",
            item.status.value,
        )
    out.print(table)
    out.print(f"{len(items)} measurements")
    return 0


def change_text(value: float | None, previous: float | None) -> str:
    """The change against the previous value in percent, e.g. '+1.4 %' ('-' when unknown)."""
    pct = change_pct(value, previous)
    return "-" if pct is None else f"{pct:+.1f} %"


def show_history(args: argparse.Namespace) -> int:
    """Print one metric of one test across runs, oldest first."""
    from rich.table import Table  # pylint: disable=import-outside-toplevel

    store = open_existing(args)
    rows = store.history(args.test, args.metric)[-args.limit :]
    if not rows:
        known = sorted({test for test, _ in store.series_names()})
        hint = f" Known tests: {', '.join(known[:10])}" if known else " The store is empty."
        raise CommandError(f"no values of metric '{args.metric}' for test '{args.test}'.{hint}")
    table = Table(title=f"{args.test} · {args.metric}")
    for column in ("run", "started", "commit", "env", "value", "unit", "status"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for run, item in rows:
        table.add_row(
            run.run_id[:8],
            run.started_at.strftime("%Y-%m-%d %H:%M"),
            run.git.short_commit,
            run.env.fingerprint[:8],
            format_value(item.value),
            item.unit,
            item.status.value,
        )
    console().print(table)
    return 0
