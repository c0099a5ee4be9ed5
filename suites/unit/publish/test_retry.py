"""The retry policy: what is retried, what is ambiguous, what is fatal; bounded attempts."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import pytest
import requests
from google.auth import exceptions as auth_errors
from gspread.exceptions import APIError
from urllib3.exceptions import NewConnectionError

from harness.publish.retry import (
    AmbiguousWrite,
    Outcome,
    RetriesExhausted,
    RetryPolicy,
    call,
    classify,
)


def _api_error(status: int, body: bytes, content_type: str = "application/json") -> APIError:
    response = requests.Response()
    response.status_code = status
    response._content = body  # pylint: disable=protected-access  # building a real Response
    response.headers["Content-Type"] = content_type
    return APIError(response)


JSON_429 = _api_error(429, b'{"error": {"code": 429, "message": "quota", "status": "X"}}')
HTML_502 = _api_error(502, b"<html>502. That's an error.</html>", "text/html")
JSON_503 = _api_error(503, b'{"error": {"code": 503, "message": "down", "status": "X"}}')
JSON_400 = _api_error(400, b'{"error": {"code": 400, "message": "bad", "status": "X"}}')
REFUSED = requests.exceptions.ConnectionError(NewConnectionError(None, "refused"))
RESET = requests.exceptions.ConnectionError("Connection aborted: reset by peer")


@pytest.mark.parametrize("error,write,outcome", [
    (JSON_429, True, Outcome.RETRY),
    (JSON_429, False, Outcome.RETRY),
    (HTML_502, False, Outcome.RETRY),
    (HTML_502, True, Outcome.AMBIGUOUS),
    (JSON_503, True, Outcome.AMBIGUOUS),
    (JSON_400, False, Outcome.FATAL),
    (requests.exceptions.ReadTimeout(), True, Outcome.AMBIGUOUS),
    (requests.exceptions.ReadTimeout(), False, Outcome.RETRY),
    (requests.exceptions.ConnectTimeout(), True, Outcome.RETRY),
    (REFUSED, True, Outcome.RETRY),
    (RESET, True, Outcome.AMBIGUOUS),
    (auth_errors.RefreshError("temporarily unavailable", retryable=True), True, Outcome.RETRY),
    (auth_errors.RefreshError("invalid_grant"), True, Outcome.FATAL),
    (ValueError("a bug"), False, Outcome.FATAL),
])
def test_classify(error, write, outcome):
    assert classify(error, write=write) is outcome


def _flaky(errors):
    """An action that raises each error in turn, then returns 'done'."""
    pending = list(errors)

    def action():
        if pending:
            raise pending.pop(0)
        return "done"
    return action


def test_transient_errors_are_retried_with_bounded_jittered_waits():
    waits = []
    policy = RetryPolicy(attempts=4, base_delay_s=1.0, max_delay_s=2.0)
    assert call(_flaky([JSON_429, HTML_502, JSON_503]), write=False, policy=policy,
                sleep=waits.append) == "done"
    assert len(waits) == 3 and all(0 <= wait <= 2.0 for wait in waits)


def test_attempts_are_bounded():
    with pytest.raises(RetriesExhausted, match="gave up after 3 attempts"):
        call(_flaky([JSON_429] * 5), write=True, policy=RetryPolicy(attempts=3),
             sleep=lambda _: None)


def test_a_write_that_may_have_landed_is_not_resent():
    action = _flaky([JSON_503])
    with pytest.raises(AmbiguousWrite):
        call(action, write=True, policy=RetryPolicy(), sleep=lambda _: None)
    assert action() == "done"  # the error was consumed once: no second attempt was made


def test_retry_after_is_honoured():
    error = _api_error(429, b"{}")
    error.response.headers["Retry-After"] = "7"
    assert RetryPolicy(max_delay_s=32).delay(0, 7.0) >= 7.0
    waits = []
    call(_flaky([error]), write=True, policy=RetryPolicy(), sleep=waits.append)
    assert waits[0] >= 7.0
