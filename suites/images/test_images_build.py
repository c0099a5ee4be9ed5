"""The base and debug images, built for real: layers, labels, budgets, smoke tests, secrets."""

from __future__ import annotations

import subprocess

import pytest
from rich.console import Console

from harness.images.budgets import Measured, check
from harness.images.config import Budgets
from harness.images.render import budget_table
from harness.images.smoke import UNIT_SUITE


def layers(client, ref):
    """The diff ids of an image's layers, bottom first."""
    return client.images.get(ref).attrs["RootFS"]["Layers"]


def test_base_is_runtime_plus_two_small_code_layers(client, built):
    """Base is runtime plus two small code layers."""
    runtime, base = layers(client, built.refs["runtime"]), layers(client, built.refs["base"])
    assert base[: len(runtime)] == runtime
    assert len(base) == len(runtime) + 2


def code_checksums(client, ref):
    """sha256 of every code file in an image (/opt/project and /app)."""
    output = client.containers.run(
        ref, ["sh", "-c", "cd / && find opt/project app -type f | sort | xargs sha256sum"],
        network_mode="none", remove=True)
    return output.decode()


def test_debug_is_built_from_the_exact_base(client, built):
    """Tool layers sit on the base's code-free stage; the code is the base's, file for file."""
    runtime, base = layers(client, built.refs["runtime"]), layers(client, built.refs["base"])
    debug = layers(client, built.refs["debug"])
    assert debug[: len(runtime)] == runtime
    assert len(debug) == len(base) + 2
    checksums = code_checksums(client, built.refs["base"])
    assert "opt/project/harness/__init__.py" in checksums
    assert code_checksums(client, built.refs["debug"]) == checksums


def test_oci_labels_name_the_commit(client, project, built):
    """Oci labels name the commit."""
    commit = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    for name in ("base", "debug"):
        labels = client.images.get(built.refs[name]).labels
        assert labels["org.opencontainers.image.revision"] == commit
        assert labels["org.opencontainers.image.created"].endswith("Z")
        assert labels["org.opencontainers.image.version"]
        assert "org.opencontainers.image.source" in labels
        assert labels["io.harness.torch-flavour"] == "cpu"


def test_images_run_as_a_non_root_user(client, built):
    """Images run as a non root user."""
    for name in ("base", "debug"):
        assert client.images.get(built.refs[name]).attrs["Config"]["User"] == "10001:10001"


def test_budgets_hold(checked):
    """Budgets hold."""
    assert checked.verdicts, "no budgets configured for the cpu flavour"
    over = [v for v in checked.verdicts if not v.ok]
    assert not over, over


def test_base_is_within_five_percent_of_its_floor(checked):
    """Base is within five percent of its floor."""
    assert checked.floor.os_layer < 80e6, "the local OS base is not trimmed like slim"
    assert checked.reports["base"].size <= 1.05 * checked.floor.total


def test_over_budget_fails_with_the_table_that_shows_why(checked):
    """Over budget fails with the table that shows why."""
    base = checked.reports["base"]
    verdicts = check(Measured(base.size, None, base.wasted_bytes, checked.floor.total),
                     Budgets(base=base.size - 1, wasted=base.wasted_bytes))
    assert [v.ok for v in verdicts] == [False, True]
    console = Console(record=True, width=120)
    console.print(budget_table(verdicts))
    text = console.export_text()
    assert "OVER BUDGET" in text and "base image size" in text


def test_inspect_reports_layers_paths_and_base(checked, built, config):
    """Inspect reports layers paths and base."""
    base = checked.reports["base"]
    assert base.base_ref == config.os_base and base.base_id.startswith("sha256:")
    assert base.layers[0].instruction and sum(r.size for r in base.layers) > 0.9 * base.size
    assert any("/opt/venv" in row.instruction for row in base.layers)
    assert base.largest[0][0].endswith("site-packages/torch")
    debug = checked.reports["debug"]
    assert debug.base_id == checked.reports["base"].image_id
    assert debug.size - base.size <= 250e6
    assert built.refs["debug"] == debug.ref


def test_no_secrets_in_either_image(checked):
    """No secrets in either image."""
    for report in checked.reports.values():
        assert not report.findings, report.findings


@pytest.mark.parametrize("image", ["base", "debug"])
def test_smoke_tests_pass_with_networking_off(checked, built, image):
    """Smoke tests pass with networking off."""
    results = [r for r in checked.smoke if r.image == built.refs[image]]
    names = {r.name for r in results}
    assert {"runs as a non-root user", "imports torch and harness", "has no network"} <= names
    if image == "debug":
        assert {"vim runs", "ipython runs", "py-spy samples a process"} <= names
    failed = [(r.name, r.output) for r in results if not r.ok]
    assert not failed, failed


def test_the_unit_suite_runs_in_the_images(checked, project):
    """The unit suite runs in the images."""
    if not (project / "suites" / "unit").is_dir():
        pytest.fail("the project has no suites/unit to run inside the image")
    runs = [r for r in checked.smoke if r.name == UNIT_SUITE[0]]
    assert len(runs) == 2 and all(r.ok for r in runs), [r.output for r in runs]
