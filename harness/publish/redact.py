"""Keep credentials out of google-auth's debug logs.

google-auth logs each request it makes at DEBUG in a structured field (`httpRequest`),
including the `Authorization: Bearer ...` header of its IAM lookups and the signed JWT
assertion it posts to the token endpoint. A filter on google's loggers replaces such values
before any handler sees them.
"""

from __future__ import annotations

import logging
import re

SECRET_HEADERS = {"authorization", "x-goog-iam-authorization-token", "proxy-authorization"}
# Request/response body fields that are credentials (the JWT assertion is a signed grant).
SECRET_FIELDS = {"assertion", "access_token", "id_token", "refresh_token", "client_secret",
                 "subject_token", "private_key"}
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")
REDACTED = "<redacted>"


class RedactSecrets(logging.Filter):
    """Redact bearer tokens in messages and secret headers in structured request fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drop it."""
        if isinstance(record.msg, str) and "Bearer" in record.msg:
            record.msg = _BEARER.sub(rf"\g<1>{REDACTED}", record.msg)
        if record.args:
            record.args = tuple(
                _BEARER.sub(rf"\g<1>{REDACTED}", arg) if isinstance(arg, str) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        for name in ("httpRequest", "httpResponse"):
            payload = getattr(record, name, None)
            if isinstance(payload, dict):
                setattr(record, name, _scrub(payload))
        return True


def _scrub(payload: dict) -> dict:
    clean = dict(payload)
    headers = clean.get("headers")
    if isinstance(headers, dict):
        clean["headers"] = {
            key: REDACTED if str(key).lower() in SECRET_HEADERS else value
            for key, value in headers.items()
        }
    body = clean.get("body")
    if isinstance(body, dict):
        clean["body"] = {key: REDACTED if key in SECRET_FIELDS else value
                         for key, value in body.items()}
    elif isinstance(body, (str, bytes)) and any(
        field in str(body) for field in SECRET_FIELDS
    ):
        clean["body"] = REDACTED
    return clean


_FILTER = RedactSecrets()


def install(prefix: str = "google") -> None:
    """Attach the filter to every existing logger under `prefix` (idempotent).

    Logger filters apply to records created by that very logger, so each one gets it; call
    this after the google modules are imported.
    """
    names = [name for name in logging.Logger.manager.loggerDict
             if name == prefix or name.startswith(prefix + ".")]
    for name in [prefix, *names]:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
