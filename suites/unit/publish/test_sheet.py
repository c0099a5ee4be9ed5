"""`harness publish`/`sync` to Google Sheets: gspread's real client against the local server."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import json
import logging
import socket
import traceback
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from harness.cli import main
from harness.publish.credentials import CredentialsError, load_credentials
from harness.publish.layout import RUNS_TAB, SUMMARY_TAB, summary_keys
from harness.publish.sheet import SheetTarget
from harness.publish.sheet_plan import to_serial
from harness.testing import netguard
from harness.testing.fixtures import add_runs


def _plain(value):
    """Workbook values in the sheet's terms: dates as serial numbers, empty as None."""
    if isinstance(value, datetime):
        return pytest.approx(to_serial(value), abs=1e-6)
    if isinstance(value, float):  # .xlsx keeps 15 significant digits, like Excel
        return pytest.approx(value, rel=1e-12)
    return None if value == "" else value


def test_sync_writes_the_same_content_as_the_workbook(store, sheet_env, server, capsys,
                                                      monkeypatch):
    add_runs(store, 3, metrics=5, drift=0.1)
    monkeypatch.setenv("HARNESS_COMMIT_URL", "https://git.example/c/{sha}")
    assert main(["--store", "results.db", "sync"]) == 0
    out = capsys.readouterr().out
    assert f"https://docs.google.com/spreadsheets/d/{sheet_env}" in out and "[3/3]" in out
    assert not store.unpublished_runs(f"sheet:{sheet_env}")

    monkeypatch.delenv("HARNESS_SHEET_KEY")
    assert main(["--store", "results.db", "sync", "--workbook", "w.xlsx"]) == 0
    book = load_workbook("w.xlsx")
    for tab in (RUNS_TAB, SUMMARY_TAB, "Regressions", "Legend"):
        expected = [[_plain(v) for v in row] for row in book[tab].iter_rows(values_only=True)]
        width = len(expected[0])
        found = [row + [None] * (width - len(row)) for row in server.values(sheet_env, tab)]
        assert found == expected, tab
    # Formats travel too: the header is frozen, the Legend is in its colours.
    assert server.sheet(sheet_env, RUNS_TAB).frozen_rows == 1
    assert server.sheet(sheet_env, SUMMARY_TAB).frozen_columns == 2
    # Two header rows on both, each test merged across its columns the same way.
    assert server.sheet(sheet_env, SUMMARY_TAB).frozen_rows == 2
    merged = {(r.min_row - 1, r.max_row, r.min_col - 1, r.max_col)
              for r in book[SUMMARY_TAB].merged_cells.ranges}
    assert merged and set(server.sheet(sheet_env, SUMMARY_TAB).merges) == merged
    # Trends: a sparkline per metric column over the Summary's values (not the changes).
    trends = server.values(sheet_env, "Trends")
    assert trends[0][:2] == ["test", "metric"] and len(trends) == 1 + 5
    assert trends[1][:2] == ["test_metric[0]", "metric_000"]
    assert trends[1][2] == """=SPARKLINE('Summary'!G3:G, {"charttype","line";"rtl",TRUE;""" \
        '"linewidth",2})'
    assert trends[2][2].startswith("=SPARKLINE('Summary'!I3:I,")
    flagged = server.cell(sheet_env, "Legend", 3, 0)
    assert flagged["v"] == "improvement"
    assert flagged["f"]["backgroundColor"]["green"] > flagged["f"]["backgroundColor"]["red"]
    assert server.cell(sheet_env, RUNS_TAB, 1, 1)["f"]["numberFormat"]["type"] == "DATE_TIME"
    _assert_same_formats_widths_and_links(server, sheet_env, book[SUMMARY_TAB])


