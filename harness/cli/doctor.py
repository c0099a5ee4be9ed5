"""`harness doctor`: check what a runner needs, one line per check, and how to fix it."""

from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path

from harness.cli.output import console

# The sheet publisher may offer a sharing check: check_access(sheet_key, credentials_path)
# returning None when the service account can open the spreadsheet, else what is wrong.
SHEET_ACCESS_HOOK = ("harness.publish.sheet", "check_access")


def register(subparsers) -> None:
    """Add the `doctor` subcommand."""
    doctor = subparsers.add_parser(
        "doctor", help="check torch/CUDA, the store, sheet credentials, Docker and git"
    )
    doctor.add_argument("--gpu", action="store_true", help="require CUDA GPUs (GPU runners)")
    doctor.add_argument("--docker", action="store_true",
                        help="require a reachable Docker engine (image builders)")
    doctor.set_defaults(handler=doctor_command)


def _sheet_settings() -> tuple[str | None, Path | None]:
    """The spreadsheet key and credentials path, as the sheet publisher resolves them."""
    try:
        settings = importlib.import_module("harness.publish.settings").resolve_settings()
    except ImportError:
        key = os.environ.get("HARNESS_SHEET_KEY", "").strip() or None
        path = (os.environ.get("HARNESS_SHEET_CREDENTIALS", "").strip()
                or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip())
        return key, Path(path).expanduser() if path else None
    return settings.sheet_key, settings.credentials_path


def _access_hook():
    module, name = SHEET_ACCESS_HOOK
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def doctor_command(args: argparse.Namespace) -> int:
    """Run every check, print one line each; exit 1 when a required check fails."""
    # pylint: disable=import-outside-toplevel,cyclic-import  # CLI modules import lazily
    from harness import doctor
    from harness.cli import EXIT_FINDING, EXIT_OK, CommandError
    from harness.store.locate import redact, resolve_store_target, to_url

    try:
        url = to_url(resolve_store_target(args.store))
        sheet_key, credentials = _sheet_settings()
    except ValueError as error:
        raise CommandError(str(error)) from error
    checks = [
        *doctor.check_torch(require_gpu=args.gpu),
        doctor.check_store(url, redact(url)),
        *doctor.check_sheet(sheet_key, credentials, _access_hook() if sheet_key else None),
        doctor.check_docker(required=args.docker),
        *doctor.check_git(Path.cwd()),
    ]
    return EXIT_FINDING if _print(checks) else EXIT_OK


def _print(checks) -> list[str]:
    """Print one line per check and a verdict; return the names of failed required checks."""
    out = console()
    for check in checks:
        out.print(check.line, markup=False, highlight=False, soft_wrap=True)
    failed = [check.name for check in checks if check.status == "FAIL"]
    out.print(f"{len(failed)} required check(s) failed: {', '.join(failed)}" if failed
              else "ready")
    return failed
