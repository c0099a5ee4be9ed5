"""The retry policy: what is retried, what is ambiguous, what is fatal; bounded attempts."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import random
from urllib.error import URLError

import pytest
import requests
from google.auth import exceptions as auth_errors
from gspread.exceptions import APIError
from urllib3.exceptions import MaxRetryError, NewConnectionError

from harness.publish.retry import (
    AmbiguousWrite,
    Outcome,
    RetriesExhausted,
    RetryPolicy,
    call,
    classify,
    retry_after_of,
    status_of,
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


@pytest.mark.parametrize("status,write,outcome", [
    (408, True, Outcome.AMBIGUOUS),
    (408, False, Outcome.RETRY),
    (500, True, Outcome.AMBIGUOUS),
    (500, False, Outcome.RETRY),
    (501, True, Outcome.AMBIGUOUS),
    (404, False, Outcome.FATAL),
    (409, True, Outcome.FATAL),
    (499, False, Outcome.FATAL),
])
def test_classify_by_http_status(status, write, outcome):
    assert classify(_api_error(status, b"{}"), write=write) is outcome


def test_a_refused_connection_behind_urllib3_retries_is_retried():
    # requests wraps urllib3's MaxRetryError, whose `reason` is the connection error.
    refused = requests.exceptions.ConnectionError(
        MaxRetryError(None, "/v4/spreadsheets", reason=NewConnectionError(None, "refused"))
    )
    assert classify(refused, write=True) is Outcome.RETRY


def test_a_connection_error_with_a_text_reason_may_have_landed():
    dropped = requests.exceptions.ConnectionError(URLError("remote end closed"))
    assert classify(dropped, write=True) is Outcome.AMBIGUOUS


def test_a_cycle_of_causes_ends_the_search():
    first, second = OSError(), OSError()
    first.args, second.args = (second,), (first,)
    assert classify(requests.exceptions.ConnectionError(first), write=True) is Outcome.AMBIGUOUS


def test_errors_without_a_response_have_no_status_and_no_retry_after():
    assert status_of(ValueError("a bug")) is None
    assert retry_after_of(ValueError("a bug")) is None
    assert retry_after_of(requests.exceptions.ReadTimeout()) is None


def test_the_back_off_ceiling_doubles_per_attempt_up_to_the_maximum():
    random.seed(16)
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=100.0)
    for attempt, ceiling in ((0, 0.5), (1, 1.0), (3, 4.0), (10, 100.0)):
        waits = [policy.delay(attempt) for _ in range(400)]
        assert 0.9 * ceiling < max(waits) <= ceiling
        assert min(waits) < 0.05 * ceiling


def test_without_retry_after_short_ceilings_give_short_waits():
    random.seed(16)
    assert max(RetryPolicy(base_delay_s=0.01).delay(0, None) for _ in range(50)) <= 0.01


def test_on_retry_sees_each_error_and_the_wait_that_follows():
    seen, slept = [], []
    call(_flaky([JSON_429, HTML_502]), write=False, policy=RetryPolicy(), sleep=slept.append,
         on_retry=lambda error, wait: seen.append((error, wait)))
    assert [error for error, _ in seen] == [JSON_429, HTML_502]
    assert [wait for _, wait in seen] == slept


def test_give_up_and_ambiguity_messages_name_the_error():
    gave_up_on_429 = r"^gave up after 2 attempts \(APIError, HTTP 429\)$"
    with pytest.raises(RetriesExhausted, match=gave_up_on_429):
        call(_flaky([JSON_429] * 2), write=True, policy=RetryPolicy(attempts=2),
             sleep=lambda _: None)
    with pytest.raises(RetriesExhausted, match=r"^gave up after 2 attempts \(ReadTimeout\)$"):
        call(_flaky([requests.exceptions.ReadTimeout()] * 2), write=False,
             policy=RetryPolicy(attempts=2), sleep=lambda _: None)
    with pytest.raises(AmbiguousWrite, match="^APIError$"):
        call(_flaky([JSON_503]), write=True, policy=RetryPolicy(), sleep=lambda _: None)
