"""Policies of the GitHub workflows that actionlint cannot know: who may run them, with what."""

from __future__ import annotations

from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML comes with the `test` extra")

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
UPSTREAM_MAIN_ONLY = ("github.event.repository.fork == false", "github.ref == 'refs/heads/main'")


def load(name: str) -> dict:
    """A workflow as data (PyYAML reads the `on:` key as True)."""
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))
    return data


def run_scripts(workflow: dict) -> list[str]:
    """Every `run:` script of every job."""
    return [step["run"] for job in workflow["jobs"].values()
            for step in job.get("steps", []) if "run" in step]


@pytest.mark.parametrize("name", ["ci.yml", "nightly.yml", "harness-nightly.yml", "images.yml"])
def test_every_job_has_a_time_limit_and_runs_are_grouped(name):
    workflow = load(name)
    if "workflow_call" not in workflow["on"]:  # a reusable workflow runs in its caller's group
        assert workflow["concurrency"]["group"]
    assert workflow["permissions"]["contents"] == "read"
    for job_name, job in workflow["jobs"].items():
        if "uses" not in job:  # a job calling a reusable workflow takes its jobs' limits
            assert job.get("timeout-minutes"), f"{name}: job {job_name} has no timeout-minutes"


@pytest.mark.parametrize("name", ["ci.yml", "nightly.yml", "harness-nightly.yml", "images.yml"])
def test_secrets_reach_scripts_only_through_the_environment(name):
    for script in run_scripts(load(name)):
        assert "secrets." not in script, "a secret expanded into a script can leak into logs"
        assert "set -x" not in script


def test_ci_runs_lint_and_unit_and_cancels_superseded_runs():
    workflow = load("ci.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    scripts = "\n".join(run_scripts(workflow))
    for session in ("nox -s lint", "nox -s unit", "nox -s services"):
        assert session in scripts
    assert len(workflow["jobs"]["unit"]["strategy"]["matrix"]["python"]) > 1


def test_nightly_runs_only_on_upstream_main():
    workflow = load("nightly.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    call = workflow["jobs"]["nightly"]
    assert call["uses"] == "./.github/workflows/harness-nightly.yml"
    assert call["with"]["branch"] == "main" and call["with"]["session"] == "integration"
    assert "HARNESS_PROFILE=gpu" in call["with"]["env"].splitlines()
    reusable = load("harness-nightly.yml")
    assert set(reusable["on"]) == {"workflow_call"}
    guard = reusable["jobs"]["plan"]["if"]
    assert "github.event.repository.fork == false" in guard
    assert "format('refs/heads/{0}', inputs.branch || github.event.repository.default_branch)" \
        in guard
    assert reusable["jobs"]["integration"]["needs"] == "plan"


def test_nightly_gpu_kinds_are_configurable_and_secrets_are_private_files():
    kinds = load("nightly.yml")["jobs"]["nightly"]["with"]["gpu_kinds"]
    assert "inputs.gpu_kinds" in kinds and "vars.HARNESS_GPU_KINDS" in kinds
    workflow = load("harness-nightly.yml")
    integration = workflow["jobs"]["integration"]
    assert integration["runs-on"] == "${{ matrix.kind.labels }}"
    assert workflow["jobs"]["plan"]["steps"][0]["env"]["KINDS"] == "${{ inputs.gpu_kinds }}"
    writing = next(step for step in integration["steps"]
                   if step.get("name") == "Write secrets to private files")
    assert writing["run"].lstrip().startswith("umask 077")
    last = integration["steps"][-1]
    assert last["if"] == "always()" and "rm -rf" in last["run"]
    names = [step.get("name", "") for step in integration["steps"]]
    assert "Upload the report" in names and "Job summary (when the check did not run)" in names


def test_without_a_shared_store_the_sqlite_file_is_carried_in_the_cache():
    steps = load("harness-nightly.yml")["jobs"]["integration"]["steps"]
    names = [step.get("name", "") for step in steps]
    restore = steps[names.index("Restore the SQLite store (no shared store configured)")]
    save = steps[names.index("Save the SQLite store")]
    nightly = names.index("The nightly (integration tests, show, check, publish)")
    assert names.index(restore["name"]) < nightly < names.index(save["name"])
    for step in (restore, save):
        assert step["uses"].startswith("actions/cache/")
        assert step["with"]["path"] == ".harness/results.db"
        assert "steps.store.outputs.kind == 'sqlite'" in step["if"]
    assert restore["with"]["restore-keys"] == "harness-store-${{ matrix.kind.name }}-"
    assert save["with"]["key"] == restore["with"]["key"]


def test_the_workflow_harness_init_writes_calls_the_reusable_one_as_declared(tmp_path):
    # pylint: disable-next=import-outside-toplevel
    from harness.adopt import Options, WORKFLOW_PATH, plan, workflow_uses

    options = Options(branch="master", workflow=workflow_uses("my-org/harness@v0.1.0"))
    text = next(c.text for c in plan(tmp_path, options) if c.path == WORKFLOW_PATH)
    caller = yaml.safe_load(text)
    call = caller["jobs"]["nightly"]
    assert call["uses"].split("@")[0].endswith("/.github/workflows/harness-nightly.yml")
    declared = load("harness-nightly.yml")["on"]["workflow_call"]
    assert call["with"]["branch"] == "master"
    assert set(call["with"]) <= set(declared["inputs"])
    assert set(call["secrets"]) == set(declared["secrets"])


def test_images_push_only_from_main_and_tags():
    workflow = load("images.yml")
    assert workflow["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    push = next(s for s in workflow["jobs"]["images"]["steps"]
                if s.get("name") == "Push base and debug images")
    assert "github.event_name != 'pull_request'" in push["if"]
    assert "github.event.repository.fork == false" in push["if"]
