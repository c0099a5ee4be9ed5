"""Git provenance read from a real repository."""

import subprocess

from harness.measure.gitinfo import read_git_info


def git(cwd, *args):
    """Run git in `cwd` and return its output."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_reads_commit_branch_subject_and_dirty_flag(tmp_path):
    git(tmp_path, "init", "-q", "-b", "trunk")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "T")
    (tmp_path / "a.txt").write_text("1")
    git(tmp_path, "add", "a.txt")
    git(tmp_path, "commit", "-qm", "Make a faster")
    info = read_git_info(tmp_path)
    assert info.commit == git(tmp_path, "rev-parse", "HEAD")
    assert (info.branch, info.subject, info.dirty) == ("trunk", "Make a faster", False)
    assert info.commit_time.startswith("20")
    (tmp_path / "a.txt").write_text("2")
    assert read_git_info(tmp_path).dirty is True


def test_untracked_files_make_it_dirty_and_ignored_ones_do_not(tmp_path):
    git(tmp_path, "init", "-q", "-b", "trunk")
    (tmp_path / ".gitignore").write_text(".harness/\n")
    git(tmp_path, "add", ".gitignore")
    git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=T", "commit", "-qm", "init")
    (tmp_path / ".harness").mkdir()
    (tmp_path / ".harness" / "results.db").write_text("")
    assert read_git_info(tmp_path).dirty is False
    (tmp_path / "test_new.py").write_text("def test_new(): pass\n")
    assert read_git_info(tmp_path).dirty is True


def test_outside_a_repository_falls_back_to_ci_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    info = read_git_info(tmp_path)
    assert (info.commit, info.branch) == ("f" * 40, "main")
