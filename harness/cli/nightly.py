"""`harness nightly`: the whole nightly, in order: integration tests (pytest, recording),
`harness show`, `harness check --new` with its reports (and Slack when a webhook is set), then
`harness sync` to the sheet or workbook. `--repeats N` measures N times up front (replicates of
one commit); a test whose newest run jumped (an unconfirmed change) is measured again at once
on the same commit (`--confirm-runs`, Pinpoint's way), so the check that follows confirms the
change or retracts it the same night.

Every step runs even when an earlier one failed, so what was measured is always shown, checked
and published. Exit codes: 0 all went well, 1 a regression was newly confirmed (and nothing
else failed), 2 an error: tests failed or none ran, the store, the check or the publish failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.errors import EXIT_ERROR, EXIT_FINDING, EXIT_OK
from harness.settings import Settings, add_options, options_from, resolve
from harness.stages.repeats import flagged_for_rerun

DEFAULT_PYTEST_ARGS = ("-m", "integration")
PYTEST_FAILED, PYTEST_NO_TESTS = 1, 5


def register(subparsers) -> None:
    """Add the `nightly` subcommand."""
    parser = subparsers.add_parser(
        "nightly", help="the nightly in order: integration tests, show, check with reports, "
                        "publish (exit 1: a regression newly confirmed, 2: an error)",
        description="Run the integration tests (recording into the store), show the run, "
                    "check for regressions (report in the report folder, Slack when a webhook "
                    "is configured), and publish every unpublished run. Arguments after `--` "
                    "go to pytest (default: -m integration). Exit 0: all well, 1: a "
                    "regression was newly confirmed, 2: an error (failed tests included).")
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARG",
                        help="arguments for pytest, after `--` (default: -m integration)")
    parser.add_argument("--repeats", type=_count, default=1, metavar="N",
                        help="run the integration tests N times (replicates; default 1)")
    parser.add_argument("--confirm-runs", type=_count_or_zero, default=1, metavar="N",
                        help="rerun the tests whose newest run jumped, up to N times, before "
                             "publishing (default 1; 0: never)")
    add_options(parser, ["report_dir"])
    parser.set_defaults(handler=run_nightly)


def _count(text: str) -> int:
    value = _count_or_zero(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _count_or_zero(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


@dataclass(frozen=True)
class Step:
    """One stage of the nightly: a `harness` command line (or pytest), and what its failure
    means to the reader."""

    name: str
    argv: tuple[str, ...]
    problem: str
    finding_code: int | None = None
    pytest: bool = False


@dataclass
class Outcome:
    """What the steps left: problems to report, and whether a finding or an error was met."""

    problems: list[str] = field(default_factory=list)
    finding: bool = False
    error: bool = False

    @property
    def exit_code(self) -> int:
        """2 on any error, else 1 on a finding, else 0."""
        return EXIT_ERROR if self.error else EXIT_FINDING if self.finding else EXIT_OK


def nightly_steps(settings: Settings, pytest_args: list[str], store: str | None
                  ) -> list[Step]:
    """The nightly's steps in order, for these settings (the report folder, Slack)."""
    report = Path(settings.report_dir)
    scope = ("--store", store) if store else ()
    check = [*scope, "check", "--new", "--markdown", str(report / "summary.md")]
    if importlib.util.find_spec("matplotlib") is not None:
        check += ["--html", str(report / "report.html")]
    if settings.slack_webhook or settings.slack_webhook_file:
        check.append("--slack")
    return [
        Step("integration tests", ("-m", "pytest", *(pytest_args or DEFAULT_PYTEST_ARGS)),
             "integration tests failed (what they measured is recorded)", pytest=True),
        Step("show", (*scope, "show"), "could not show the run"),
        Step("check", tuple(check), "the check failed", finding_code=EXIT_FINDING),
        Step("publish", (*scope, "sync"),
             "publishing failed: results stay in the store, run `harness sync` later"),
    ]


def _run_step(step: Step, store: str | None) -> int:
    if step.pytest:
        env = dict(os.environ, **({"HARNESS_STORE": store} if store else {}))
        return subprocess.run([sys.executable, *step.argv], env=env, check=False).returncode
    from harness.cli import main  # pylint: disable=import-outside-toplevel  # cli imports us
    return main(list(step.argv))


def run_nightly(args: argparse.Namespace) -> int:
    """Run every step, then say what went wrong, if anything."""
    settings = resolve(options_from(args))
    Path(settings.report_dir).mkdir(parents=True, exist_ok=True)
    outcome = Outcome()
    tests, show, check, publish = nightly_steps(settings, args.pytest_args, args.store)
    plan = [tests] * args.repeats + [show, check]
    total = len(plan) + 1
    for number, step in enumerate(plan, 1):
        _execute(step, f"{number}/{total}", args.store, settings, outcome)
    _confirm(tests, check, args, settings, outcome)
    _execute(publish, f"{total}/{total}", args.store, settings, outcome)
    for problem in dict.fromkeys(outcome.problems):
        print(f"harness nightly: {problem}", file=sys.stderr)
    if not outcome.problems:
        print("harness nightly: recorded, checked and published")
    return outcome.exit_code


def _confirm(tests: Step, check: Step, args: argparse.Namespace, settings: Settings,
             outcome: Outcome) -> None:
    """Rerun the tests whose newest run jumped and check again, up to `--confirm-runs`."""
    for attempt in range(1, args.confirm_runs + 1):
        jumped = _jumped_tests(args.store)
        if not jumped:
            break
        listing = Path(settings.report_dir) / "rerun.txt"
        listing.write_text("".join(f"{test}\n" for test in jumped), encoding="utf-8")
        print(f"harness nightly: {len(jumped)} test(s) jumped in this run (unconfirmed): "
              "measuring them again on the same commit", flush=True)
        label = f"confirm {attempt}/{args.confirm_runs}"
        _execute(replace(tests, name="rerun of the tests that jumped",
                         argv=(*tests.argv, f"--harness-rerun={listing}")),
                 label, args.store, settings, outcome)
        _execute(check, label, args.store, settings, outcome)


def _jumped_tests(store: str | None) -> list[str]:
    """Tests whose newest run holds an unconfirmed change ([] when the store cannot tell)."""
    # pylint: disable-next=import-outside-toplevel  # the store's imports only when needed
    from harness.store import Store, StoreError

    try:
        opened = Store.open(store, create=False)
    except StoreError:
        return []  # the check already said why
    try:
        newest = opened.last_run()
        return flagged_for_rerun(opened.verdicts(), newest.run_id) if newest else []
    finally:
        opened.close()


def _execute(step: Step, label: str, store: str | None, settings: Settings,
             outcome: Outcome) -> None:
    """Run one step and note what its exit code means."""
    shown = "python " if step.pytest else "harness "
    print(f"harness nightly [{label}] {step.name}: {shown}{shlex.join(step.argv)}", flush=True)
    code = _run_step(step, store)
    if code == EXIT_OK:
        return
    if step.finding_code is not None and code == step.finding_code:
        outcome.finding = True
        outcome.problems.append("a regression was newly confirmed (see the report in "
                                f"{settings.report_dir})")
    elif step.pytest and code == PYTEST_NO_TESTS:
        outcome.error = True
        outcome.problems.append("no integration tests were collected (mark nightly tests "
                                "with @pytest.mark.integration, or pass pytest arguments)")
    else:
        outcome.error = True
        outcome.problems.append(step.problem if code in (PYTEST_FAILED, EXIT_ERROR)
                                else f"{step.problem} (exit {code})")
