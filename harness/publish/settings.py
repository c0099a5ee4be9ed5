"""Where a publish goes: the spreadsheet (key, credentials, endpoint) or the local workbook.

Every setting comes from, in order: a command-line option, an environment variable, the
`[tool.harness]` table of pyproject.toml, then a default. Nothing here reads a secret; the
credentials file is only located (see `credentials.py` for loading it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.store.locate import project_config

SHEET_KEY_ENV = "HARNESS_SHEET_KEY"
CREDENTIALS_ENV = "HARNESS_SHEET_CREDENTIALS"
GOOGLE_CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
WORKBOOK_ENV = "HARNESS_WORKBOOK"
ENDPOINT_ENV = "HARNESS_SHEETS_ENDPOINT"
TIMEOUT_ENV = "HARNESS_SHEET_TIMEOUT"
COLOURING_ENV = "HARNESS_SHEET_COLOURING"
COLOURINGS = ("detection", "tolerance")

GOOGLE_SHEETS_ENDPOINT = "https://sheets.googleapis.com"
DEFAULT_WORKBOOK = ".harness/regression-sheet.xlsx"
DEFAULT_TOLERANCE_PCT = 5.0
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PublishSettings:
    """Resolved publishing settings. `sheet_key` set means: publish to Google Sheets."""

    sheet_key: str | None
    credentials_path: Path | None
    workbook_path: Path
    endpoint: str = GOOGLE_SHEETS_ENDPOINT
    tolerance_pct: float = DEFAULT_TOLERANCE_PCT
    timeout_s: float = DEFAULT_TIMEOUT_S
    colouring: str = "detection"

    @property
    def uses_sheet(self) -> bool:
        """True when a spreadsheet key is configured (credentials are then required)."""
        return bool(self.sheet_key)


def _first(*values: object) -> str | None:
    for value in values:
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _number(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


def resolve_settings(
    sheet_key: str | None = None,
    credentials: str | None = None,
    workbook: str | None = None,
) -> PublishSettings:
    """Settings from explicit options, then environment, then `[tool.harness]`, then defaults."""
    config = project_config()
    env = os.environ
    credentials_path = _first(
        credentials, env.get(CREDENTIALS_ENV), env.get(GOOGLE_CREDENTIALS_ENV)
    )
    return PublishSettings(
        sheet_key=_first(sheet_key, env.get(SHEET_KEY_ENV), config.get("sheet_key")),
        credentials_path=Path(credentials_path).expanduser() if credentials_path else None,
        workbook_path=Path(
            _first(workbook, env.get(WORKBOOK_ENV), config.get("workbook")) or DEFAULT_WORKBOOK
        ).expanduser(),
        endpoint=(
            _first(env.get(ENDPOINT_ENV), config.get("sheets_endpoint")) or GOOGLE_SHEETS_ENDPOINT
        ).rstrip("/"),
        tolerance_pct=_number(
            "[tool.harness] sheet_tolerance_pct",
            _first(config.get("sheet_tolerance_pct")),
            DEFAULT_TOLERANCE_PCT,
        ),
        timeout_s=_number(TIMEOUT_ENV, _first(env.get(TIMEOUT_ENV)), DEFAULT_TIMEOUT_S),
        colouring=_choice(_first(env.get(COLOURING_ENV), config.get("sheet_colouring"))),
    )


def _choice(raw: str | None) -> str:
    if raw is None:
        return COLOURINGS[0]
    if raw not in COLOURINGS:
        raise ValueError(f"sheet colouring must be one of {', '.join(COLOURINGS)}, got {raw!r}")
    return raw
