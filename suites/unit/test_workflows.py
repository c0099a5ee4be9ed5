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


@pytest.mark.parametrize("name", ["ci.yml", "nightly.yml", "images.yml"])
def test_every_job_has_a_time_limit_and_runs_are_grouped(name):
    workflow = load(name)
    assert workflow["concurrency"]["group"]
    assert workflow["permissions"]["contents"] == "read"
    for job_name, job in workflow["jobs"].items():
        assert job.get("timeout-minutes"), f"{name}: job {job_name} has no timeout-minutes"


@pytest.mark.parametrize("name", ["ci.yml", "nightly.yml", "images.yml"])
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
    for job_name, job in workflow["jobs"].items():
        for clause in UPSTREAM_MAIN_ONLY:
            assert clause in job["if"], f"nightly job {job_name} lacks `{clause}`"
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_nightly_gpu_kinds_are_configurable_and_secrets_are_private_files():
    workflow = load("nightly.yml")
    integration = workflow["jobs"]["integration"]
    assert integration["runs-on"] == "${{ matrix.kind.labels }}"
    plan_env = workflow["jobs"]["plan"]["steps"][0]["env"]
    assert plan_env["FROM_INPUT"] == "${{ inputs.gpu_kinds }}"
    assert plan_env["FROM_VARIABLE"] == "${{ vars.HARNESS_GPU_KINDS }}"
    writing = next(step for step in integration["steps"]
                   if step.get("name") == "Write secrets to private files")
    assert writing["run"].lstrip().startswith("umask 077")
    last = integration["steps"][-1]
    assert last["if"] == "always()" and "rm -rf" in last["run"]
    names = [step.get("name", "") for step in integration["steps"]]
    assert "Upload the report" in names and "Job summary (when the check did not run)" in names
    nightly = next(step for step in integration["steps"]
                   if step.get("run", "").strip() == "nox -s integration")
    assert nightly["env"]["HARNESS_PROFILE"] == "gpu"


def test_images_push_only_from_main_and_tags():
    workflow = load("images.yml")
    assert workflow["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    push = next(s for s in workflow["jobs"]["images"]["steps"]
                if s.get("name") == "Push base and debug images")
    assert "github.event_name != 'pull_request'" in push["if"]
    assert "github.event.repository.fork == false" in push["if"]
