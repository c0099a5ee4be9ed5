"""`harness doctor`: check what a runner needs, one line per check, and how to fix it."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli.output import console
from harness.errors import EXIT_FINDING, EXIT_OK


def register(subparsers) -> None:
    """Add the `doctor` subcommand."""
    doctor = subparsers.add_parser(
        "doctor", help="check torch/CUDA, the store, sheet credentials, Docker and git"
    )
    doctor.add_argument("--gpu", action="store_true", help="require CUDA GPUs (GPU runners)")
    doctor.add_argument("--docker", action="store_true",
                        help="require a reachable Docker engine (image builders)")
    doctor.set_defaults(handler=doctor_command)


def _access_check(settings):
    """The sheet publisher's sharing check, bound to the configured endpoint and timeout;
    None when the `sheet` extra is not installed."""
    try:
        from harness.publish.sheet import check_access  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return lambda key, path: check_access(key, path, settings.sheets_endpoint,
                                          settings.sheet_timeout)


def doctor_command(args: argparse.Namespace) -> int:
    """Run every check, print one line each; exit 1 when a required check fails."""
    # pylint: disable=import-outside-toplevel  # CLI modules import lazily
    from harness import doctor
    from harness.publish.settings import publish_settings
    from harness.settings import options_from, resolve
    from harness.store.locate import redact, to_url

    settings = resolve(options_from(args))
    url = to_url(settings.store)
    chosen = publish_settings(settings)
    sheet_key, credentials = chosen.sheet_key, chosen.credentials_path
    checks = [
        *doctor.check_torch(require_gpu=args.gpu),
        *(doctor.check_gpu_clocks() if args.gpu else []),
        doctor.check_store(url, redact(url)),
        *doctor.check_sheet(sheet_key, credentials, _access_check(settings) if sheet_key
                            else None),
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
