"""`harness lint`: pylint through a ratchet, so a legacy codebase only gets cleaner.

Messages are compared with a committed baseline (`[tool.harness] lint_baseline`, default
.pylint-baseline.json) by fingerprint, without line numbers. A count that rises fails, an
error-category message always fails, a count that falls passes; `--update-baseline` then
lowers the baseline to match (it never raises it unless `--allow-increase` is given).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli.output import console
from harness.errors import EXIT_FINDING, EXIT_OK, CommandError
from harness.settings import BY_NAME, add_options, resolve

DEFAULT_BASELINE = str(BY_NAME["lint_baseline"].default)


def register(subparsers) -> None:
    """Add the `lint` subcommand."""
    lint = subparsers.add_parser(
        "lint", help="pylint with a baseline: counts may fall, never rise; errors always fail"
    )
    lint.add_argument("paths", nargs="*", help="files or packages to lint (default: "
                      "[tool.harness] lint_paths, else the current folder)")
    add_options(lint, ["lint_baseline"])
    lint.add_argument("--update-baseline", action="store_true",
                      help="write the baseline: create it, or lower counts that fell")
    lint.add_argument("--allow-increase", action="store_true",
                      help="with --update-baseline: also accept new messages (say why in the "
                      "commit)")
    lint.add_argument("--pylint-arg", action="append", default=[], metavar="ARG",
                      help="extra argument for pylint, e.g. --pylint-arg=--jobs=1 (repeatable)")
    lint.set_defaults(handler=lint_command)


def _settings(args: argparse.Namespace) -> tuple[list[str], Path]:
    settings = resolve({"lint_paths": args.paths or None, "lint_baseline": args.lint_baseline})
    return list(settings.lint_paths), Path(settings.lint_baseline)


def lint_command(args: argparse.Namespace) -> int:
    """Run pylint, compare with the baseline, report; optionally write the baseline."""
    # pylint: disable=import-outside-toplevel  # CLI modules import lazily
    from harness.lint.baseline import load_baseline
    from harness.lint.pylint_run import LintError, run_pylint
    from harness.lint.ratchet import compare

    paths, baseline_path = _settings(args)
    try:
        baseline = load_baseline(baseline_path)
        messages = run_pylint(paths, baseline_path.parent, args.pylint_arg)
    except LintError as error:
        raise CommandError(str(error)) from error
    result = compare(baseline, messages)
    _print_findings(result)
    summary = (f"{sum(result.current.values())} messages, {len(result.increases)} new, "
               f"{result.fixed} fixed, {len(result.errors)} errors")
    if args.update_baseline:
        return _update(args, baseline_path, baseline, result, summary)
    console().print(summary)
    if result.passed and result.fixed:
        console().print(f"{result.fixed} fewer than the baseline: run `harness lint "
                        "--update-baseline` to lock the improvement in")
    return EXIT_OK if result.passed else EXIT_FINDING


def _print_findings(result) -> None:
    out = console()
    for item in result.errors:
        out.print(f"error: {item.path}:{item.line}: {item.message_id} {item.symbol}: "
                  f"{item.message}", markup=False, highlight=False)
    for rise in result.increases:
        out.print(f"new: {rise.key.symbol} in {rise.key.path} ({rise.key.scope or 'module'}): "
                  f"{rise.found} now, {rise.allowed} allowed", markup=False, highlight=False)
        for item in rise.occurrences:
            out.print(f"  {item.path}:{item.line}: {item.message}", markup=False,
                      highlight=False)


def _update(args: argparse.Namespace, path: Path, baseline, result, summary: str) -> int:
    """Write the baseline: create it, or tighten it; loosen it only with --allow-increase."""
    # pylint: disable=import-outside-toplevel  # CLI modules import lazily
    from harness.lint.baseline import save_baseline
    from harness.lint.ratchet import tightened

    accept_all = not path.exists() or args.allow_increase
    if result.increases and not accept_all:
        console().print(f"{summary}\nbaseline not updated: it only tightens; fix the new "
                        "messages, or pass --allow-increase to accept them")
        return EXIT_FINDING
    save_baseline(path, result.current if accept_all else tightened(baseline, result.current))
    console().print(f"{summary}\nwrote {path}")
    return EXIT_FINDING if result.errors else EXIT_OK
