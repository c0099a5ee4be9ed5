"""`harness publish` and `harness sync`: write runs to the regression sheet.

With a spreadsheet key (HARNESS_SHEET_KEY or `[tool.harness] sheet_key`) and service-account
credentials, the target is Google Sheets; otherwise the local workbook
(.harness/regression-sheet.xlsx or HARNESS_WORKBOOK). A run is marked published only after
its rows are confirmed written; on failure it stays unpublished for a later `harness sync`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence

from harness.cli.output import console
from harness.records import Run
from harness.store import Store, StoreError


def register(subparsers) -> None:
    """Add the `publish` and `sync` subcommands."""
    publish = subparsers.add_parser(
        "publish", help="write a run (default: the last one) to the regression sheet"
    )
    publish.add_argument("run", nargs="?", help="run id or prefix (default: the last run)")
    _target_options(publish)
    publish.set_defaults(handler=publish_command)

    sync = subparsers.add_parser(
        "sync", help="write every run not yet published to the regression sheet, oldest first"
    )
    _target_options(sync)
    sync.set_defaults(handler=sync_command)


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sheet-key", help="Google spreadsheet id (default: $HARNESS_SHEET_KEY "
                        "or [tool.harness] sheet_key; none: write the local workbook)")
    parser.add_argument("--credentials", metavar="PATH", help="service-account JSON key file "
                        "(default: $HARNESS_SHEET_CREDENTIALS or $GOOGLE_APPLICATION_CREDENTIALS)")
    parser.add_argument("--workbook", metavar="PATH", help="local .xlsx path (default: "
                        "$HARNESS_WORKBOOK or .harness/regression-sheet.xlsx)")


def make_target(args: argparse.Namespace):
    """The sheet or workbook target the settings name."""
    # pylint: disable=import-outside-toplevel  # publishers load gspread/openpyxl when used
    from harness.cli import CommandError  # pylint: disable=cyclic-import
    from harness.publish.settings import resolve_settings

    try:
        settings = resolve_settings(args.sheet_key, args.credentials, args.workbook)
    except ValueError as error:
        raise CommandError(str(error)) from error
    if not settings.uses_sheet:
        from harness.publish.workbook import WorkbookTarget

        return WorkbookTarget(settings.workbook_path), settings
    if settings.credentials_path is None:
        raise CommandError(
            f"spreadsheet {settings.sheet_key} is configured but no credentials are: set "
            "HARNESS_SHEET_CREDENTIALS to the service account's JSON key file (or unset "
            "HARNESS_SHEET_KEY to write the local workbook). Nothing was published; run "
            "`harness sync` once that is fixed"
        )
    try:
        from harness.publish.retry import RetryPolicy
        from harness.publish.sheet import SheetTarget
    except ImportError as error:
        raise CommandError(
            f"publishing to Google Sheets needs the 'sheet' extra ({error.name} is missing): "
            "pip install 'harness[sheet]'"
        ) from error
    policy = RetryPolicy(timeout_s=settings.timeout_s)
    return SheetTarget(settings.sheet_key, settings.credentials_path, settings.endpoint,
                       policy), settings


def chunks(sizes: Sequence[int], limit: int) -> Iterator[slice]:
    """Consecutive slices whose summed sizes stay within `limit` (an oversize item alone)."""
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if index > start and total + size > limit:
            yield slice(start, index)
            start, total = index, 0
        total += size
    if start < len(sizes):
        yield slice(start, len(sizes))


def publish_runs(
    store: Store,
    target,
    runs: Sequence[Run],
    tolerance_pct: float | None,
    report: Callable[[str], None],
    regressions_for: Callable[[list], list[dict]] | None = None,
    flags_for: Callable[[list], dict] | None = None,
) -> int:
    """Publish `runs` (oldest first) in batches that fit one write; mark each published.

    Cells are coloured by change against the previous run beyond `tolerance_pct` (None: not
    at all), and by `flags_for(batch)`, {(run_id, test, metric): "regression" | "improvement"
    | "outlier"} from detection, which wins; `regressions_for(batch)` gives the Regressions
    rows as dicts keyed by REGRESSIONS_HEADER names.
    Returns how many runs were published. Raises PublishError on failure: runs of the
    failing batch and after it stay unpublished.
    """
    from harness.publish.collect import RecordsCollector  # pylint: disable=import-outside-toplevel

    collector = RecordsCollector(store)
    sizes = [len(collector.measurements(run.run_id)) * 20 + 20 for run in runs]
    done = 0
    for part in chunks(sizes, target.max_cells_per_write):
        batch = collector.collect(runs[part])
        target.write(_content(batch, tolerance_pct, flags_for, regressions_for))
        for records in batch:
            store.mark_published(records.run.run_id, target.name)
            done += 1
            report(
                f"  [{done}/{len(runs)}] run {records.run.run_id[:8]}  commit "
                f"{records.run.git.short_commit}  {len(records.measurements)} metrics"
            )
    return done


def _content(batch: list, tolerance_pct: float | None, flags_for, regressions_for):
    """The sheet content for a batch: tolerance colouring, overridden by detection's flags."""
    # pylint: disable=import-outside-toplevel
    from harness.publish.layout import build_content, change_flags

    flags = change_flags(batch, tolerance_pct) if tolerance_pct is not None else {}
    flags.update(flags_for(batch) if flags_for else {})
    return build_content(batch, flags, regressions_for(batch) if regressions_for else [])


