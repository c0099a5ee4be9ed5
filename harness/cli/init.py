"""`harness init`: write what a repository needs to adopt the harness, and nothing else.

It shows every change first; existing files are never overwritten without --force (exit 2,
nothing written); `.gitignore` and `pyproject.toml` only get what they lack appended.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from harness.adopt import (DISTRIBUTION, WORKFLOW_PATH, WORKFLOW_REF_ENV, Options, apply,
                           conflicts, default_workflow_ref, plan, workflow_uses)
from harness.errors import CommandError

GIT_TIMEOUT_S = 30


def register(subparsers) -> None:
    """Add the `init` subcommand."""
    parser = subparsers.add_parser(
        "init", help="write the noxfile, nightly workflow, .gitignore lines, [tool.harness] "
                     "and example tests that adopting the harness needs",
        description="In the top folder of a git repository: write noxfile.py (sessions "
                    "`tests`, per commit, and `nightly`), a workflow calling the harness's "
                    "reusable nightly workflow, .gitignore lines, a [tool.harness] table in "
                    "pyproject.toml, and one example unit and one example nightly test. "
                    "Existing files are left alone unless --force.")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would be written, write nothing")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.add_argument("--branch", help="the branch the nightly runs on (default: the "
                                         "remote's default branch, else the current one)")
    parser.add_argument("--tests", default="tests", metavar="DIR",
                        help="folder of the example tests (default: tests)")
    parser.add_argument("--torch", default="torch", metavar="SPEC",
                        help="the torch requirement the sessions install first (default: "
                             "torch; e.g. torch==2.13.0)")
    parser.add_argument("--package", default=f"{DISTRIBUTION}[sheet,report]", metavar="SPEC",
                        help="the harness requirement the sessions install (default: "
                             "%(default)s)")
    parser.add_argument("--workflow-ref", "--workflow", dest="workflow", metavar="OWNER/REPO@REF",
                        help="the published copy of the harness's reusable workflow the nightly "
                             f"calls: OWNER/REPO@REF (its {WORKFLOW_PATH} at a tag or commit), "
                             "or OWNER/REPO/PATH.yml@REF (default: $" + WORKFLOW_REF_ENV +
                             ", else the GitHub repository in the installed harness's "
                             "metadata at the tag v<version>)")
    parser.add_argument("--python", default="3.11", help="Python of the nightly runners")
    parser.set_defaults(handler=run_init)


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CommandError(f"git failed: {error}") from error
    return done.stdout.strip() if done.returncode == 0 else ""


def default_branch(root: Path) -> str:
    """The remote's default branch (origin/HEAD), else the branch checked out."""
    remote = _git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if remote:
        return remote.split("/", 1)[-1]
    current = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    if not current:
        raise CommandError("cannot tell the default branch (detached HEAD?): pass --branch")
    return current


def run_init(args: argparse.Namespace) -> int:
    """Show the plan, then write it (unless --dry-run)."""
    root = Path.cwd()
    top = _git(root, "rev-parse", "--show-toplevel")
    if not top or Path(top).resolve() != root.resolve():
        raise CommandError("run `harness init` in the top folder of a git repository")
    ref = args.workflow or default_workflow_ref()
    options = Options(branch=args.branch or default_branch(root), tests_dir=args.tests,
                      torch=args.torch, package=args.package,
                      workflow=workflow_uses(ref) if ref else "", python=args.python)
    changes = plan(root, options)
    clashing = set(conflicts(root, changes))
    for change in changes:
        verb = change.verb
        if change.path in clashing:
            verb = "overwrite" if args.force else "exists, not overwritten:"
        lines = sum(1 for line in change.text.splitlines() if line.strip())
        print(f"{verb} {change.path} ({lines} lines)")
        if args.dry_run:
            print("".join(f"    {line}\n" for line in change.text.splitlines()), end="")
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    apply(root, changes, force=args.force)
    print(f"Written. Next: `pip install nox`, then `nox` (every commit: tests not marked "
          f"integration) and `nox -s nightly` (the nightly, branch {options.branch}); commit "
          "the files; set the workflow's secrets (see its header) for a shared store, the "
          "sheet and Slack.")
    return 0
