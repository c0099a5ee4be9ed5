"""The recorder's configs: written under the run and test they belong to, never when
recording is off."""

from __future__ import annotations

from harness.store import Store

from .test_recorder import fixture_repo, recorder_in  # noqa: F401  # pylint: disable=unused-import


def test_a_config_is_stored_under_its_run_and_test(repo):
    recorder = recorder_in(repo)
    recorder.write_config("t::case0", {"lr": 0.1, "epochs": 2})
    recorder.close()
    stored = Store.open(str(repo.parent / "results.db"), create=False)
    assert stored.configs("run-1") == {"t::case0": {"lr": 0.1, "epochs": 2}}
    assert stored.get_run("run-1") is not None


def test_a_disabled_recorder_stores_no_config(repo):
    recorder = recorder_in(repo, enabled=False)
    recorder.write_config("t::case0", {"lr": 0.1})
    assert recorder.run is None
    assert not (repo.parent / "results.db").exists()
