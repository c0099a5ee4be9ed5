"""Run pylint in a subprocess and read its JSON report into messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# pylint's exit status is a bit mask of message categories; 32 means it was used wrongly.
_USAGE_ERROR = 32
ERROR_CATEGORIES = frozenset({"error", "fatal"})


class LintError(RuntimeError):
    """pylint could not run or its report could not be read; the message says why."""


@dataclass(frozen=True)
class LintMessage:
    """One pylint message, with its path relative to the baseline's folder."""

    path: str
    line: int
    category: str
    symbol: str
    message_id: str
    message: str
    scope: str

    @property
    def is_error(self) -> bool:
        """Errors and fatal messages fail the ratchet whatever the baseline says."""
        return self.category in ERROR_CATEGORIES


def _relative(path: str, root: Path) -> str:
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(absolute, root.resolve())).as_posix()


def parse_report(text: str, root: Path) -> list[LintMessage]:
    """Messages from pylint's `json2` (or older `json`) report."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LintError(f"pylint's report is not JSON ({error}): {text[:200]!r}") from error
    items = data.get("messages", []) if isinstance(data, dict) else data
    return [
        LintMessage(
            path=_relative(item.get("absolutePath") or item["path"], root),
            line=int(item.get("line") or 0),
            category=item["type"],
            symbol=item["symbol"],
            message_id=item.get("messageId") or item.get("message-id", ""),
            message=item["message"],
            scope=item.get("obj") or "",
        )
        for item in items
    ]


def run_pylint(
    paths: Sequence[str], root: Path, extra_args: Sequence[str] = (), cwd: Path | None = None
) -> list[LintMessage]:
    """Lint `paths` with pylint (the project's own config applies) and return every message."""
    command = [sys.executable, "-m", "pylint", "--output-format=json2", "--score=n",
               *extra_args, *paths]
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        raise LintError(f"cannot start pylint: {error}") from error
    if result.returncode & _USAGE_ERROR or not result.stdout.strip():
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise LintError("pylint failed: " + (" | ".join(detail) or f"exit {result.returncode}")
                        + " (is pylint installed? pip install 'torch-regression-harness[lint]')")
    return parse_report(result.stdout, root)
