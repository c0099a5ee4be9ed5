"""The errors every stage and face shares, and the exit codes they map to.

Exit codes of every `harness` command: 0 nothing to report, 1 a finding (a regression, a
failed required check), 2 an error (bad input, an unusable store or target).
"""

from __future__ import annotations

EXIT_OK, EXIT_FINDING, EXIT_ERROR = 0, 1, 2


class CommandError(Exception):
    """A user-facing error: printed as one line without a traceback, exit code 2."""


class SettingsError(CommandError, ValueError):
    """A setting has a bad value or `[tool.harness]` holds an unknown key."""
