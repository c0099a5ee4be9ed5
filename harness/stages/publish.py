"""The publish stage: bring a sheet target to the store's current state.

New runs are added (Runs and Summary rows, exactly once); the stored verdicts are rendered on
every publish, earlier rows included (view.py), so a verdict confirmed nights later shows
where the researcher looks. Publishing never runs detection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from harness.errors import CommandError
from harness.publish.collect import RecordsCollector
from harness.publish.credentials import exposure_warning
from harness.publish.errors import PublishError
from harness.publish.layout import RunRecords, SheetContent, build_content
from harness.publish.settings import PublishSettings, publish_settings
from harness.publish.target import PublishTarget
from harness.publish.view import plan_view
from harness.records import Run, StoredVerdict, utc_now
from harness.settings import Settings
from harness.store import Store


@dataclass(frozen=True)
class PublishResult:
    """What a publish did: runs added, verdict rows and cells brought up to date."""

    runs: int
    regressions: int
    restyled: int
    location: str


def make_target(settings: Settings) -> PublishTarget:
    """The sheet or workbook target the settings name."""
    # pylint: disable=import-outside-toplevel  # publishers load gspread/openpyxl when used
    chosen: PublishSettings = publish_settings(settings)
    if not chosen.uses_sheet:
        from harness.publish.workbook import WorkbookTarget

        return WorkbookTarget(chosen.workbook_path, chosen.workbook_period)
    if chosen.credentials_path is None:
        raise CommandError(
            f"spreadsheet {chosen.sheet_key} is configured but no credentials are: set "
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
            "pip install 'torch-regression-harness[sheet]'"
        ) from error
    return SheetTarget(str(chosen.sheet_key), chosen.credentials_path, chosen.endpoint,
                       RetryPolicy(timeout_s=chosen.timeout_s))


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


def publish_runs(store: Store, target: PublishTarget, runs: Sequence[Run],
                 report: Callable[[str], None] = lambda _line: None,
                 commit_url: str = "") -> PublishResult:
    """Publish `runs` (oldest first) in batches that fit one write, and bring the verdicts'
    cells and rows up to date with the last batch (with none: alone). A run is marked
    published, and a mark recorded, only after the write that holds it succeeded.

    Commit cells link to `commit_url` (a template with `{sha}`; "" for none).
    Raises PublishError on failure: runs of the failing batch and after it stay unpublished.
    """
    state = _ViewState.read(store, target.name, commit_url)
    collector = RecordsCollector(store)
    parts = list(chunks([len(collector.measurements(run.run_id)) * 20 + 20 for run in runs],
                        target.max_cells_per_write)) or [slice(0, 0)]
    done, content = 0, build_content([])
    for number, part in enumerate(parts):
        batch = collector.collect(runs[part])
        content, marks = state.plan(batch, last=number == len(parts) - 1)
        if not (content.runs or content.summary or content.regressions or content.restyle):
            continue
        target.write(content)
        state.record(store, target.name, marks, {records.run.run_id for records in batch})
        for records in batch:
            done += 1
            report(f"  [{done}/{len(runs)}] run {records.run.run_id[:8]}  commit "
                   f"{records.run.git.short_commit}  {len(records.measurements)} metrics")
    _report_notices(target, report)
    return PublishResult(done, len(content.regressions), len(content.restyle), target.location)


def _report_notices(target: PublishTarget, report: Callable[[str], None]) -> None:
    """What the target asks a reader to hear after a publish (the sheet's roll-over)."""
    for notice in getattr(target, "notices", ()):
        report(notice)


@dataclass
class _ViewState:
    """What a target shows and the store holds, as a publish goes along."""

    verdicts: list[StoredVerdict]
    shown: dict[str, str]
    published: set[str]
    dates: dict[str, datetime]
    now: datetime
    commit_url: str = ""

    @classmethod
    def read(cls, store: Store, target: str, commit_url: str = "") -> _ViewState:
        """Read it from the store."""
        timeline = store.runs(newest_first=False)
        unpublished = {run.run_id for run in store.unpublished_runs(target)}
        return cls(store.verdicts(), store.published_marks(target),
                   {run.run_id for run in timeline} - unpublished,
                   {run.run_id: run.started_at for run in timeline}, utc_now(), commit_url)

    def plan(self, batch: list[RunRecords], last: bool
             ) -> tuple[SheetContent, dict[str, str | None]]:
        """The content for one batch (the verdicts' rows and restyles ride with the last one)
        and the marks to record once it landed."""
        new = {records.run.run_id for records in batch}
        view = plan_view(self.verdicts, self.shown, self.published, new, self.dates, self.now)
        content = build_content(batch, view.flags, view.regressions if last else (),
                                view.restyle if last else (), self.commit_url)
        marks = {item: digest for item, digest in view.marks.items()
                 if last or item.split("\0")[1] in new}
        return content, marks

    def record(self, store: Store, target: str, marks: dict[str, str | None],
               runs: set[str]) -> None:
        """After a write landed: remember its marks, then mark its runs published."""
        store.set_published_marks(target, marks)
        for run_id in sorted(runs):
            store.mark_published(run_id, target)
        self.published |= runs
        self.shown = {**{k: v for k, v in self.shown.items() if marks.get(k, v) is not None},
                      **{k: v for k, v in marks.items() if v is not None}}


def publish(store: Store, settings: Settings, runs: Sequence[Run] | None = None,
            report: Callable[[str], None] = lambda _line: None) -> PublishResult:
    """Publish `runs` (default: every run not yet in the target) and the verdicts' state."""
    target = make_target(settings)
    configured = publish_settings(settings)
    if configured.uses_sheet and configured.credentials_path is not None:
        warning = exposure_warning(configured.credentials_path)
        if warning:
            report(warning)
    commit_url = configured.commit_url
    unpublished = store.unpublished_runs(target.name)
    missing = {run.run_id for run in unpublished}
    chosen = unpublished if runs is None else [run for run in runs if run.run_id in missing]
    try:
        return publish_runs(store, target, chosen, report, commit_url)
    except PublishError as error:
        left = len(store.unpublished_runs(target.name))
        raise CommandError(
            f"{error}\nThe results are safe in the store; {left} run(s) stay unpublished: run "
            "`harness sync` once this is fixed"
        ) from None
