"""Where a publish goes: the spreadsheet (key, credentials, endpoint) or the local workbook.

Built from the resolved settings (harness.settings: option, environment, `[tool.harness]`,
default). Nothing here reads a secret; the credentials file is only located (see
`credentials.py` for loading it).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.settings import BY_NAME, Settings

GOOGLE_SHEETS_ENDPOINT = str(BY_NAME["sheets_endpoint"].default)


@dataclass(frozen=True)
class PublishSettings:
    """Resolved publishing settings. `sheet_key` set means: publish to Google Sheets."""

    sheet_key: str | None
    credentials_path: Path | None
    workbook_path: Path
    endpoint: str = GOOGLE_SHEETS_ENDPOINT
    timeout_s: float = float(BY_NAME["sheet_timeout"].default)  # type: ignore[arg-type]
    commit_url: str = ""
    workbook_period: str = str(BY_NAME["workbook_period"].default)

    @property
    def uses_sheet(self) -> bool:
        """True when a spreadsheet key is configured (credentials are then required)."""
        return bool(self.sheet_key)


def publish_settings(settings: Settings) -> PublishSettings:
    """The publishing part of the settings."""
    return PublishSettings(
        sheet_key=settings.sheet_key or None,
        credentials_path=Path(settings.credentials).expanduser() if settings.credentials
        else None,
        workbook_path=Path(settings.workbook).expanduser(),
        endpoint=str(settings.sheets_endpoint).rstrip("/"),
        timeout_s=float(settings.sheet_timeout),
        commit_url=str(settings.commit_url) or commit_url_from_remote(git_remote()),
        workbook_period=str(settings.workbook_period),
    )


GITHUB_REMOTE = re.compile(
    r"^(?:git@github\.com:|ssh://git@github\.com/|https?://(?:[^@/]+@)?github\.com/)"
    r"(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")


def commit_url_from_remote(remote: str) -> str:
    """The commit page template of a GitHub remote URL (git@github.com:o/r.git or
    https://github.com/o/r), or "" for any other remote."""
    found = GITHUB_REMOTE.match(remote.strip())
    if not found:
        return ""
    return f"https://github.com/{found['owner']}/{found['repo']}/commit/{{sha}}"


def git_remote(cwd: Path | None = None) -> str:
    """The URL of the `origin` remote of the repository at `cwd` ("" when there is none)."""
    try:
        done = subprocess.run(["git", "remote", "get-url", "origin"], cwd=cwd,
                              capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
