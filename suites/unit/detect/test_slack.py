"""Slack alerts against a real HTTP receiver on 127.0.0.1: retries, grouping, secrecy."""

from __future__ import annotations

import json

import pytest

from harness.alerts.slack import AlertError, SlackWebhook, send_transitions
from harness.cli import main
from harness.detect import detect
from harness.records import StoredVerdict, VerdictState, utc_now
from harness.store import Store
from harness.testing.slack_receiver import SlackReceiver

from .helpers import fill_store, make_series


@pytest.fixture(name="alerts")
def _alerts():
    slow = make_series(31, shifts={40: 0.10})
    wide = make_series(32, level=2000.0, shifts={40: 0.3}, metric="peak_memory_mb")
    now = utc_now()
    return [StoredVerdict(f"k{n}", v, VerdictState.CONFIRMED, now, now)
            for n, v in enumerate(detect([slow, wide]))]


def test_grouped_alert_arrives_after_500_and_429(alerts) -> None:
    receiver = SlackReceiver([500, 429])
    try:
        webhook = SlackWebhook(receiver.url, backoff=0.01)
        assert len(alerts) == 2  # one test, one run: one section
        assert send_transitions(webhook, alerts) == 2
    finally:
        receiver.close()
    assert len(receiver.bodies) == 3 and receiver.bodies[0] == receiver.bodies[2]
    text = json.dumps(receiver.bodies[-1])
    assert len(receiver.bodies[-1]["blocks"]) == 2 and "2 confirmed" in text
    assert "step_ms" in text and "peak_memory_mb" in text and "harness bisect" in text


def test_the_url_never_appears_in_errors_reprs_or_output(alerts, monkeypatch, capsys,
                                                         tmp_path) -> None:
    receiver = SlackReceiver([500, 500, 500, 403])
    try:
        webhook = SlackWebhook(receiver.url, attempts=3, backoff=0.01)
        with pytest.raises(AlertError) as caught:
            send_transitions(webhook, alerts)
        assert "HTTP 500" in str(caught.value)
        for text in (str(caught.value), repr(caught.value), repr(webhook), str(webhook)):
            assert "s3cr3t" not in text and "127.0.0.1" not in text
        assert caught.value.__cause__ is None
        monkeypatch.setenv("HARNESS_SLACK_WEBHOOK", receiver.url)
        store = Store.open(str(tmp_path / "r.db"))
        fill_store(store, make_series(33, shifts={20: 0.2}))
        assert main(["--store", str(tmp_path / "r.db"), "check", "--slack"]) == 2  # the 403
    finally:
        receiver.close()
    captured = capsys.readouterr()
    assert "s3cr3t" not in captured.out + captured.err
    assert "refused the message: HTTP 403" in captured.err


def write_csv(series, path):
    """Write `series` as a CSV history at `path`."""
    rows = [f"{p.run_index},{p.commit},{series.test},{series.metric},{p.value},false,e"
            for p in series.points]
    path.write_text("run,commit,test,metric,value,higher_is_better,env\n" + "\n".join(rows))
    return path


def test_webhook_from_env_or_file(tmp_path) -> None:
    assert SlackWebhook.from_env({}) is None
    secret = tmp_path / "hook"
    secret.write_text("https://hooks.slack.com/services/X/Y/Z\n")
    hook = SlackWebhook.from_env({"HARNESS_SLACK_WEBHOOK_FILE": str(secret)})
    assert hook is not None and "hooks.slack" not in repr(hook)
    with pytest.raises(AlertError, match="not an http"):
        SlackWebhook("ftp://nope")
