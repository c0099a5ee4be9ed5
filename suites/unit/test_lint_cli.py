"""`harness lint` on a sample legacy module with real pylint runs (kept few: they are slow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs pylint on throwaway projects (CI runs it; see noxfile.py)

pytest.importorskip("pylint", reason="pylint comes with the `lint` extra")

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "lint_legacy"
MODULE = "legacy_metrics.py"


@pytest.fixture(name="legacy")
def legacy_copy(tmp_path) -> Path:
    """The sample module and its committed baseline, copied where we may edit them."""
    for name in (MODULE, "pylint-baseline.json"):
        shutil.copyfile(SAMPLE / name, tmp_path / name)
    return tmp_path


def harness_lint(folder: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run the real CLI in `folder` (no project config there: pylint's defaults apply)."""
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "lint", MODULE, "--baseline",
         "pylint-baseline.json", "--pylint-arg=--jobs=1", *extra],
        cwd=folder, capture_output=True, text=True, check=False, timeout=120,
    )


def edit(folder: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there) in the sample module."""
    path = folder / MODULE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def baseline_counts(folder: Path) -> dict[str, int]:
    """symbol@scope -> count, from the baseline file."""
    data = json.loads((folder / "pylint-baseline.json").read_text())
    return {f"{e['symbol']}@{e['scope']}": e["count"] for e in data["messages"]}


def test_a_new_warning_fails_and_the_baseline_refuses_to_loosen(legacy):
    edit(legacy, '    print("\\n".join(l), file=out)',
         '    l.append("%d scores" % len(l))\n    print("\\n".join(l), file=out)')
    before = (legacy / "pylint-baseline.json").read_text()
    result = harness_lint(legacy, "--update-baseline")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "new: consider-using-f-string in legacy_metrics.py (report): 2 now, 1 allowed" \
        in result.stdout
    assert "legacy_metrics.py:40:" in result.stdout
    assert "baseline not updated" in result.stdout
    assert (legacy / "pylint-baseline.json").read_text() == before


def test_moved_code_with_a_fixed_warning_passes_and_update_tightens_the_baseline(legacy):
    edit(legacy, "import os\n", "\n\n\nimport os\n")  # every line number shifts
    edit(legacy, "f = open(path)", 'f = open(path, encoding="utf-8")')
    assert baseline_counts(legacy)["unspecified-encoding@load_scores"] == 1
    result = harness_lint(legacy, "--update-baseline")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 new, 1 fixed, 0 errors" in result.stdout
    counts = baseline_counts(legacy)
    assert "unspecified-encoding@load_scores" not in counts
    assert counts["consider-using-with@load_scores"] == 1


def test_an_error_fails_even_when_increases_are_allowed(legacy):
    edit(legacy, "    return data\n", "    return data + undefined_name\n")
    result = harness_lint(legacy, "--update-baseline", "--allow-increase")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "E0602 undefined-variable" in result.stdout
    assert not any("undefined-variable" in key for key in baseline_counts(legacy))
