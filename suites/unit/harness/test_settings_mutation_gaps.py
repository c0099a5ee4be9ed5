"""Settings parsed and resolved exactly: every parser at its bounds, where each value came
from and under which name an error reports it, pyproject lookup, and the CLI options."""

from __future__ import annotations

import argparse
import re

import pytest

from harness.errors import SettingsError
from harness.settings import (
    BY_NAME,
    SETTINGS,
    Setting,
    _choice,
    add_options,
    check_keys,
    find_pyproject,
    options_from,
    read_table,
    resolve,
)


def value(name: str, raw: object) -> object:
    """`raw` as setting `name` parses it from [tool.harness]."""
    return getattr(resolve({}, {}, {BY_NAME[name].key: raw}), name)


def refused(name: str, raw: object) -> str:
    """The message that refuses `raw` for setting `name` in [tool.harness]."""
    with pytest.raises(SettingsError) as caught:
        resolve({}, {}, {BY_NAME[name].key: raw})
    return str(caught.value)


def test_text_is_stripped_and_must_be_a_string():
    assert value("store", "  a.db \n") == "a.db"
    assert refused("store", 3) == "[tool.harness] store must be a string, got 3"


@pytest.mark.parametrize(("raw", "expected"), [(7, 7), (" 12 ", 12), ("-3", -3), (0, 0)])
def test_whole_numbers(raw, expected):
    assert value("seed", raw) == expected
    assert isinstance(value("seed", raw), int)


@pytest.mark.parametrize("raw", [True, False, "1.5", 2.5, "x"])
def test_what_is_no_whole_number(raw):
    assert refused("seed", raw) == f"[tool.harness] seed must be a whole number, got {raw!r}"


def test_counts_start_at_zero():
    assert value("threads", 0) == 0
    assert value("threads", "3") == 3
    assert refused("threads", -1) == "[tool.harness] threads must be 0 or more, got -1"
    assert refused("threads", "x") == "[tool.harness] threads must be a whole number, got 'x'"


@pytest.mark.parametrize(("raw", "expected"), [(2, 2.0), (0.5, 0.5), (" 1.5 ", 1.5),
                                               ("3", 3.0), (1e-9, 1e-9)])
def test_positive_numbers(raw, expected):
    assert value("sheet_timeout", raw) == expected
    assert isinstance(value("sheet_timeout", raw), float)


@pytest.mark.parametrize(("raw", "message"), [
    (0, "must be a positive number, got 0"), (-1.0, "must be a positive number, got -1.0"),
    ("0", "must be a positive number, got '0'"), (True, "must be a positive number, got True"),
    ("soon", "must be a number, got 'soon'"), ([1], "must be a number, got [1]"),
])
def test_what_is_no_positive_number(raw, message):
    assert refused("sheet_timeout", raw) == f"[tool.harness] sheet_timeout {message}"


def test_choices_ignore_case_and_spaces_and_are_listed_when_refused():
    assert value("detect_method", " PELT ") == "pelt"
    assert value("workbook_period", "Quarter") == "quarter"
    assert refused("detect_method", "magic") == (
        "[tool.harness] detect_method must be one of binseg, pelt, got 'magic'")


def test_a_choice_parser_built_at_run_time():
    parse = _choice("month", "none")
    assert parse("period", " Month ") == "month"
    assert parse("period", "NONE") == "none"
    with pytest.raises(SettingsError, match=r"^period must be one of month, none, got 'week'$"):
        parse("period", "week")


def test_paths_from_a_list_or_a_comma_separated_string():
    assert value("lint_paths", ["harness", "suites"]) == ["harness", "suites"]
    assert value("lint_paths", "harness,suites") == ["harness", "suites"]
    assert value("lint_paths", "harness,, ,suites") == ["harness", "suites"]
    assert value("lint_paths", "harness") == ["harness"]
    assert refused("lint_paths", ["harness", 3]) == (
        "[tool.harness] lint_paths must be a list of paths, got ['harness', 3]")
    assert refused("lint_paths", 3) == "[tool.harness] lint_paths must be a list of paths, got 3"


def test_where_a_setting_is_set_names_the_key_else_the_variable_else_the_option():
    assert BY_NAME["seed"].where == "[tool.harness] seed"
    assert BY_NAME["credentials"].where == "HARNESS_SHEET_CREDENTIALS"
    assert Setting("x", "help", cli="--x").where == "--x"
    assert Setting("x", "help").where == "x"


def test_errors_name_the_option_or_the_variable_that_gave_the_value():
    with pytest.raises(SettingsError, match=r"^--store must be a string, got 3$"):
        resolve({"store": 3}, {}, {})
    with pytest.raises(SettingsError, match=r"^seed must be a whole number, got 'x'$"):
        resolve({"seed": "x"}, {}, {})  # no option of its own: named by the setting
    with pytest.raises(SettingsError, match=r"^HARNESS_SEED must be a whole number, got 'x'$"):
        resolve({}, {"HARNESS_SEED": "x"}, {})


