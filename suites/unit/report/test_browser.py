"""The HTML report as a person sees it: opened in headless Chromium, screenshot taken.

Skips when Chromium is not installed, unless HARNESS_REQUIRE_RENDER=1 (CI), then fails.
"""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

import os
import re
import struct

import pytest

from harness.testing import browser, render

pytestmark = pytest.mark.slow  # headless Chromium opens the report (CI runs it; see noxfile.py)


def _require_chromium() -> None:
    if browser.chromium() is None:
        if os.environ.get("HARNESS_REQUIRE_RENDER") == "1":
            pytest.fail("HARNESS_REQUIRE_RENDER=1 but chromium is missing")
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")


@pytest.fixture(name="report", scope="module")
def fixture_report(tmp_path_factory):
    _require_chromium()
    pytest.importorskip("matplotlib", reason="the optional `report` extra is not installed")
    folder = tmp_path_factory.mktemp("report")
    render.demo_workbook(folder)
    return render.demo_report(folder)


def _png_size(path) -> tuple[int, int]:
    with open(path, "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_report_opens_with_the_summary_first_and_no_console_messages(report):
    opened = browser.open_page(report)
    assert not opened.console, opened.console
    dom = opened.dom
    assert dom.index("What changed") < dom.index("Changed series")
    commits = re.search(r"<h3>Commits ([0-9a-f]{10})\.\.([0-9a-f]{10})</h3>", dom)
    assert commits, "the summary names the flagged commit range"
    # Under the range: what differs between its last good and first bad run.
    assert "<td>train.grad_checkpointing</td><td>no</td><td>yes</td>" in dom


def test_report_axes_are_labelled_with_the_runs_commits(report):
    dom = browser.open_page(report).dom
    labels = set(re.findall(r"<text[^>]*>\s*([0-9a-f]{8})\s*</text>", dom))
    first, last = (f"{0x3fa9c21 + night * 0x1111:07x}e" for night in (0, render.NIGHTS - 1))
    assert {first, last} <= labels, sorted(labels)
    assert "commit (oldest run left)" in dom


def test_report_screenshot_at_1400_px(report, tmp_path):
    picture = tmp_path / "report.png"
    assert not browser.screenshot(report, picture, width=1400)
    assert _png_size(picture) == (1400, 1800)


def test_console_messages_are_caught(tmp_path):
    _require_chromium()
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><p>x</p><script>console.error("boom"); missing();</script>',
                    encoding="utf-8")
    found = browser.open_page(page).console
    assert any("boom" in message for message in found)
    assert any("missing is not defined" in message for message in found)