def _assert_same_formats_widths_and_links(server, key, summary) -> None:
    """Number formats, commit links and fitted widths are the same on both targets."""
    header = summary_keys([c.value for c in summary[1]], [c.value for c in summary[2]])
    for column, name in enumerate(header):
        cell = summary.cell(row=3, column=column + 1)
        found = server.cell(key, SUMMARY_TAB, 2, column) or {}
        if isinstance(cell.value, float):
            assert found["f"]["numberFormat"]["pattern"] == cell.number_format, name
        pixels = server.sheet(key, SUMMARY_TAB).column_pixels[column]
        letter = get_column_letter(column + 1)
        assert summary.column_dimensions[letter].width * 8 == pytest.approx(pixels, abs=8), name
    commit = summary.cell(row=3, column=header.index("commit") + 1)
    link = server.cell(key, SUMMARY_TAB, 2, header.index("commit"))["f"]["textFormat"]["link"]
    assert commit.hyperlink.target == link["uri"] and link["uri"].startswith(
        "https://git.example/c/")


@pytest.mark.parametrize("metrics", [1, 50, 500])
def test_one_publish_stays_within_three_writes(store, sheet_env, server, metrics):
    add_runs(store, 2, metrics=metrics)
    first, second = store.runs(newest_first=False)
    assert main(["--store", "results.db", "publish", first.run_id]) == 0
    assert server.counts["write"] <= 3  # tabs created + rows
    server.reset_counts()
    assert main(["--store", "results.db", "publish", second.run_id]) == 0
    assert server.counts["write"] == 1 and server.counts["read"] == 2
    assert len(server.values(sheet_env, RUNS_TAB)) == 1 + 2 * metrics


def test_publishing_a_run_again_adds_nothing(store, sheet_env, server):
    add_runs(store, 2, metrics=3)
    assert main(["--store", "results.db", "sync"]) == 0
    before = server.values(sheet_env, RUNS_TAB), server.values(sheet_env, SUMMARY_TAB)
    server.reset_counts()
    for run in store.runs():
        assert main(["--store", "results.db", "publish", run.run_id]) == 0
    assert (server.values(sheet_env, RUNS_TAB), server.values(sheet_env, SUMMARY_TAB)) == before
    assert server.counts["write"] == 0


# -- failures that need the user: a clear message, nothing lost, no secret shown --------------


def _private_key(path: Path) -> str:
    return json.loads(path.read_text())["private_key"]


def _assert_failed_cleanly(store, key, capsys, *hints):
    assert main(["--store", "results.db", "publish"]) == 2
    captured = capsys.readouterr()
    for hint in hints:
        assert hint in captured.err
    assert "harness sync" in captured.err
    assert "PRIVATE KEY" not in captured.out + captured.err
    assert "ya29." not in captured.out + captured.err
    assert len(store.unpublished_runs(f"sheet:{key}")) == 1


def test_missing_credentials_file(store, sheet_env, monkeypatch, capsys):
    add_runs(store, 1, metrics=1)
    monkeypatch.setenv("HARNESS_SHEET_CREDENTIALS", "nowhere/sa.json")
    _assert_failed_cleanly(store, sheet_env, capsys, "nowhere/sa.json does not exist",
                           "HARNESS_SHEET_CREDENTIALS")


def test_sheet_key_without_credentials(store, sheet_env, monkeypatch, capsys):
    add_runs(store, 1, metrics=1)
    monkeypatch.delenv("HARNESS_SHEET_CREDENTIALS")
    _assert_failed_cleanly(store, sheet_env, capsys, "no credentials")


@pytest.mark.parametrize("content,hint", [
    ("{not json", "is not valid JSON"),
    ('{"type": "authorized_user"}', "is not a service-account key"),
    ('{"type": "service_account", "client_email": "a@b", "token_uri": "http://127.0.0.1:9/t",'
     ' "private_key": "-----BEGIN PRIVATE KEY-----\\nc2VjcmV0\\n-----END PRIVATE KEY-----\\n"}',
     "cannot be loaded"),
])
def test_unreadable_credentials(store, sheet_env, workdir, monkeypatch, capsys, content, hint):
    add_runs(store, 1, metrics=1)
    (workdir / "bad.json").write_text(content)
    monkeypatch.setenv("HARNESS_SHEET_CREDENTIALS", str(workdir / "bad.json"))
    _assert_failed_cleanly(store, sheet_env, capsys, hint)
    assert "c2VjcmV0" not in capsys.readouterr().err


