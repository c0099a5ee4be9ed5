"""Our retry policy for Sheets requests (gspread's own back-off is not used).

Why our own: gspread's BackOffHTTPClient retries only JSON error bodies (an HTML 502 page is
not retried), never retries timeouts, has no timeout, and re-sends an append after a 5xx even
when Google already applied it. Here:

- every request has a timeout;
- a failure that certainly happened *before* the server acted (429, token refresh, connect
  errors) is retried with bounded attempts and full-jitter exponential back-off;
- reads are retried on any transient failure (5xx, timeout, reset);
- a write whose outcome is unknown (5xx, timeout, reset after sending) is never re-sent here:
  it raises `AmbiguousWrite`, and the caller reads back the key column to see what landed.
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class Outcome(enum.Enum):
    """What to do after a failed request."""

    RETRY = "retry"
    AMBIGUOUS = "ambiguous"
    FATAL = "fatal"


class AmbiguousWrite(Exception):
    """A write failed after it was sent: it may or may not have been applied."""


class RetriesExhausted(Exception):
    """A request kept failing transiently; the last error is the cause."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts, full-jitter exponential back-off and per-request timeouts.

    `settle_s` is how long to wait after an ambiguous write before reading back what landed
    (a write still being processed when the client gave up lands within it).
    """

    attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 32.0
    timeout_s: float = 30.0
    settle_s: float = 10.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt number `attempt + 1` (full jitter)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**attempt))
        wait = random.uniform(0, ceiling)  # nosec B311 - jitter, not cryptography
        return max(wait, min(retry_after or 0.0, self.max_delay_s))


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a gspread APIError (HTML error pages included), else None."""
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def retry_after_of(error: BaseException) -> float | None:
    """The Retry-After header (seconds) of an error response, if any."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After", ""))
    except ValueError:
        return None


def classify(error: BaseException, *, write: bool) -> Outcome:
    """Decide whether `error` is retryable, ambiguous (writes only) or fatal."""
    # pylint: disable=import-outside-toplevel  # heavy optional deps, imported where used
    import requests
    from google.auth import exceptions as auth_errors
    from gspread.exceptions import APIError

    maybe_applied = Outcome.AMBIGUOUS if write else Outcome.RETRY
    if isinstance(error, auth_errors.RefreshError):
        # The token request failed: the API request was never sent.
        return Outcome.RETRY if getattr(error, "retryable", False) else Outcome.FATAL
    if isinstance(error, APIError):
        return _by_status(status_of(error) or 0, maybe_applied)
    not_sent = (auth_errors.TransportError, requests.exceptions.ConnectTimeout)
    if isinstance(error, not_sent) or (
        isinstance(error, requests.exceptions.ConnectionError) and _never_connected(error)
    ):
        return Outcome.RETRY
    maybe_sent = (requests.exceptions.Timeout, requests.exceptions.ConnectionError,
                  requests.exceptions.ChunkedEncodingError)
    return maybe_applied if isinstance(error, maybe_sent) else Outcome.FATAL


def _by_status(status: int, maybe_applied: Outcome) -> Outcome:
    """429: rejected before anything was applied; 408 and 5xx: maybe applied; else fatal."""
    if status == 429:
        return Outcome.RETRY
    if status == 408 or status >= 500:
        return maybe_applied
    return Outcome.FATAL


def _never_connected(error: BaseException) -> bool:
    """True when the connection was refused or never opened (nothing was sent)."""
    from urllib3.exceptions import NewConnectionError  # pylint: disable=import-outside-toplevel

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NewConnectionError):
            return True
        reason = getattr(current, "reason", None)
        nested = reason if isinstance(reason, BaseException) else None
        current = nested or (current.args[0] if current.args and
                             isinstance(current.args[0], BaseException) else None)
    return False


def call(
    action: Callable[[], T],
    *,
    write: bool,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[BaseException, float], None] | None = None,
) -> T:
    """Run `action`, retrying per `policy`.

    Raises AmbiguousWrite (write that may have landed), RetriesExhausted (transient failures
    beyond the attempt budget), or the original error when it is fatal.
    """
    for attempt in range(policy.attempts):
        try:
            return action()
        except Exception as error:  # pylint: disable=broad-exception-caught  # classified below
            outcome = classify(error, write=write)
            if outcome is Outcome.FATAL:
                raise
            if outcome is Outcome.AMBIGUOUS:
                raise AmbiguousWrite(type(error).__name__) from error
            if attempt + 1 >= policy.attempts:
                raise RetriesExhausted(
                    f"gave up after {policy.attempts} attempts ({_describe(error)})"
                ) from error
            wait = policy.delay(attempt, retry_after_of(error))
            if on_retry is not None:
                on_retry(error, wait)
            sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _describe(error: BaseException) -> str:
    """A short, secret-free description: the exception type and HTTP status, never bodies."""
    status = status_of(error)
    return f"{type(error).__name__}, HTTP {status}" if status else type(error).__name__
