"""Which published reusable workflow `harness init`'s caller runs: --workflow-ref, else
$HARNESS_WORKFLOW_REF, else the installed harness's metadata; never a made-up default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.adopt import WORKFLOW_PATH, default_workflow_ref, published_ref, workflow_uses
from harness.cli import main
from harness.errors import CommandError

USES = "my-org/harness/.github/workflows/harness-nightly.yml@v0.2.0"


def test_owner_repo_at_ref_names_our_workflow_and_a_full_path_is_kept():
    assert workflow_uses("my-org/harness@v0.2.0") == USES
    assert workflow_uses(" my-org/harness@v0.2.0\n") == USES
    full = "fork.er/h_x/ci/nightly.yaml@3f2c1e0"
    assert workflow_uses(full) == full


@pytest.mark.parametrize("ref", ["my-org/harness", "harness@v1", "a/b/c@", "a/b@v1@v2",
                                 "a/b/not-yaml@v1", "a b/c@v1", ""])
def test_a_malformed_reference_is_refused(ref):
    with pytest.raises(CommandError, match="expected OWNER/REPO@REF"):
        workflow_uses(ref)


def _installed(site: Path, name: str, *urls: str) -> None:
    """A real installed distribution's metadata (dist-info) under `site`."""
    info = site / f"{name.replace('-', '_')}-0.4.1.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 0.4.1",
             *(f"Project-URL: {url}" for url in urls)]
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_default_is_the_installed_harness_repository_at_its_version_tag(tmp_path,
                                                                            monkeypatch):
    _installed(tmp_path, "harness-probe-a", "Documentation, https://example.org/docs",
               "Source, https://github.com/my-org/harness.git")
    _installed(tmp_path, "harness-probe-b", "Homepage, https://example.org/")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert published_ref("harness-probe-a") == "my-org/harness@v0.4.1"
    assert published_ref("harness-probe-b") is None
    assert published_ref("harness-probe-missing") is None
    assert default_workflow_ref({"HARNESS_WORKFLOW_REF": "x/y@main"}) == "x/y@main"


@pytest.fixture(name="repo")
def fixture_repo(tmp_path: Path, monkeypatch) -> Path:
    """An empty git repository on `master`, as the cwd, with no workflow reference set."""
    monkeypatch.delenv("HARNESS_WORKFLOW_REF", raising=False)
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q", "-b", "master"], check=True)
    return tmp_path


def test_init_writes_the_reference_it_is_given(repo, monkeypatch):
    assert main(["init", "--workflow-ref", "my-org/harness@v0.2.0"]) == 0
    assert f"    uses: {USES}\n" in (repo / WORKFLOW_PATH).read_text()
    monkeypatch.setenv("HARNESS_WORKFLOW_REF", "other/harness@main")
    assert main(["init", "--force"]) == 0
    assert "uses: other/harness/.github/workflows/harness-nightly.yml@main" in \
        (repo / WORKFLOW_PATH).read_text()


def test_init_without_a_known_reference_asks_for_one_and_writes_nothing(repo, capsys):
    if published_ref() is not None:
        pytest.skip(f"the installed harness names its repository: {published_ref()}")
    assert main(["init"]) == 2
    err = capsys.readouterr().err
    assert "pass --workflow-ref OWNER/REPO@REF" in err and "HARNESS_WORKFLOW_REF" in err
    assert sorted(p.name for p in repo.iterdir()) == [".git"]
    assert main(["init", "--workflow-ref", "nope"]) == 2
    assert "expected OWNER/REPO@REF" in capsys.readouterr().err


def test_help_names_the_option_and_its_default():
    done = subprocess.run([sys.executable, "-m", "harness.cli", "init", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert "--workflow-ref OWNER/REPO@REF" in done.stdout and "$HARNESS_WORKFLOW_REF" in \
        done.stdout
