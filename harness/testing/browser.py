"""A page as a person sees it: opened in headless Chromium (Debian's `chromium`), its DOM
dumped after scripts ran, a screenshot taken, and what it wrote to the console collected.

Used by the report's browser test (suites/unit/report/test_browser.py) and
docs/make_screenshots.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--hide-scrollbars", "--enable-logging=stderr", "--v=0")
CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)$")


@dataclass(frozen=True)
class Opened:
    """What the browser made of a page: the DOM after scripts, and its console messages."""

    dom: str
    console: tuple[str, ...]


def chromium() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(page: Path, *extra: str) -> subprocess.CompletedProcess:
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="harness-chromium-") as profile:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *extra,
                               Path(page).resolve().as_uri()],
                              check=True, capture_output=True, text=True, timeout=180)


def _console(stderr: str) -> tuple[str, ...]:
    """The console messages in Chromium's log (errors, warnings and logs alike)."""
    return tuple(match.group(1) for line in stderr.splitlines()
                 if (match := CONSOLE.search(line)))


def open_page(page: Path) -> Opened:
    """Load `page`, let its scripts run, and return its DOM and console messages."""
    done = _run(page, "--dump-dom")
    return Opened(done.stdout, _console(done.stderr))


def screenshot(page: Path, picture: Path, width: int = 1400, height: int = 1800
               ) -> tuple[str, ...]:
    """Save a PNG of `page` in a `width` x `height` window; the console messages."""
    picture.parent.mkdir(parents=True, exist_ok=True)
    done = _run(page, f"--screenshot={Path(picture).resolve()}", f"--window-size={width},{height}")
    return _console(done.stderr)