def test_credentials_errors_carry_no_secret_even_in_tracebacks(workdir):
    secret = "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFr"
    path = workdir / "sa.json"
    path.write_text(json.dumps({"type": "service_account", "client_email": "a@b",
                                "token_uri": "x", "private_key": f"-----BEGIN PRIVATE KEY-----"
                                f"\n{secret}\n-----END PRIVATE KEY-----\n"}) + "}")
    for text in (path.read_text(), path.read_text()[:-1]):
        path.write_text(text)
        with pytest.raises(CredentialsError) as caught:
            load_credentials(path)
        rendered = "".join(traceback.format_exception(caught.value))
        assert secret not in rendered and caught.value.__cause__ is None


def test_revoked_key_is_reported_without_leaking_it(store, sheet_env, server, workdir,
                                                     monkeypatch, capsys, caplog):
    add_runs(store, 1, metrics=1)
    stranger = server.service_account_file(workdir / "revoked.json", "revoked@local.iam.test",
                                          register=False)
    monkeypatch.setenv("HARNESS_SHEET_CREDENTIALS", str(stranger))
    caplog.set_level(logging.DEBUG)
    _assert_failed_cleanly(store, sheet_env, capsys, "refused the service-account credentials",
                           "create a new key")
    secret_line = _private_key(stranger).splitlines()[1]
    assert secret_line not in caplog.text


@pytest.mark.usefixtures("sheet_env")
def test_spreadsheet_not_shared_with_the_service_account(store, server, monkeypatch,
                                                          capsys):
    add_runs(store, 1, metrics=1)
    private = server.create_spreadsheet(editors={"someone@else.test"})
    monkeypatch.setenv("HARNESS_SHEET_KEY", private)
    _assert_failed_cleanly(store, private, capsys, "share the spreadsheet with harness@local",
                           "as an Editor")


@pytest.mark.usefixtures("sheet_env")
def test_spreadsheet_that_does_not_exist(store, monkeypatch, capsys):
    add_runs(store, 1, metrics=1)
    monkeypatch.setenv("HARNESS_SHEET_KEY", "no-such-sheet")
    _assert_failed_cleanly(store, "no-such-sheet", capsys, "does not exist", "HARNESS_SHEET_KEY")


@pytest.mark.usefixtures("sheet_env")
def test_spreadsheet_at_its_cell_limit(store, server, monkeypatch, capsys):
    add_runs(store, 1, metrics=3)
    full = server.create_spreadsheet(cell_limit=26_000 + 100)  # room for the tabs, not the rows
    monkeypatch.setenv("HARNESS_SHEET_KEY", full)
    _assert_failed_cleanly(store, full, capsys, "at its limit of 26,100 cells",
                           "start a new spreadsheet")
    assert server.values(full, "Sheet1") == []


def test_sync_after_a_failure_publishes_what_was_left(store, server, sheet_env, monkeypatch):
    add_runs(store, 3, metrics=2)
    monkeypatch.setenv("HARNESS_SHEET_KEY", "no-such-sheet")
    assert main(["--store", "results.db", "sync"]) == 2
    monkeypatch.setenv("HARNESS_SHEET_KEY", sheet_env)
    assert main(["--store", "results.db", "sync"]) == 0
    assert len(server.values(sheet_env, RUNS_TAB)) == 1 + 3 * 2
    assert main(["--store", "results.db", "sync"]) == 0  # nothing left: no new rows
    assert len(server.values(sheet_env, RUNS_TAB)) == 1 + 3 * 2


