"""Fingerprints of lint messages and the committed baseline that counts them.

A fingerprint leaves out line and column, so moving code does not make its old messages
look new; numbers inside message text ("Too many locals (16/15)") are blurred for the same
reason. The baseline file is sorted JSON, one entry per fingerprint, so it diffs cleanly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.lint.pylint_run import LintError, LintMessage

BASELINE_VERSION = 1
_NUMBER = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True, order=True)
class Fingerprint:
    """What identifies a message across edits: where (file, scope), which check, what text."""

    path: str
    symbol: str
    scope: str
    message: str


def fingerprint(message: LintMessage) -> Fingerprint:
    """The message's fingerprint (no line numbers; numbers in the text blurred to '#')."""
    text = _NUMBER.sub("#", " ".join(message.message.split()))
    return Fingerprint(message.path, message.symbol, message.scope, text)


def count(messages: Iterable[LintMessage]) -> Counter[Fingerprint]:
    """How often each fingerprint occurs (errors excluded: they are never baselined)."""
    return Counter(fingerprint(m) for m in messages if not m.is_error)


def load_baseline(path: Path) -> Counter[Fingerprint]:
    """Read a baseline file; a missing file is an empty baseline."""
    if not path.exists():
        return Counter()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != BASELINE_VERSION:
            raise ValueError(f"unsupported baseline version {data.get('version')!r}")
        return Counter({
            Fingerprint(e["path"], e["symbol"], e["scope"], e["message"]): int(e["count"])
            for e in data["messages"]
        })
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise LintError(
            f"cannot read lint baseline {path}: {error}; restore it from git, or delete it and "
            "re-create it with `harness lint --update-baseline`"
        ) from error


def save_baseline(path: Path, counts: Counter[Fingerprint]) -> None:
    """Write the baseline: sorted entries, stable indentation, trailing newline."""
    entries = [
        {**asdict(key), "count": counts[key]} for key in sorted(counts) if counts[key] > 0
    ]
    document = {"version": BASELINE_VERSION, "tool": "pylint", "messages": entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
