"""A one-line code change rebuilds only the code layers, in both images."""

from __future__ import annotations

import uuid

from harness.images.pipeline import BuildOptions, build_images

CODE_STEPS = ("COPY . /tmp/src/", "/opt/project", "/app/")


def test_code_change_reuses_every_dependency_layer(client, config, built, make_project,
                                                    tmp_path):
    """Runtime stage identical; base and debug rerun only their code steps."""
    project = make_project(tmp_path / "changed")
    module = project / "harness" / "__init__.py"
    # Unique each run: the same change made in an earlier session would be a cache hit.
    module.write_text(module.read_text("utf-8") + f"# a one-line change {uuid.uuid4()}\n",
                      "utf-8")
    again = build_images(client, project, config, BuildOptions(tag="pytest-changed"))
    try:
        assert again.runtime.image_id == built.runtime.image_id
        assert not again.runtime.rebuilt
        for result in (again.base, again.debug):
            dependency_steps = [s.text for s in result.rebuilt
                                if not any(marker in s.text for marker in CODE_STEPS)]
            assert not dependency_steps, dependency_steps
            assert result.rebuilt, "the code change did not reach the image"
        changed = client.images.get(again.refs["base"]).attrs["RootFS"]["Layers"]
        before = client.images.get(built.refs["base"]).attrs["RootFS"]["Layers"]
        assert changed[:-2] == before[:-2] and changed[-2] != before[-2]
    finally:
        for ref in again.refs.values():
            client.images.remove(ref, force=True, noprune=True)
