"""`harness init` in real git repositories: what it writes, and what it refuses to."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.settings import SETTINGS, read_table, resolve

PROJECT = '[project]\nname = "toygpt"\nversion = "0.1"\n'
WRITTEN = ("noxfile.py", ".github/workflows/harness-nightly.yml", "tests/test_harness_unit.py",
           "tests/test_harness_nightly.py")


@pytest.fixture(name="repo")
def fixture_repo(tmp_path: Path, monkeypatch) -> Path:
    """A git repository on `master` with a pyproject.toml and a .gitignore, as the cwd."""
    for setting in SETTINGS:
        for name in setting.env:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HARNESS_WORKFLOW_REF", "my-org/harness@v0.1.0")
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q", "-b", "master"], check=True)
    (tmp_path / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / ".gitignore").write_text("__pycache__/\n.nox/", encoding="utf-8")
    return tmp_path


def test_writes_what_adoption_needs(repo, capsys):
    assert main(["init", "--torch", "torch==2.13.0"]) == 0
    assert all((repo / path).is_file() for path in WRITTEN)
    assert (repo / ".gitignore").read_text() == "__pycache__/\n.nox/\n.harness/\n*.egg-info/\n"
    settings = resolve(environ={}, table=read_table(repo))
    assert settings.source("store") == "pyproject" and settings.report_dir == ".harness/report"
    assert "branch: master" in (repo / WRITTEN[1]).read_text()
    noxfile = (repo / "noxfile.py").read_text()
    sessions = [node.name for node in ast.parse(noxfile).body
                if isinstance(node, ast.FunctionDef) and node.decorator_list]
    assert sessions == ["tests", "nightly"]
    assert '"-m", "not integration"' in noxfile and '"torch==2.13.0"' in noxfile
    out = capsys.readouterr().out
    assert "create noxfile.py" in out and "append to pyproject.toml (" in out


@pytest.mark.slow  # two pytest sessions of the generated project
@pytest.mark.usefixtures("repo")
def test_the_example_tests_run_per_commit_and_nightly(tmp_path_factory):
    assert main(["init"]) == 0
    store = tmp_path_factory.mktemp("store") / "results.db"
    per_commit = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "not integration", "-v", "-p",
         "no:cacheprovider", f"--harness-store={store}"],
        capture_output=True, text=True, check=False)
    assert per_commit.returncode == 0, per_commit.stdout[-2000:]
    assert "test_linear_layer_keeps_the_batch PASSED" in per_commit.stdout
    assert "1 deselected" in per_commit.stdout and not store.exists()
    nightly = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "integration", "-p", "no:cacheprovider",
         f"--harness-store={store}"], capture_output=True, text=True, check=False)
    assert nightly.returncode == 0, nightly.stdout[-2000:]
    assert main(["--store", str(store), "show"]) == 0


def test_refuses_to_overwrite_and_writes_nothing(repo, capsys):
    (repo / "noxfile.py").write_text("# ours\n", encoding="utf-8")
    assert main(["init"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("harness: error: noxfile.py already exists: nothing was written (see "
                   "`harness init --dry-run`; --force overwrites)")
    assert (repo / "noxfile.py").read_text() == "# ours\n"
    assert not (repo / "tests").exists() and "harness" not in (repo / "pyproject.toml").read_text()
    assert main(["init", "--force"]) == 0
    assert "def nightly" in (repo / "noxfile.py").read_text()
    assert main(["init", "--force"]) == 0  # appends only what is missing: nothing twice
    assert (repo / "pyproject.toml").read_text().count("[tool.harness]") == 1
    assert (repo / ".gitignore").read_text().count(".harness/") == 1


def test_dry_run_shows_the_files_and_writes_nothing(repo, capsys):
    assert main(["init", "--dry-run", "--branch", "trunk", "--tests", "checks"]) == 0
    out = capsys.readouterr().out
    assert "create checks/test_harness_nightly.py" in out and "branch: trunk" in out
    assert sorted(p.name for p in repo.iterdir()) == [".git", ".gitignore", "pyproject.toml"]


def test_outside_the_top_of_a_git_repository_is_an_error(repo, monkeypatch, capsys):
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    assert main(["init"]) == 2
    assert "top folder of a git repository" in capsys.readouterr().err
