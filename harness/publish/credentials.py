"""Load a Google service account from a JSON key file, without ever exposing the key.

Every error raised here is a `CredentialsError` built from scratch (`from None`): no parser
exception that might hold the file's text is chained to it, so even a full traceback shows
only the path and what to do.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
REQUIRED_FIELDS = ("type", "client_email", "private_key", "token_uri")


class CredentialsError(Exception):
    """The service-account credentials are missing, unreadable or invalid."""


def read_service_account_info(path: Path) -> dict[str, Any]:
    """The parsed service-account JSON at `path`, checked for the fields we need."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CredentialsError(
            f"service-account credentials file {path} does not exist: set "
            "HARNESS_SHEET_CREDENTIALS (or GOOGLE_APPLICATION_CREDENTIALS) to the JSON key file"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise CredentialsError(
            f"cannot read service-account credentials file {path} ({reason}): check the path "
            "and its permissions"
        ) from None
    try:
        info = json.loads(raw)
    except ValueError:
        raise CredentialsError(
            f"{path} is not valid JSON: download the service account's JSON key again"
        ) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise CredentialsError(
            f"{path} is not a service-account key (expected \"type\": \"service_account\"): "
            "create a key for a service account in the Google Cloud console"
        )
    missing = [name for name in REQUIRED_FIELDS if not info.get(name)]
    if missing:
        raise CredentialsError(f"{path} lacks {', '.join(missing)}: download the key again")
    return info


def load_credentials(path: Path):
    """google-auth service-account credentials scoped to Sheets (no Drive access needed)."""
    from google.oauth2 import service_account  # pylint: disable=import-outside-toplevel

    info = read_service_account_info(path)
    try:
        return service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
    except (ValueError, TypeError, IndexError):
        raise CredentialsError(
            f"{path} holds a private key that cannot be loaded: download the key again"
        ) from None


def account_email(path: Path) -> str:
    """The service account's e-mail (what a spreadsheet must be shared with); not a secret."""
    return str(read_service_account_info(path).get("client_email", ""))


def exposure_warning(path: Path) -> str | None:
    """A warning when other users of this machine may read the key file, else None."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None  # loading it says what is wrong
    if not mode & 0o044:
        return None
    who = "every user" if mode & 0o004 else "its group"
    return (f"warning: the service-account key {path} is readable by {who} of this machine: "
            f"chmod 600 {path}")
