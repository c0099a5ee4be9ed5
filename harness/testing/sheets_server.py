"""A local HTTP server speaking the Sheets API v4 subset the harness uses, plus OAuth.

It binds to 127.0.0.1 only. gspread's real client reaches it through
`harness.publish.sheet.RoutedSession` (endpoint = `server.url`), and google-auth's real
JWT-bearer flow through a service-account file whose `token_uri` is `server.url + "/token"`.

Faults are scripted per request (`inject`): error answers with JSON or HTML bodies, writes
that are applied and then fail or stall, stalls before applying, connection resets, token
endpoint failures. Counters tell how many read, write and token requests arrived.
"""

from __future__ import annotations

import json
import secrets
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from harness.testing import sheets_ops as ops
from harness.testing.service_account import InvalidGrant, new_service_account, verify_assertion
from harness.testing.sheets_model import ApiError, Sheet, Spreadsheet, invalid_field

FAULTS = (
    "429-json", "429-html", "502-html", "500", "503", "write-then-503", "write-then-stall",
    "stall-then-write", "reset", "write-then-reset",
)
# google-auth always signs for Google's token endpoint, whatever token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
READ_OPS = {"metadata", "values.get", "values.batchGet"}
_HTML = ("<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error {code}</title>"
         "<p><b>{code}.</b> <ins>That's an error.</ins><p>The server encountered a temporary "
         "error and could not complete your request.<p>Please try again. "
         "<ins>That's all we know.</ins></html>")


@dataclass
class _Scripted:
    """One injected fault: applies to the next request of kind `on`."""

    fault: str
    on: str  # "read", "write", "token", "any" or an operation name such as "batchUpdate"


class _Reset(Exception):
    """Abort the connection with a TCP reset."""


