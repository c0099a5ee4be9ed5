"""Publish to Google Sheets with gspread's real client, exactly once under faults.

Per publish, in the normal case: 2 reads (spreadsheet metadata, one values:batchGet of the
key columns) and 1 write (one atomic spreadsheets:batchUpdate), plus 1 write the first time
to create the tabs. After an ambiguous write (5xx, timeout or reset after sending) we wait
`settle_s`, read the keys back, send only what is missing, and verify once more, removing a
duplicate that a late-landing write may have left.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import gspread
import requests
from google.auth import exceptions as auth_errors
from google.auth.transport.requests import AuthorizedSession, Request

from harness.publish import redact
from harness.publish.credentials import CredentialsError, account_email, load_credentials
from harness.publish.errors import PublishError
from harness.publish.layout import HEADER_ROWS, RUNS_TAB, SUMMARY_TAB, TABS, SheetContent
from harness.publish.retry import AmbiguousWrite, RetriesExhausted, RetryPolicy, call, status_of
from harness.publish.settings import GOOGLE_SHEETS_ENDPOINT
from harness.publish.sheet_plan import (
    Grid,
    SheetState,
    duplicate_requests,
    new_cells,
    parse_state,
    plan_requests,
    setup_requests,
    state_ranges,
)

GOOGLE_CELL_LIMIT = 10_000_000
EMPTY = SheetContent((), ())
# google-auth looks up a service account's "regional access boundary" here after a token
# refresh; with a custom endpoint that lookup goes to the same gateway.
GOOGLE_IAM_ENDPOINT = "https://iamcredentials.googleapis.com"


class GatewaySession(requests.Session):
    """The session google-auth uses for its own calls, sending Google's IAM credentials API
    to `endpoint` (the token endpoint comes from the key file's `token_uri`)."""

    # requests.Session pickles and copies only the attributes named here; google-auth copies
    # the session for its background lookups.
    __attrs__ = [*requests.Session.__attrs__, "endpoint"]

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = endpoint.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        """Rewrite the IAM credentials URL, then send."""
        if isinstance(url, str) and url.startswith(GOOGLE_IAM_ENDPOINT):
            url = self.endpoint + url[len(GOOGLE_IAM_ENDPOINT):]
        return super().request(method, url, *args, **kwargs)
MAX_ROUNDS = 6  # read-plan-write rounds before giving up on confirming a publish


class RoutedSession(AuthorizedSession):
    """An AuthorizedSession that sends Sheets calls to `endpoint` with a default timeout.

    gspread hard-codes https://sheets.googleapis.com; a proxy, a regional gateway or a local
    test server is reached by rewriting that prefix here (and google-auth's IAM calls go
    there too, see GatewaySession).
    """

    def __init__(self, credentials, endpoint: str, timeout_s: float) -> None:
        gateway = endpoint.rstrip("/") != GOOGLE_SHEETS_ENDPOINT
        auth_request = Request(GatewaySession(endpoint)) if gateway else None
        super().__init__(credentials, auth_request=auth_request, refresh_timeout=timeout_s)
        self.endpoint = endpoint.rstrip("/")
        self.timeout_s = timeout_s

    def request(self, method, url, data=None, headers=None, max_allowed_time=None,
                timeout=None, **kwargs):  # pylint: disable=too-many-arguments
        """Send the request to the configured endpoint, never without a timeout."""
        if url.startswith(GOOGLE_SHEETS_ENDPOINT):
            url = self.endpoint + url[len(GOOGLE_SHEETS_ENDPOINT):]
        return super().request(method, url, data=data, headers=headers,
                               max_allowed_time=max_allowed_time,
                               timeout=timeout or self.timeout_s, **kwargs)


class SheetTarget:
    """The regression sheet in Google Sheets (or anything speaking its API at `endpoint`)."""

    max_cells_per_write = 60_000  # keeps one batchUpdate well under Google's 2 MB payload
    state_window = 500  # newest rows of Runs and Summary a publish reads back (see write)
    cell_limit = GOOGLE_CELL_LIMIT

    def __init__(
        self,
        key: str,
        credentials_path: Path,
        endpoint: str = GOOGLE_SHEETS_ENDPOINT,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.key = key
        self.credentials_path = credentials_path
        self.endpoint = endpoint
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self._http: gspread.HTTPClient | None = None
        self._grids: dict[str, Grid] = {}
        self._grids_stale = False  # a write changed the tab sizes since they were read
        self.notices: list[str] = []  # what a reader should hear after publishing

    @property
    def name(self) -> str:
        """The publication target recorded in the store."""
        return f"sheet:{self.key}"

    @property
    def location(self) -> str:
        """Where a reader finds the sheet."""
        return f"https://docs.google.com/spreadsheets/d/{self.key}"

    # -- connecting ------------------------------------------------------------------------

    def _open(self) -> gspread.HTTPClient:
        """Connect and read the spreadsheet's metadata (one read), with a clear error for
        each way that can fail."""
        if self._http is not None:
            return self._http
        try:
            credentials = load_credentials(self.credentials_path)
        except CredentialsError as error:
            raise PublishError(str(error)) from None
        redact.install()  # google-auth's modules are loaded now: filter their debug logs
        session = RoutedSession(credentials, self.endpoint, self.policy.timeout_s)
        # The session carries the credentials; gspread takes None for them then.
        self._http = gspread.Client(None, session=session).http_client  # type: ignore[arg-type]
        try:
            self._grids = self._read_grids()
        except gspread.exceptions.APIError as error:
            self._http = None
            raise self._access_error(error) from None
        return self._http

    def _access_error(self, error: BaseException) -> PublishError:
        status = status_of(error) or status_of(error.__cause__ or error)
        if status == 404:
            return PublishError(
                f"spreadsheet {self.key} does not exist: check HARNESS_SHEET_KEY or "
                "[tool.harness] sheet_key (the id between /d/ and /edit in the sheet's URL)"
            )
        if status == 403:
            email = account_email(self.credentials_path)
            return PublishError(
                f"the service account {email} may not edit spreadsheet {self.key}: share the "
                f"spreadsheet with {email} as an Editor"
            )
        return PublishError(f"Google Sheets refused to open spreadsheet {self.key} "
                            f"(HTTP {status}): {_api_message(error)}")

    def _call(self, action, *, write: bool):
        """One request under the retry policy, with token errors turned into clear messages."""
        try:
            return call(action, write=write, policy=self.policy, sleep=self.sleep)
        except auth_errors.RefreshError as error:
            reason = str(error.args[0])[:120] if error.args else "refused"
            raise PublishError(
                "Google refused the service-account credentials "
                f"({reason}): the key may be revoked or the file outdated; create a new key "
                "for the service account and point HARNESS_SHEET_CREDENTIALS at it"
            ) from None
        except RetriesExhausted as error:
            raise PublishError(f"Google Sheets kept failing: {error}") from error

    def _read_grids(self) -> dict[str, Grid]:
        """Every tab's id and size (one metadata read)."""
        assert self._http is not None
        http = self._http
        metadata = self._call(lambda: http.fetch_sheet_metadata(self.key), write=False)
        grids = {}
        for sheet in metadata.get("sheets", []):
            props = sheet["properties"]
            size = props.get("gridProperties", {})
            grids[props["title"]] = Grid(
                props["sheetId"], size.get("rowCount", 0), size.get("columnCount", 0)
            )
        return grids

    # -- writing ---------------------------------------------------------------------------

    def write(self, content: SheetContent) -> None:
        """Add every row of `content` the spreadsheet lacks; each row ends up exactly once."""
        book = self._open()
        window = max(self.state_window, 2 * (len(content.runs) + len(content.summary)))
        if self._grids_stale:  # a sync's earlier batch grew the tabs: plan on their new size
            self._grids = self._read_grids()
        self._ensure_tabs(book)
        self._grids_stale = True
        ambiguous = False
        for _ in range(MAX_ROUNDS):
            state = self._read_state(book, content, window)
            batch = duplicate_requests(state, self._grids)
            repairing = bool(batch)
            if not repairing:
                self._check_cell_limit(content, state)
                batch = plan_requests(content, state, self._grids)
            if not batch:
                return
            try:
                self._batch_update(book, batch)
            except AmbiguousWrite:
                ambiguous = True
                self.sleep(self.policy.settle_s)
                self._grids = self._read_grids()
                continue
            if not repairing:
                # A batchUpdate is atomic: everything it planned landed. What is left is to
                # remove a copy that an earlier, ambiguous write may still land late.
                content = EMPTY
            if ambiguous or repairing:
                self.sleep(self.policy.settle_s if ambiguous else 0)
                self._grids = self._read_grids()
                continue
            return
        raise PublishError(
            f"could not confirm the rows in spreadsheet {self.key} after {MAX_ROUNDS} rounds of "
            "ambiguous failures"
        )

    def _ensure_tabs(self, book: gspread.HTTPClient) -> None:
        """Create the Runs, Summary and Regressions tabs if missing (one write, first time)."""
        for _ in range(MAX_ROUNDS):
            missing = [tab for tab in TABS if tab not in self._grids]
            if not missing:
                return
            first_id = max((grid.sheet_id for grid in self._grids.values()), default=0) + 1
            batch, grids = setup_requests(missing, first_id)
            try:
                self._call(lambda requests=batch: book.batch_update(
                    self.key, {"requests": requests}), write=True)
                self._grids.update(grids)
            except AmbiguousWrite:
                self.sleep(self.policy.settle_s)
                self._grids = self._read_grids()
            except gspread.exceptions.APIError as error:
                if status_of(error) != 400 or "already exists" not in _api_message(error):
                    raise self._rejected(error) from None
                self._grids = self._read_grids()  # another publisher created them just now
        raise PublishError(f"could not create the tabs in spreadsheet {self.key}")

    def _read_state(self, book: gspread.HTTPClient, content: SheetContent,
                    window: int) -> SheetState:
        """The key columns and Summary order (one values:batchGet): the newest `window` rows
        of the Runs and Summary tabs, or whole columns when the window does not hold
        everything `content` needs (a late run older than the window, a restyle below it)."""
        params: dict[str, str | int | bool | float | list[str] | None] = {
                  "valueRenderOption": "UNFORMATTED_VALUE",
                  "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"}
        runs_rows = self._grids[RUNS_TAB].rows - HEADER_ROWS[RUNS_TAB]
        summary_rows = self._grids[SUMMARY_TAB].rows - HEADER_ROWS[SUMMARY_TAB]
        # Google refuses a read past a tab's grid: a window as large as the tab reads it whole
        windowed = (max(0, runs_rows - window), window if window < summary_rows else None)
        for runs_from, summary_window in (windowed, (0, None)):
            ranges = state_ranges(runs_from, summary_window)
            answer = self._call(lambda ranges=ranges: book.values_batch_get(
                self.key, ranges, params), write=False)
            state = parse_state(answer.get("valueRanges", []), runs_from, summary_window)
            if state.covers(content) and (state.runs_keys or not runs_from):
                return state
        return state

    def _check_cell_limit(self, content: SheetContent, state: SheetState) -> None:
        """Refuse a write past the cell limit; announce the roll-over well before it."""
        used = sum(grid.rows * grid.columns for grid in self._grids.values())
        added = new_cells(content, state, self._grids[SUMMARY_TAB].rows)
        if used + added > self.cell_limit:
            raise PublishError(_FULL.format(key=self.key, limit=self.cell_limit))
        runs = len(content.summary)
        if runs and used + added >= ROLL_OVER_SHARE * self.cell_limit:
            per_run = max(1, added // runs)
            self.notices[:] = [_ROLL_OVER.format(
                key=self.key, used=used + added, limit=self.cell_limit,
                share=100 * (used + added) / self.cell_limit, per_run=per_run,
                runs=(self.cell_limit - used - added) // per_run)]

    def _batch_update(self, book: gspread.HTTPClient, batch: list[dict]) -> None:
        try:
            self._call(lambda: book.batch_update(self.key, {"requests": batch}), write=True)
        except gspread.exceptions.APIError as error:
            raise self._rejected(error) from None

    def _rejected(self, error: gspread.exceptions.APIError) -> PublishError:
        """The error for a write that Google refused."""
        message = _api_message(error)
        if status_of(error) == 400 and "limit" in message.lower():
            stated = re.search(r"limit of ([\d,]+) cells", message)
            limit = int(stated.group(1).replace(",", "")) if stated else self.cell_limit
            return PublishError(_FULL.format(key=self.key, limit=limit))
        if status_of(error) == 403:
            return self._access_error(error)
        return PublishError(f"Google Sheets rejected the update (HTTP {status_of(error)}): "
                            f"{message}")


ROLL_OVER_SHARE = 0.8  # of the cell limit: from here on every publish announces the roll-over
_ROLL_OVER = (
    "spreadsheet {key} holds {used:,} of its {limit:,} cells ({share:.0f} %): at about "
    "{per_run:,} cells a run it is full after about {runs:,} more runs. Before then, create a "
    "new spreadsheet, share it with the service account and set HARNESS_SHEET_KEY (or "
    "[tool.harness] sheet_key) to it; this one stays as the archive of the runs before"
)
_FULL = (
    "spreadsheet {key} is at its limit of {limit:,} cells: start a new spreadsheet (set "
    "HARNESS_SHEET_KEY to it) or move old rows of the Runs tab to an archive"
)


def _api_message(error: BaseException) -> str:
    """The API's own error message (never request headers), shortened."""
    detail = getattr(error, "error", None)
    message = detail.get("message", "") if isinstance(detail, dict) else str(error)
    return str(message)[:300]


def check_access(sheet_key: str, credentials_path: Path,
                 endpoint: str = GOOGLE_SHEETS_ENDPOINT, timeout_s: float = 30.0) -> str | None:
    """None when the service account can open the spreadsheet, else what is wrong (the
    doctor's sharing check: the real publisher, one token request and one metadata read)."""
    target = SheetTarget(sheet_key, credentials_path, endpoint, RetryPolicy(timeout_s=timeout_s))
    try:
        target._open()  # pylint: disable=protected-access  # the connecting half of a publish
    except PublishError as error:
        return str(error)
    return None
