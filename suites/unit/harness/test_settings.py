"""The settings table: one definition per setting, precedence, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import SettingsError
from harness.settings import SETTINGS, check_keys, read_table, resolve

README = Path(__file__).resolve().parents[3] / "README.md"


def test_precedence_is_option_environment_pyproject_default():
    table = {"store": "from-pyproject.db", "seed": 7}
    environ = {"HARNESS_STORE": "from-env.db"}
    settings = resolve({"store": "from-option.db"}, environ, table)
    assert (settings.store, settings.source("store")) == ("from-option.db", "option")
    settings = resolve({}, environ, table)
    assert (settings.store, settings.source("store")) == ("from-env.db",
                                                         "environment (HARNESS_STORE)")
    settings = resolve({}, {}, table)
    assert (settings.store, settings.seed, settings.source("seed")) == (
        "from-pyproject.db", 7, "pyproject")
    settings = resolve({}, {}, {})
    assert (settings.store, settings.seed, settings.source("seed")) == (
        ".harness/results.db", 1234, "default")


def test_the_second_environment_variable_is_a_fallback():
    settings = resolve({}, {"GOOGLE_APPLICATION_CREDENTIALS": "/k.json"}, {})
    assert settings.credentials == "/k.json"
    settings = resolve({}, {"HARNESS_SHEET_CREDENTIALS": "/a.json",
                            "GOOGLE_APPLICATION_CREDENTIALS": "/k.json"}, {})
    assert settings.credentials == "/a.json"


@pytest.mark.parametrize(("table", "message"), [
    ({"sede": 1}, "unknown key 'sede' in [tool.harness] (did you mean 'seed'?)"),
    ({"seed": "many"}, "[tool.harness] seed must be a whole number"),
    ({"sheet_timeout": 0}, "[tool.harness] sheet_timeout must be a positive number"),
    ({"detect_method": "magic"}, "must be one of binseg, pelt"),
    ({"store": 3}, "[tool.harness] store must be a string"),
])
def test_bad_pyproject_values_name_the_key(table, message):
    with pytest.raises(SettingsError) as caught:
        check_keys(table)
        resolve({}, {}, table)
    assert message in str(caught.value)


def test_bad_environment_values_name_the_variable():
    with pytest.raises(SettingsError, match="HARNESS_SHEET_TIMEOUT must be a positive number"):
        resolve({}, {"HARNESS_SHEET_TIMEOUT": "-1"}, {})


def test_pyproject_is_found_upwards_and_checked(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.harness]\nseed = 5\n[tool.harness.images]\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert read_table()["seed"] == 5
    (tmp_path / "pyproject.toml").write_text("[tool.harness\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        read_table()


def test_every_setting_is_documented_in_the_readme():
    text = README.read_text(encoding="utf-8")
    for setting in SETTINGS:
        for name in (*setting.env, *([f"`{setting.key}`"] if setting.key else [])):
            assert name in text, f"{setting.name}: {name} is not in the README"