def test_network_guard_refuses_hosts_off_loopback(loopback_only):
    with pytest.raises(netguard.NetworkGuardError):
        with socket.socket() as sock:
            sock.connect(("192.0.2.1", 443))
    with pytest.raises(netguard.NetworkGuardError):
        socket.getaddrinfo("oauth2.googleapis.com", 443)
    assert loopback_only == ["192.0.2.1", "oauth2.googleapis.com"]
    loopback_only.clear()  # seen and checked: do not fail this test at teardown


@pytest.mark.usefixtures("sheet_env")
def test_debug_logs_of_a_publish_hold_no_secret(store, server, workdir, caplog):
    add_runs(store, 1, metrics=2)
    caplog.set_level(logging.DEBUG)
    google = logging.getLogger("google")  # google-auth logs only when its base logger is set up
    google.addHandler(caplog.handler)
    try:
        assert main(["--store", "results.db", "publish"]) == 0
    finally:
        google.removeHandler(caplog.handler)
    # google-auth puts request details in structured fields: check every record's content.
    logged = caplog.text + "".join(str(record.__dict__) for record in caplog.records)
    key_lines = _private_key(workdir / "service-account.json").splitlines()[1:-1]
    assert "google.auth" in logged and "/token" in logged  # debug logging happened
    assert not any(line in logged for line in key_lines)
    assert not any(token in logged for token in server.tokens)
    assert "eyJ" not in logged  # no JWT (base64 of '{"') anywhere in the logs


def test_a_sync_in_many_batches_grows_the_summary_once(store, server, sheet_env, monkeypatch):
    add_runs(store, 4, metrics=3)
    # One run per write (a run of 3 metrics plans 80 cells), as a long history's sync does.
    monkeypatch.setattr(SheetTarget, "max_cells_per_write", 100)
    assert main(["--store", "results.db", "sync"]) == 0
    summary = server.sheet(sheet_env, SUMMARY_TAB)
    header = summary_keys(*server.values(sheet_env, SUMMARY_TAB)[:2])
    assert summary.columns == len(header) == 6 + 2 * 3
    assert len(server.values(sheet_env, RUNS_TAB)) == 1 + 4 * 3


@pytest.mark.parametrize("mode, warned", [(0o600, False), (0o640, True), (0o644, True)])
def test_a_key_file_other_users_can_read_is_warned_about(store, sheet_env, capsys, mode,
                                                          warned):
    add_runs(store, 1, metrics=1)
    key_file = Path("service-account.json")
    key_file.chmod(mode)
    assert main(["--store", "results.db", "publish"]) == 0
    out = capsys.readouterr().out.replace("\n", "")
    assert ("is readable by" in out and "chmod 600" in out) is warned
    assert len(store.unpublished_runs(f"sheet:{sheet_env}")) == 0


def test_a_summary_with_one_header_row_gets_the_second(store, sheet_env, server):
    add_runs(store, 2, metrics=2)
    assert main(["--store", "results.db", "publish", store.runs()[-1].run_id[:8]]) == 0
    # Make it a Summary from before the two header rows: keys in row 1, data from row 2.
    summary = server.sheet(sheet_env, SUMMARY_TAB)
    keys = summary_keys(*server.values(sheet_env, SUMMARY_TAB)[:2])
    summary.cells[0] = [{"v": key} for key in keys]
    del summary.cells[1]
    summary.rows, summary.frozen_rows, summary.merges = summary.rows - 1, 1, []
    old = server.values(sheet_env, SUMMARY_TAB)[1]
    assert main(["--store", "results.db", "sync"]) == 0
    values = server.values(sheet_env, SUMMARY_TAB)
    assert summary_keys(values[0], values[1]) == keys
    assert values[3] == old and values[2][5] == store.runs()[0].run_id  # newest on top
    assert server.sheet(sheet_env, SUMMARY_TAB).frozen_rows == 2
