"""What `harness init` writes into an existing repository: a noxfile with per-commit and
nightly sessions, a workflow that calls our reusable nightly workflow, the `.gitignore` lines,
a `[tool.harness]` table and one example test of each kind.

`plan` decides every change without touching the disk; `apply` writes a plan. New files are
created, never overwritten unless forced; `.gitignore` and `pyproject.toml` only get what
they lack appended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from harness.errors import CommandError

DISTRIBUTION = "torch-regression-harness"
# The reusable workflow of this project (on: workflow_call), as adopters' workflows call it.
REUSABLE_WORKFLOW = (
    "torch-regression-harness/harness/.github/workflows/harness-nightly.yml@v0.1.0"
)
WORKFLOW_PATH = ".github/workflows/harness-nightly.yml"
TABLE_HEADER = re.compile(r"^\s*\[tool\.harness(\.[^\]]+)?\]", re.MULTILINE)


@dataclass(frozen=True)
class Options:
    """What the generated files depend on."""

    branch: str
    tests_dir: str = "tests"
    torch: str = "torch"
    package: str = f"{DISTRIBUTION}[sheet,report]"
    workflow: str = REUSABLE_WORKFLOW
    python: str = "3.11"


@dataclass(frozen=True)
class Change:
    """One file to create (or overwrite, when forced), or text to append to a file."""

    path: str
    text: str
    append: bool = False

    @property
    def verb(self) -> str:
        """How the change is shown: create, overwrite or append to."""
        return "append to" if self.append else "create"


def _template(name: str, options: Options) -> str:
    text = resources.files("harness.adopt").joinpath("templates", f"{name}.tmpl").read_text(
        encoding="utf-8")
    for key, value in (("branch", options.branch), ("torch", options.torch),
                       ("package", options.package), ("workflow", options.workflow),
                       ("python", options.python)):
        text = text.replace(f"@@{key}@@", value)
    return text


def _missing_lines(path: Path, wanted: str) -> str:
    """The lines of `wanted` that the file lacks (all of them when it does not exist)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    lines = [line for line in wanted.splitlines() if line not in text.splitlines()]
    if not lines:
        return ""
    return ("\n" if text and not text.endswith("\n") else "") + "\n".join(lines) + "\n"


def plan(root: Path, options: Options) -> list[Change]:
    """Every change `harness init` would make in `root`, in the order it shows them."""
    tests = options.tests_dir.strip("/") or "."
    changes = [
        Change("noxfile.py", _template("noxfile.py", options)),
        Change(WORKFLOW_PATH, _template("harness-nightly.yml", options)),
        Change(f"{tests}/test_harness_unit.py", _template("test_harness_unit.py", options)),
        Change(f"{tests}/test_harness_nightly.py",
               _template("test_harness_nightly.py", options)),
    ]
    ignored = _missing_lines(root / ".gitignore", _template("gitignore", options))
    if ignored:
        changes.append(Change(".gitignore", ignored, append=True))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not TABLE_HEADER.search(pyproject.read_text(encoding="utf-8")):
        changes.append(Change("pyproject.toml", _template("pyproject.toml", options),
                              append=True))
    return changes


def conflicts(root: Path, changes: list[Change]) -> list[str]:
    """The files a plan would overwrite."""
    return [c.path for c in changes if not c.append and (root / c.path).exists()]


def apply(root: Path, changes: list[Change], force: bool = False) -> None:
    """Write a plan; refuses (nothing written) when it would overwrite a file, unless forced."""
    clashing = conflicts(root, changes)
    if clashing and not force:
        raise CommandError(
            f"{', '.join(clashing)} already exist{'s' if len(clashing) == 1 else ''}: nothing "
            "was written (see `harness init --dry-run`; --force overwrites)")
    for change in changes:
        target = root / change.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if change.append:
            with target.open("a", encoding="utf-8") as stream:
                stream.write(change.text)
        else:
            target.write_text(change.text, encoding="utf-8")