class SheetsServer:  # pylint: disable=too-many-instance-attributes  # state + what tests inspect
    """The in-memory Sheets service. Use as a context manager or call start()/stop()."""

    def __init__(self, stall_s: float = 1.0) -> None:
        self.stall_s = stall_s
        self.lock = threading.Lock()
        self.books: dict[str, Spreadsheet] = {}
        self.keys: dict[str, Any] = {}  # service-account e-mail -> public key
        self.tokens: dict[str, str] = {}  # access token -> e-mail
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, str]] = []  # (operation, outcome)
        self.ranges_read: list[str] = []  # every range a values:batchGet asked for
        self._faults: list[_Scripted] = []
        self._stop = threading.Event()
        self._busy = 0
        self._idle = threading.Condition(self.lock)
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT."""
        assert self._httpd is not None, "start() the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SheetsServer:
        """Listen on an ephemeral loopback port in a background thread."""
        handler = type("Handler", (_Handler,), {"app": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving (stalled requests are released)."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> SheetsServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- set-up ------------------------------------------------------------------------------

    def create_spreadsheet(self, spreadsheet_id: str | None = None, title: str = "Regressions",
                           editors: set[str] | None = None, cell_limit: int = 10_000_000) -> str:
        """A new spreadsheet with one empty 'Sheet1' (as Drive creates them); returns its id."""
        spreadsheet_id = spreadsheet_id or secrets.token_urlsafe(30)[:44]
        book = Spreadsheet(spreadsheet_id, title, [Sheet(0, "Sheet1")], editors, cell_limit)
        with self.lock:
            self.books[spreadsheet_id] = book
        return spreadsheet_id

    def service_account_file(self, path: Path, email: str = "harness@local.iam.test",
                             register: bool = True) -> Path:
        """Write a service-account JSON key for a new account (registered unless told not)."""
        account = new_service_account(f"{self.url}/token", email)
        if register:
            with self.lock:
                self.keys[email] = account.public_key
        path.write_text(json.dumps(account.info), encoding="utf-8")
        path.chmod(0o600)  # as a key file should be (publishing warns otherwise)
        return path

    def inject(self, fault: str, on: str = "write", times: int = 1) -> None:
        """Make the next `times` requests of kind `on` fail with `fault` (see FAULTS)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
        with self.lock:
            self._faults.extend(_Scripted(fault, on) for _ in range(times))

    def reset_counts(self) -> None:
        """Zero the request counters and log."""
        with self.lock:
            self.counts.clear()
            self.log.clear()
            self.ranges_read.clear()

    def count(self, what: str, amount: int) -> None:
        """Add to a counter of `counts` (request and answer bytes, beside request kinds)."""
        with self.lock:
            self.counts[what] += amount

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until no request is being handled (stalled ones included)."""
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout)

    # -- inspection --------------------------------------------------------------------------

    def values(self, spreadsheet_id: str, tab: str) -> list[list[Any]]:
        """Every row of a tab as raw values (None for empty), trailing empty rows dropped."""
        with self.lock:
            sheet = self.books[spreadsheet_id].sheet_by_title(tab)
            rows = [[None if c is None else c.get("v") for c in row] for row in sheet.cells]
        while rows and not any(v is not None for v in rows[-1]):
            rows.pop()
        return rows

    def cell(self, spreadsheet_id: str, tab: str, row: int, column: int) -> dict:
        """A stored cell {"v": value, "f": userEnteredFormat} (0-based; {} when empty)."""
        with self.lock:
            found = self.books[spreadsheet_id].sheet_by_title(tab).cell(row, column)
        return dict(found or {})

    def sheet(self, spreadsheet_id: str, tab: str) -> Sheet:
        """A tab (for its grid properties: frozen rows, sizes)."""
        with self.lock:
            return self.books[spreadsheet_id].sheet_by_title(tab)

    # -- request handling (called by _Handler) -----------------------------------------------

    def take_fault(self, operation: str) -> str | None:
        """The first scripted fault that applies to `operation`, removed from the script."""
        kind = operation if operation in ("token", "iam") else (
            "read" if operation in READ_OPS else "write")
        with self.lock:
            self.counts[kind] += 1
            for index, scripted in enumerate(self._faults):
                if scripted.on in (kind, operation, "any"):
                    del self._faults[index]
                    self.log.append((operation, scripted.fault))
                    return scripted.fault
            self.log.append((operation, "ok"))
        return None

    def busy(self, delta: int) -> None:
        """Track requests in flight (for wait_idle)."""
        with self._idle:
            self._busy += delta
            self._idle.notify_all()

    def stall(self) -> None:
        """Sleep `stall_s` unless the server stops."""
        self._stop.wait(self.stall_s)

    def token(self, form: dict[str, list[str]]) -> tuple[int, dict]:
        """The OAuth token endpoint (JWT-bearer grant)."""
        assertion = (form.get("assertion") or [""])[0]
        with self.lock:
            keys = dict(self.keys)
        try:
            email = verify_assertion(assertion, keys, GOOGLE_TOKEN_AUDIENCE)
        except InvalidGrant as error:
            return 400, {"error": "invalid_grant", "error_description": str(error)}
        access = "ya29.local-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[access] = email
        return 200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}

    def api(self, method: str, path: str, query: dict[str, list[str]], body: dict,
            bearer: str) -> tuple[int, dict]:
        """Route one Sheets API request; returns (status, JSON answer)."""
        with self.lock:
            email = self.tokens.get(bearer)
            if email is None:
                raise ApiError(401, "UNAUTHENTICATED", "Request had invalid authentication "
                               "credentials. Expected OAuth 2 access token, login cookie or "
                               "other valid authentication credential.")
            spreadsheet_id, operation, target = _route(method, path)
            book = self.books.get(spreadsheet_id)
            if book is None:
                raise ApiError(404, "NOT_FOUND", "Requested entity was not found.")
            if book.editors is not None and email not in book.editors:
                raise ApiError(403, "PERMISSION_DENIED", "The caller does not have permission")
            params = {name: values[0] for name, values in query.items()}
            return 200, self._apply(book, operation, target, query, params, body)

    def _apply(self, book: Spreadsheet, operation: str, target: str,
               query: dict[str, list[str]], params: dict[str, str], body: dict) -> dict:
        # One branch per operation of the supported subset.
        # pylint: disable=too-many-return-statements,too-many-arguments
        if operation == "metadata":
            return book.metadata()
        if operation == "values.get":
            return ops.read_values(book.parse_range(target), params)
        if operation == "values.batchGet":
            self.ranges_read.extend(query.get("ranges", []))  # under self.lock (api)
            ranges = [ops.read_values(book.parse_range(text), params)
                      for text in query.get("ranges", [])]
            return {"spreadsheetId": book.spreadsheet_id, "valueRanges": ranges}
        if operation == "values.update":
            if not isinstance(body.get("values", []), list):
                raise invalid_field("data.values", body["values"], "ListValue")
            answer = ops.write_values(book.parse_range(target), body.get("values", []),
                                      params.get("valueInputOption", "RAW"))
            book.check_limit()
            return {"spreadsheetId": book.spreadsheet_id, **answer}
        if operation == "values.append":
            return ops.append_values(book, target, body, params)
        if operation == "values.clear":
            cleared = ops.clear_values(book.parse_range(target))
            return {"spreadsheetId": book.spreadsheet_id, "clearedRange": cleared}
        if operation == "values.batchClear":
            cleared_ranges = [ops.clear_values(book.parse_range(text))
                              for text in body.get("ranges", [])]
            return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": cleared_ranges}
        if operation == "values.batchUpdate":
            return ops.batch_write_values(book, body)
        draft, answer = ops.batch_update(book, body)
        self.books[book.spreadsheet_id] = draft
        return answer


def _route(method: str, path: str) -> tuple[str, str, str]:
    """(spreadsheet id, operation, range) for a /v4/spreadsheets/... path."""
    prefix = "/v4/spreadsheets/"
    if not path.startswith(prefix):
        raise ApiError(404, "NOT_FOUND", f"Unknown path {path}")
    rest = path[len(prefix):]
    head, _, tail = rest.partition("/")
    if not tail:
        spreadsheet_id, _, verb = head.partition(":")
        if verb == "batchUpdate" and method == "POST":
            return spreadsheet_id, "batchUpdate", ""
        if not verb and method == "GET":
            return spreadsheet_id, "metadata", ""
    elif tail.startswith("values:"):
        verb = tail[len("values:"):]
        known = {("GET", "batchGet"), ("POST", "batchUpdate"), ("POST", "batchClear")}
        if (method, verb) in known:
            return head, f"values.{verb}", ""
    elif tail.startswith("values/"):
        target = unquote(tail[len("values/"):])
        for verb in ("append", "clear"):
            if target.endswith(":" + verb) and method == "POST":
                return head, f"values.{verb}", target[: -len(verb) - 1]
        if method in ("GET", "PUT"):
            return head, "values.get" if method == "GET" else "values.update", target
    raise ApiError(404, "NOT_FOUND", f"Method not found: {method} {path}")


def operation_of(method: str, path: str) -> str:
    """The operation name of a request, for fault matching and counting."""
    if path == "/token":
        return "token"
    if path.startswith("/v1/projects/-/serviceAccounts/") and path.endswith("/allowedLocations"):
        return "iam"
    try:
        return _route(method, path)[1]
    except ApiError:
        return "unknown"


class _Handler(BaseHTTPRequestHandler):
    """Parses HTTP, applies scripted faults, delegates to the SheetsServer `app`."""

    app: SheetsServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
        """Quiet: tests read counters, not access logs."""

    def do_GET(self) -> None:  # pylint: disable=invalid-name  # http.server's naming
        """GET requests."""
        self._handle("GET")

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        """POST requests."""
        self._handle("POST")

    def do_PUT(self) -> None:  # pylint: disable=invalid-name
        """PUT requests."""
        self._handle("PUT")

    def _handle(self, method: str) -> None:
        self.app.busy(+1)
        try:
            self._serve(method)
        except _Reset:
            self._reset()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout): nothing to answer
        finally:
            self.app.busy(-1)

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        operation = operation_of(method, url.path)
        self.app.count("bytes received", len(raw))
        fault = self.app.take_fault(operation)
        if fault in ("429-json", "500", "503", "429-html", "502-html", "reset"):
            self._fail(fault, operation)
            return
        if fault == "stall-then-write":
            self.app.stall()
        status, answer = self._execute(method, url, raw, operation)
        if fault == "write-then-503" and status == 200:
            self._fail("503", operation)
        elif fault == "write-then-reset" and status == 200:
            raise _Reset()
        else:
            if fault == "write-then-stall":
                self.app.stall()
            self._send_json(status, answer)

    def _execute(self, method: str, url, raw: bytes, operation: str) -> tuple[int, dict]:
        if operation == "token":
            return self.app.token(parse_qs(raw.decode()))
        if operation == "iam":  # google-auth's regional access boundary lookup: no limits
            return 200, {"locations": [], "encodedLocations": "0x0"}
        try:
            body = json.loads(raw) if raw else {}
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            return self.app.api(method, url.path, parse_qs(url.query), body, bearer)
        except ApiError as error:
            return error.code, error.body()
        except ValueError:
            return 400, ApiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.").body()

    def _fail(self, fault: str, operation: str) -> None:
        if fault == "reset":
            raise _Reset()
        code = int(fault.split("-")[0])
        if fault.endswith("html"):
            self._send(code, _HTML.format(code=code).encode(), "text/html; charset=UTF-8")
        elif operation == "token":
            self._send_json(code, {"error": "internal_failure",
                                   "error_description": "Backend error"})
        else:
            status = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[code]
            message = ("Quota exceeded for quota metric 'Write requests'" if code == 429
                       else "The service is currently unavailable.")
            self._send_json(code, ApiError(code, status, message).body())

    def _send_json(self, status: int, answer: dict) -> None:
        self._send(status, json.dumps(answer).encode(), "application/json; charset=UTF-8")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.app.count("bytes sent", len(payload))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _reset(self) -> None:
        """Close with RST (SO_LINGER 0): the client sees 'connection reset by peer'."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
