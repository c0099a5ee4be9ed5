"""Slack incoming-webhook alerts: grouped verdicts with repro recipes, retried, URL kept secret.

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

from harness.records import Alert, VerdictKind

WEBHOOK_ENV = "HARNESS_SLACK_WEBHOOK"
WEBHOOK_FILE_ENV = "HARNESS_SLACK_WEBHOOK_FILE"
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


def alert_message(alerts: list[Alert], title: str = "harness: regressions found") -> dict:
    """A Slack message: one section per alert (test + run), its verdicts and repro recipe."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    lines = [title]
    for alert in alerts:
        rows = []
        for verdict in alert.verdicts:
            pct = f"{verdict.change_pct:+.1f} %" if verdict.change_pct is not None else ""
            rows.append(f"• {verdict.kind.value} `{verdict.metric}` {pct} "
                        f"({verdict.baseline:.4g} → {verdict.value:.4g} {verdict.unit}), "
                        f"confidence {verdict.confidence:.2f}")
        worst = next((v for v in alert.verdicts if v.kind is VerdictKind.REGRESSION),
                     alert.verdicts[0])
        text = (f"*{alert.test}* at `{alert.commit[:10]}` (range `{worst.commit_range}`)\n"
                + "\n".join(rows) + f"\n```{worst.repro}```")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}})
        lines.append(f"{alert.test} at {alert.commit[:10]}")
    return {"text": "\n".join(lines), "blocks": blocks[:50]}


def send_alerts(webhook: SlackWebhook, alerts: list[Alert]) -> int:
    """Post the alerts that contain a regression as one message; how many were sent."""
    regressions = [alert for alert in alerts if alert.has_regression]
    if regressions:
        webhook.post(alert_message(regressions))
    return len(regressions)
