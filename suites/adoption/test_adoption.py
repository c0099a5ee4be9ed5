"""Acceptance of issue 12: a foreign PyTorch project adopts the harness from its wheel.

The project (suites/adoption/project.py) has its own package, its own `backbone` module and a
`master` branch. Its developer installs nox and the harness into a fresh venv, runs `harness
init`, writes one unit test and one nightly test, and then: the per-commit session passes
without the nightly test, three nightlies record, check and publish to the workbook, and the
generated workflow passes actionlint. The lines written by hand are counted (at most 30).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from harness.store import Store
from suites.adoption.conftest import clean_env, run
from suites.adoption.project import FILES, HAND_WRITTEN, write

DIST_INFO = "torch_regression_harness-0.1.0.dist-info"
MAX_HAND_WRITTEN_LINES = 30
TOP_LEVEL = '''
import importlib.metadata, importlib.util, json, sysconfig
from pathlib import Path
dist = importlib.metadata.distribution("torch-regression-harness")
site = Path(sysconfig.get_paths()["purelib"])
print(json.dumps({
    "installed": sorted({f.parts[0] for f in dist.files if f.parts[0] != ".."}),
    "backbone": importlib.util.find_spec("backbone") is not None,
    "harness": Path(importlib.util.find_spec("harness").origin).parent.parent == site,
}))
'''


def test_the_wheel_ships_the_harness_alone(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {"harness", DIST_INFO}
    assert "harness/adopt/templates/noxfile.py.tmpl" in names
    assert not [name for name in names if "backbone" in name or name.startswith("suites")]


def test_pip_install_puts_one_top_level_package_into_site_packages(adopter_bin: Path):
    found = json.loads(run([str(adopter_bin / "python"), "-c", TOP_LEVEL], adopter_bin,
                           clean_env()).stdout)
    assert found == {"installed": ["harness", DIST_INFO], "backbone": False, "harness": True}


def adopt(repo: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    """Make the project, run `harness init`, write the tests by hand; commit each step.
    Returns the hand-written lines and the files they are in."""
    write(repo, FILES)
    run(["git", "init", "-q", "-b", "master"], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-qm", "toygpt"], repo, env)

    init = run(["harness", "init", "--torch", "torch==2.13.0", "--workflow-ref",
                "my-org/harness@v0.1.0"], repo, env).stdout
    assert "create .github/workflows/harness-nightly.yml" in init
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-qm", "Adopt the harness: harness init"], repo, env)
    caller = (repo / ".github/workflows/harness-nightly.yml").read_text()
    assert "branch: master" in caller
    assert "uses: my-org/harness/.github/workflows/harness-nightly.yml@v0.1.0" in caller

    write(repo, HAND_WRITTEN)
    run(["git", "add", "-A"], repo, env)
    numstat = run(["git", "diff", "--cached", "--numstat"], repo, env).stdout.splitlines()
    rows = [line.split("\t") for line in numstat]
    run(["git", "commit", "-qm", "A unit test and a nightly test"], repo, env)
    return sum(int(added) + int(removed) for added, removed, _ in rows), [r[2] for r in rows]


def check_three_nightlies(repo: Path, env: dict[str, str]) -> None:
    """Three nightlies, a commit apart: each records, checks and publishes."""
    for night in range(3):
        nightly = run(["nox", "-s", "nightly"], repo, env).stdout
        assert "harness nightly: recorded, checked and published" in nightly
        run(["git", "commit", "-q", "--allow-empty", "-m", f"after night {night}"], repo, env)
    summary = load_workbook(repo / ".harness/regression-sheet.xlsx", read_only=True)["Summary"]
    assert summary.max_row - 2 == 3  # under the two header rows
    runs = Store.open(str(repo / ".harness/results.db"), create=False).runs()
    assert [(r.status.value, r.git.branch, r.git.dirty) for r in runs] == \
        [("complete", "master", False)] * 3
    assert (repo / ".harness/report/summary.md").is_file()
    assert (repo / ".harness/report/report.html").is_file()


def disk_use_mb(folder: Path) -> tuple[float, float]:
    """MB under `folder` counting each hard link (a copy per session), and each file once."""
    sizes = [subprocess.run(["du", "-s", "-k", *flags, str(folder)], capture_output=True,
                            text=True, timeout=300, check=True).stdout.split()[0]
             for flags in (["--count-links"], [])]
    return int(sizes[0]) * 1.024e-3, int(sizes[1]) * 1.024e-3


def test_a_foreign_project_adopts_the_harness(tmp_path: Path, wheel: Path, adopter_bin: Path,
                                              capsys):
    started = time.monotonic()
    repo = tmp_path / "toygpt"
    env = clean_env(adopter_bin, HARNESS_PACKAGE=f"{wheel}[report]",
                    GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.com",
                    GIT_COMMITTER_NAME="Ada", GIT_COMMITTER_EMAIL="ada@example.com")
    lines, touched = adopt(repo, env)
    assert sorted(touched) == sorted(HAND_WRITTEN)
    assert lines <= MAX_HAND_WRITTEN_LINES

    per_commit = run(["nox", "-s", "tests", "--", "-v"], repo, env).stdout
    assert "test_model.py::test_logits_cover_the_vocabulary PASSED" in per_commit
    assert "2 deselected" in per_commit and "test_learns_the_pattern" not in per_commit
    assert not (repo / ".harness").exists()
    first_commit_s = time.monotonic() - started

    check_three_nightlies(repo, env)
    # The linter comes with the `workflows` extra, into the environment running this test.
    actionlint = shutil.which("actionlint", path=os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert actionlint, "actionlint is missing: install the `workflows` extra"
    run([actionlint, "-no-color"], repo, env)
    # Two sessions, one torch: uv links both sessions' packages from its cache.
    per_copy_mb, once_mb = disk_use_mb(repo / ".nox")
    assert once_mb < 0.6 * per_copy_mb, (per_copy_mb, once_mb)
    with capsys.disabled():
        print(f"\nadoption: .nox holds {per_copy_mb:.0f} MB counting each session's copy, "
              f"{once_mb:.0f} MB on disk")
        print(f"\nadoption: {lines} hand-written lines in {', '.join(touched)}; first per-commit"
              f" session passed after {first_commit_s / 60:.1f} min; with three nightlies "
              f"{(time.monotonic() - started) / 60:.1f} min (plus {wheel.name}, "
              f"{wheel.stat().st_size / 1e3:.0f} kB, and the adopter's venv)")