def _publish_with_colouring(store: Store, target, runs: Sequence[Run], settings,
                            report: Callable[[str], None]) -> int:
    """Publish with detection's verdicts (the default) or the tolerance colouring."""
    if settings.colouring == "tolerance":
        return publish_runs(store, target, runs, settings.tolerance_pct, report)
    from harness.publish.verdicts import detection_hooks  # pylint: disable=import-outside-toplevel

    flags_for, regressions_for = detection_hooks(store)
    return publish_runs(store, target, runs, None, report, regressions_for, flags_for)


def _run_publish(args: argparse.Namespace, pick: Callable[[Store, str], list[Run]]) -> int:
    from harness.cli import CommandError  # pylint: disable=import-outside-toplevel,cyclic-import
    from harness.cli.results import open_existing  # pylint: disable=import-outside-toplevel
    from harness.publish.errors import PublishError  # pylint: disable=import-outside-toplevel

    store = open_existing(args)
    target, settings = make_target(args)
    runs = pick(store, target.name)
    out = console()
    if not runs:
        out.print(f"Nothing to publish: every run is already in {target.location}")
        return 0
    out.print(f"Publishing {len(runs)} run(s) to {target.location}")
    try:
        done = _publish_with_colouring(store, target, runs, settings, out.print)
    except PublishError as error:
        left = len(store.unpublished_runs(target.name))
        raise CommandError(
            f"{error}\nThe results are safe in the store; {left} run(s) stay unpublished: run "
            "`harness sync` once this is fixed"
        ) from None
    out.print(f"Published {done} run(s) to {target.location}")
    return 0


def publish_command(args: argparse.Namespace) -> int:
    """Publish one run (default: the last)."""
    from harness.cli import CommandError  # pylint: disable=import-outside-toplevel,cyclic-import

    def pick(store: Store, _target: str) -> list[Run]:
        if not args.run:
            last = store.last_run()
            if last is None:
                raise CommandError("the store holds no runs yet: run the suites first")
            return [last]
        try:
            return [store.get_run(args.run)]
        except StoreError as error:
            raise CommandError(str(error)) from error

    return _run_publish(args, pick)


def sync_command(args: argparse.Namespace) -> int:
    """Publish every run not yet published to the target, oldest first."""
    return _run_publish(args, lambda store, target: store.unpublished_runs(target))
