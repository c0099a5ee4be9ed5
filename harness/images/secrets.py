"""Rules that find secrets in image files: private keys, service-account JSON, tokens, `.git`,
and certificates the build added. A finding names the path and the kind, never the secret."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

CERTIFICATE = "certificate added by the build"
_CONTENT_RULES: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("private key", re.compile(
        rb"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----\s+(?:[A-Za-z0-9+/=]+:[^\n]*\n)*\s*"
        rb"[A-Za-z0-9+/=]{40,}")),
    # Key material, JSON-escaped: code that merely builds such a dict does not match.
    ("service-account JSON", re.compile(
        rb'"private_key"\s*:\s*"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----\\n[A-Za-z0-9+/=]{40,}')),
    ("GitHub token", re.compile(rb"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{60,})\b")),
    ("Slack token", re.compile(rb"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Slack webhook URL", re.compile(rb"https://hooks\.slack\.com/(?:services|workflows)/"
                                     rb"T[A-Z0-9]{6,}/[AB][A-Z0-9]{6,}/[A-Za-z0-9]{20,}")),
    ("AWS access key", re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("Google API key", re.compile(rb"\bAIza[0-9A-Za-z_\-]{35}\b")),
)
# A PEM certificate with a body, not just the marker string (Python's ssl.py holds that).
_CERT = re.compile(rb"-----BEGIN (?:TRUSTED )?CERTIFICATE-----\s*[A-Za-z0-9+/=\s]{64,}"
                   rb"-----END (?:TRUSTED )?CERTIFICATE-----")
# Cheap literal checks first: the rules above run only on files holding one of these.
_MARKERS = (b"-----BEGIN", b"service_account", b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_",
            b"github_pat_", b"xox", b"hooks.slack",
            b"AKIA", b"ASIA", b"AIza")


@dataclass(frozen=True)
class Finding:
    """One secret-like thing found in one layer."""

    layer: int
    path: str
    kind: str


@dataclass(frozen=True)
class SecretRules:
    """What counts as a secret; `forbidden` are exact contents (e.g. the build's extra CA)."""

    allowed_certificates: tuple[str, ...] = ()
    forbidden: tuple[bytes, ...] = ()

    def kinds(self, path: str, data: bytes | None) -> list[str]:
        """The kinds of secret this file is or holds (empty: nothing found)."""
        found = []
        if ".git" in path.split("/"):
            found.append("git metadata (.git)")
        if data is None:
            return found
        if any(blob.strip() and blob.strip() in data for blob in self.forbidden):
            found.append("build-only CA certificate")
        if not any(marker in data for marker in _MARKERS):
            return found
        found.extend(kind for kind, pattern in _CONTENT_RULES if pattern.search(data)
                     and (kind != "service-account JSON" or b"service_account" in data))
        if _CERT.search(data) and not any(
            fnmatch.fnmatch(path, pattern) for pattern in self.allowed_certificates
        ):
            found.append(CERTIFICATE)
        return found