def test_blank_options_and_variables_are_not_given():
    settings = resolve({"store": "  ", "seed": None}, {"HARNESS_STORE": "", "HARNESS_SEED": " "},
                       {"store": "p.db", "seed": 9})
    assert (settings.store, settings.source("store")) == ("p.db", "pyproject")
    assert (settings.seed, settings.source("seed")) == (9, "pyproject")
    settings = resolve({"seed": 0}, {}, {"seed": 9})
    assert (settings.seed, settings.source("seed")) == (0, "option")
    settings = resolve({}, {"HARNESS_SHEET_CREDENTIALS": " ",
                            "GOOGLE_APPLICATION_CREDENTIALS": "/k.json"}, {})
    assert settings.source("credentials") == "environment (GOOGLE_APPLICATION_CREDENTIALS)"


def test_the_default_of_every_setting_is_used_when_nothing_is_given():
    settings = resolve({}, {}, {})
    for setting in SETTINGS:
        assert getattr(settings, setting.name) == setting.default
        assert settings.source(setting.name) == "default"
    assert not settings.table


def test_a_key_without_a_pyproject_entry_keeps_the_default_and_secrets_have_no_key():
    settings = resolve({}, {}, {"slack_webhook": "https://hooks"})
    assert settings.slack_webhook == "" and settings.source("slack_webhook") == "default"


def test_the_resolved_table_is_kept_and_settings_can_be_replaced():
    settings = resolve({}, {}, {"seed": 3, "images": {"base": "x"}})
    assert settings.table == {"seed": 3, "images": {"base": "x"}}
    changed = settings.replace(seed=4, store="o.db")
    assert (changed.seed, changed.source("seed")) == (4, "option")
    assert (changed.store, changed.source("store")) == ("o.db", "option")
    assert (changed.device, changed.source("device")) == ("auto", "default")
    assert changed.table == settings.table
    assert (settings.seed, settings.source("seed")) == (3, "pyproject")


def test_an_unknown_setting_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="^no setting named 'colour'$"):
        _ = resolve({}, {}, {}).colour


def test_unknown_keys_are_refused_with_the_known_ones_listed():
    known = sorted({setting.key for setting in SETTINGS if setting.key} | {"images"})
    with pytest.raises(SettingsError) as caught:
        check_keys({"seed": 1, "zzzzzz": 2}, "here.toml")
    assert str(caught.value) == (f"here.toml: unknown key 'zzzzzz' in [tool.harness]; known "
                                 f"keys: {', '.join(known)}")
    with pytest.raises(SettingsError, match=r"^pyproject.toml: unknown key 'stor' in "
                                            r"\[tool.harness\] \(did you mean 'store'\?\)"):
        check_keys({"stor": 1})
    check_keys({"images": {}, "store": "x"})


def test_the_nearest_pyproject_is_found_from_a_start_folder(tmp_path, monkeypatch):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.harness]\nseed = 5\n")
    assert find_pyproject(tmp_path / "a" / "b") == tmp_path / "pyproject.toml"
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.other]\n")
    assert find_pyproject(tmp_path / "a" / "b") == tmp_path / "a" / "pyproject.toml"
    assert read_table(tmp_path / "a" / "b") == {}
    assert read_table(tmp_path) == {"seed": 5}
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert read_table(tmp_path / "a") == {}
    monkeypatch.chdir(tmp_path / "a")
    assert find_pyproject() == tmp_path / "a" / "pyproject.toml"


def test_without_a_pyproject_the_table_is_empty(tmp_path, monkeypatch):
    monkeypatch.setattr("harness.settings.find_pyproject", lambda start=None: None)
    assert read_table(tmp_path) == {}


def test_a_tool_harness_that_is_no_table_is_refused(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool]\nharness = "x"\n')
    with pytest.raises(SettingsError, match=re.escape(
            f"{tmp_path / 'pyproject.toml'}: [tool.harness] must be a table")):
        read_table(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.harness]\nsede = 1\n')
    with pytest.raises(SettingsError, match=re.escape(
            f"{tmp_path / 'pyproject.toml'}: unknown key 'sede'")):
        read_table(tmp_path)


def test_cli_options_default_to_none_and_say_where_else_the_value_comes_from():
    parser = argparse.ArgumentParser()
    add_options(parser, ["store", "credentials", "lint_baseline"])
    args = parser.parse_args(["--store", "x.db"])
    assert options_from(args) == {"store": "x.db", "credentials": None, "lint_baseline": None}
    helps = {action.dest: action.help for action in parser._actions}  # pylint: disable=protected-access
    assert helps["store"] == ("results store: a path (SQLite) or a SQLAlchemy URL (default: "
                              "$HARNESS_STORE, [tool.harness] store, else '.harness/results.db')")
    assert helps["credentials"] == (
        "service-account JSON key file for the spreadsheet (default: "
        "$HARNESS_SHEET_CREDENTIALS, $GOOGLE_APPLICATION_CREDENTIALS, else '')")
    assert helps["lint_baseline"] == ("the lint ratchet's baseline file (default: "
                                      "[tool.harness] lint_baseline, else "
                                      "'.pylint-baseline.json')")
    bare = argparse.ArgumentParser()
    with pytest.raises(AssertionError):
        add_options(bare, ["testbed"])  # a setting without an option


def test_a_setting_without_env_or_key_says_none():
    parser = argparse.ArgumentParser()
    BY_NAME["zz_test"] = Setting("zz_test", "h", "d", cli="--zz")
    try:
        add_options(parser, ["zz_test"])
    finally:
        del BY_NAME["zz_test"]
    (action,) = [a for a in parser._actions if a.dest == "zz_test"]  # pylint: disable=protected-access
    assert action.help == "h (default: none, else 'd')" and action.default is None
