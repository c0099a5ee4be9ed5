"""What `harness init` writes into an existing repository: a noxfile with per-commit and
nightly sessions, a workflow that calls our reusable nightly workflow, the `.gitignore` lines,
a `[tool.harness]` table and one example test of each kind.

`plan` decides every change without touching the disk; `apply` writes a plan. New files are
created, never overwritten unless forced; `.gitignore` and `pyproject.toml` only get what
they lack appended.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from harness.errors import CommandError

DISTRIBUTION = "torch-regression-harness"
# Where `harness init` writes the caller, and where the reusable workflow (on: workflow_call)
# lies in the repository that publishes the harness.
WORKFLOW_PATH = ".github/workflows/harness-nightly.yml"
# Which published copy of the reusable workflow the caller runs: --workflow-ref, else this
# variable, else the installed harness's own metadata (published_ref).
WORKFLOW_REF_ENV = "HARNESS_WORKFLOW_REF"
TABLE_HEADER = re.compile(r"^\s*\[tool\.harness(\.[^\]]+)?\]", re.MULTILINE)
_NAME = r"[A-Za-z0-9_.-]+"
_WORKFLOW_REF = re.compile(
    rf"^(?P<repo>{_NAME}/{_NAME})(?P<path>/[^@\s]+\.ya?ml)?@(?P<ref>[^@\s]+)$")
_GITHUB_URL = re.compile(rf"^https://github\.com/(?P<repo>{_NAME}/{_NAME}?)(?:\.git)?/?$")
_SOURCE_LABELS = ("source", "repository", "code", "homepage")


@dataclass(frozen=True)
class Options:
    """What the generated files depend on."""

    branch: str
    tests_dir: str = "tests"
    torch: str = "torch"
    package: str = f"{DISTRIBUTION}[sheet,report]"
    # `uses:` of the caller: OWNER/REPO/PATH@REF (workflow_uses makes it from OWNER/REPO@REF).
    workflow: str = ""
    python: str = "3.11"


def workflow_uses(ref: str) -> str:
    """The caller's `uses:` for OWNER/REPO@REF (the reusable workflow's path added) or for a
    full OWNER/REPO/PATH.yml@REF."""
    match = _WORKFLOW_REF.match(ref.strip())
    if not match:
        raise CommandError(
            f"workflow reference {ref!r}: expected OWNER/REPO@REF (e.g. "
            f"my-org/harness@v0.1.0) or OWNER/REPO/{WORKFLOW_PATH}@REF")
    return f"{match['repo']}{match['path'] or '/' + WORKFLOW_PATH}@{match['ref']}"


def published_ref(distribution: str = DISTRIBUTION) -> str | None:
    """OWNER/REPO@vVERSION from the installed harness's metadata: its GitHub Project-URL
    (Source, Repository, Code or Homepage) at the tag of its version; None when it has none."""
    try:
        metadata = importlib.metadata.metadata(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    urls = {}
    for entry in metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        match = _GITHUB_URL.match(url.strip())
        if match:
            urls[label.strip().lower()] = match["repo"]
    for label in _SOURCE_LABELS:
        if label in urls:
            return f"{urls[label]}@v{metadata['Version']}"
    return None


def default_workflow_ref(environ: Mapping[str, str] | None = None) -> str | None:
    """$HARNESS_WORKFLOW_REF, else the installed harness's published_ref()."""
    environ = os.environ if environ is None else environ
    return environ.get(WORKFLOW_REF_ENV, "").strip() or published_ref()


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
    if not options.workflow:
        raise CommandError(
            "which published copy of the reusable workflow should the nightly call? This "
            "harness's metadata names no GitHub repository: pass --workflow-ref OWNER/REPO@REF "
            f"(the repository and tag of the harness you install) or set {WORKFLOW_REF_ENV}")
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
