"""Slack incoming-webhook alerts on verdict transitions: one grouped message per nightly with
what became suspected, confirmed or retracted, each once; retried; the URL kept secret.

The webhook URL is a secret (anyone holding it can post): it comes from the environment
(`HARNESS_SLACK_WEBHOOK`) or a file (`HARNESS_SLACK_WEBHOOK_FILE`), and is never printed,
logged, or put in an exception message.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from harness.records import StoredVerdict, VerdictState
from harness.settings import BY_NAME

WEBHOOK_ENV = BY_NAME["slack_webhook"].env[0]
WEBHOOK_FILE_ENV = BY_NAME["slack_webhook_file"].env[0]
_RETRIED = {408, 429, 500, 502, 503, 504}


class AlertError(RuntimeError):
    """Sending an alert failed; the message never contains the webhook URL."""


class SlackWebhook:
    """A Slack incoming webhook; `repr` and `str` hide the URL."""

    def __init__(self, url: str, *, attempts: int = 4, backoff: float = 1.0,
                 timeout: float = 10.0, sleep: Callable[[float], None] = time.sleep) -> None:
        if not url.startswith(("https://", "http://")):
            raise AlertError("the Slack webhook is not an http(s) URL")
        self._url = url
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._sleep = sleep

    def __repr__(self) -> str:
        return "SlackWebhook(url=<secret>)"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options) -> SlackWebhook | None:
        """The webhook configured in the environment, or None when none is."""
        environ = os.environ if environ is None else environ
        url = environ.get(WEBHOOK_ENV, "").strip()
        if not url and environ.get(WEBHOOK_FILE_ENV):
            try:
                url = Path(environ[WEBHOOK_FILE_ENV]).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise AlertError(f"cannot read {WEBHOOK_FILE_ENV} file: {error.strerror}"
                                 ) from None
        return cls(url, **options) if url else None

    @classmethod
    def from_settings(cls, settings, **options) -> SlackWebhook | None:
        """The webhook the resolved settings name (URL, else the file holding it)."""
        return cls.from_env({WEBHOOK_ENV: settings.slack_webhook,
                             WEBHOOK_FILE_ENV: settings.slack_webhook_file}, **options)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), 60.0)
        return self.backoff * (2 ** attempt) * (0.5 + random.random() / 2)

    def post(self, payload: dict) -> None:
        """POST `payload` as JSON; retry timeouts, 429 and 5xx with backoff."""
        body = json.dumps(payload).encode()
        last = "no attempt made"
        for attempt in range(self.attempts):
            request = urllib.request.Request(
                self._url, data=body, headers={"Content-Type": "application/json"})
            retry_after = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                    return
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}"
                retry_after = error.headers.get("Retry-After") if error.headers else None
                if error.code not in _RETRIED:
                    raise AlertError(f"Slack webhook refused the message: {last}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                last = f"network error ({type(reason).__name__})"
            if attempt + 1 < self.attempts:
                self._sleep(self._delay(attempt, retry_after))
        raise AlertError(f"Slack webhook failed after {self.attempts} attempts: {last}")


STATE_WORDS = {VerdictState.UNCONFIRMED: "suspected", VerdictState.CONFIRMED: "confirmed",
               VerdictState.RETRACTED: "retracted"}


def _section(state: VerdictState, test: str, members: list[StoredVerdict]) -> str:
    """The text of one test's verdicts that share a state and a first bad run."""
    rows = []
    for item in members:
        verdict = item.verdict
        pct = f"{verdict.change_pct:+.1f} %" if verdict.change_pct is not None else ""
        rows.append(f"• {STATE_WORDS[state]} {verdict.kind.value} `{verdict.metric}` {pct} "
                    f"({verdict.baseline:.4g} → {verdict.value:.4g} {verdict.unit}), "
                    f"confidence {verdict.confidence:.2f}, verdict `{item.key[:8]}`")
    first = members[0].verdict
    text = (f"*{test}* at `{first.commit[:10]}` (range `{first.commit_range}`)\n"
            + "\n".join(rows))
    if state is not VerdictState.RETRACTED:
        text += f"\n```{first.repro}```"
    return text[:2900]


def transition_message(items: list[StoredVerdict]) -> dict:
    """One message for a nightly: regressions grouped by state, then by test and first bad
    run, each with its change and (while open) its repro recipe."""
    counts = {state: sum(item.state is state for item in items) for state in VerdictState}
    title = "harness: " + ", ".join(f"{counts[state]} {STATE_WORDS[state]}"
                                    for state in VerdictState if counts[state])
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    lines = [title]
    groups: dict[tuple[VerdictState, str, str], list[StoredVerdict]] = {}
    for item in items:
        groups.setdefault((item.state, item.verdict.test, item.verdict.run_id), []).append(item)
    for (state, test, _run), members in groups.items():
        first = members[0].verdict
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _section(state, test, members)}})
        lines.append(f"{STATE_WORDS[state]}: {test} at {first.commit[:10]}")
    return {"text": "\n".join(lines), "blocks": blocks[:50]}


def send_transitions(webhook: SlackWebhook, items: list[StoredVerdict]) -> int:
    """Post what changed as one message; how many verdicts it carried."""
    if items:
        webhook.post(transition_message(items))
    return len(items)
