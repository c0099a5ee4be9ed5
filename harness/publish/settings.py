"""Where a publish goes: the spreadsheet (key, credentials, endpoint) or the local workbook.

Built from the resolved settings (harness.settings: option, environment, `[tool.harness]`,
default). Nothing here reads a secret; the credentials file is only located (see
`credentials.py` for loading it).
"""

from __future__ import annotations

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
    )
