"""Every setting of the harness, defined once: name, options, environment, pyproject key,
default and validation. The CLI, the pytest plugin and nox all read this table.

Precedence: a command-line option, then the environment, then `[tool.harness]` in the
nearest pyproject.toml, then the default. An unknown key in `[tool.harness]` is an error that
names it. Secrets (the Slack webhook) have no pyproject key and are never shown.
This module imports only the standard library, so nox can read it before any install.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import SettingsError

Parse = Callable[[str, object], object]


def _text(name: str, raw: object) -> object:
    if not isinstance(raw, str):
        raise SettingsError(f"{name} must be a string, got {raw!r}")
    return raw.strip()


def _integer(name: str, raw: object) -> object:
    try:
        if isinstance(raw, bool):
            raise ValueError
        return int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _count(name: str, raw: object) -> object:
    value = _integer(name, raw)
    if not isinstance(value, int) or value < 0:
        raise SettingsError(f"{name} must be 0 or more, got {raw!r}")
    return value


def _positive(name: str, raw: object) -> object:
    try:
        value = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if isinstance(raw, bool) or value <= 0:
        raise SettingsError(f"{name} must be a positive number, got {raw!r}")
    return value


def _choice(*choices: str) -> Parse:
    def parse(name: str, raw: object) -> object:
        value = str(raw).strip().lower()
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value
    return parse


def _paths(name: str, raw: object) -> object:
    if isinstance(raw, str):
        return [part for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise SettingsError(f"{name} must be a list of paths, got {raw!r}")
    return list(raw)


@dataclass(frozen=True)
class Setting:  # pylint: disable=too-many-instance-attributes  # the columns of the table
    """One row of the settings table."""

    name: str
    help: str
    default: object = None
    parse: Parse = _text
    env: tuple[str, ...] = ()
    key: str | None = None
    cli: str | None = None
    pytest: str | None = None
    secret: bool = False

    @property
    def where(self) -> str:
        """How a user sets it, for messages: the first of key, environment, option."""
        if self.key:
            return f"[tool.harness] {self.key}"
        return self.env[0] if self.env else self.cli or self.name


SETTINGS: tuple[Setting, ...] = (
    Setting("store", "results store: a path (SQLite) or a SQLAlchemy URL",
            ".harness/results.db", env=("HARNESS_STORE",), key="store", cli="--store",
            pytest="--harness-store"),
    Setting("seed", "base seed of the per-test RNG seeds", 1234, _integer,
            env=("HARNESS_SEED",), key="seed", pytest="--harness-seed"),
    Setting("device", "device of the `device` fixture: auto, cpu, cuda, cuda:N", "auto",
            env=("HARNESS_DEVICE",), key="device", pytest="--harness-device"),
    Setting("threads", "torch threads while `speed` measures (0: torch's default)", 1, _count,
            env=("HARNESS_THREADS",), key="threads", pytest="--harness-threads"),
    Setting("testbed", "the runner's name in the environment fingerprint (default: host name)",
            "", env=("HARNESS_TESTBED",), key="testbed"),
    Setting("image_digest", "digest of the image's dependency layers in the fingerprint "
            "(the whole image's as a fallback)", "",
            env=("HARNESS_DEPS_DIGEST", "HARNESS_IMAGE_DIGEST")),
    Setting("sheet_key", "Google spreadsheet id (none: publish to the local workbook)", "",
            env=("HARNESS_SHEET_KEY",), key="sheet_key", cli="--sheet-key"),
    Setting("credentials", "service-account JSON key file for the spreadsheet", "",
            env=("HARNESS_SHEET_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"),
            cli="--credentials"),
    Setting("workbook", "local .xlsx regression sheet", ".harness/regression-sheet.xlsx",
            env=("HARNESS_WORKBOOK",), key="workbook", cli="--workbook"),
    Setting("workbook_period", "one workbook file per period, the current one at `workbook`: "
            "month, quarter, year, or none (one file for everything)", "month",
            _choice("month", "quarter", "year", "none"), env=("HARNESS_WORKBOOK_PERIOD",),
            key="workbook_period"),
    Setting("sheets_endpoint", "Sheets API base URL (a gateway or a local test server)",
            "https://sheets.googleapis.com", env=("HARNESS_SHEETS_ENDPOINT",),
            key="sheets_endpoint"),
    Setting("sheet_timeout", "seconds before a Sheets request times out", 30.0, _positive,
            env=("HARNESS_SHEET_TIMEOUT",), key="sheet_timeout"),
    Setting("store_timeout", "seconds before connecting to a PostgreSQL store, one of its "
            "statements, or waiting for a locked SQLite store times out", 60.0, _positive,
            env=("HARNESS_STORE_TIMEOUT",), key="store_timeout"),
    Setting("commit_url", "commit page URL template with {sha} (default: from the git remote)",
            "", env=("HARNESS_COMMIT_URL",), key="commit_url"),
    Setting("report_dir", "folder of the nightly's Markdown and HTML reports", ".harness/report",
            env=("HARNESS_REPORT_DIR",), key="report_dir", cli="--report-dir"),
    Setting("detect_method", "change-point engine: binseg (built in) or pelt (ruptures)",
            "binseg", _choice("binseg", "pelt"), env=("HARNESS_DETECT_METHOD",),
            key="detect_method", cli="--method"),
    Setting("slack_webhook", "Slack incoming-webhook URL (a secret: environment only)", "",
            env=("HARNESS_SLACK_WEBHOOK",), secret=True),
    Setting("slack_webhook_file", "file holding the Slack webhook URL", "",
            env=("HARNESS_SLACK_WEBHOOK_FILE",)),
    Setting("lint_paths", "what `harness lint` checks", ["."], _paths, key="lint_paths"),
    Setting("lint_baseline", "the lint ratchet's baseline file", ".pylint-baseline.json",
            key="lint_baseline", cli="--baseline"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}
# Sub-tables that other modules validate themselves (harness.images.config).
TABLES = ("images",)


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml at or above `start` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_table(start: Path | None = None) -> dict[str, Any]:
    """The validated `[tool.harness]` table of the nearest pyproject.toml ({} without one)."""
    path = find_pyproject(start)
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}") from error
    table = data.get("tool", {}).get("harness", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [tool.harness] must be a table")
    check_keys(table, str(path))
    return table


def check_keys(table: Mapping[str, object], where: str = "pyproject.toml") -> None:
    """Refuse unknown keys, naming the closest known one."""
    known = {setting.key for setting in SETTINGS if setting.key} | set(TABLES)
    for key in table:
        if key not in known:
            import difflib  # pylint: disable=import-outside-toplevel  # only on a bad key

            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SettingsError(f"{where}: unknown key '{key}' in [tool.harness]{hint}; known "
                                f"keys: {', '.join(sorted(known))}")


class Settings:
    """Resolved settings: `settings.store`, `settings.seed`, ... and where each came from."""

    def __init__(self, values: dict[str, object], sources: dict[str, str],
                 table: Mapping[str, Any]) -> None:
        self._values = values
        self._sources = sources
        self.table = dict(table)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(f"no setting named {name!r}") from None

    def source(self, name: str) -> str:
        """'option', 'environment (NAME)', 'pyproject' or 'default'."""
        return self._sources[name]

    def replace(self, **values: object) -> Settings:
        """A copy with some values set (as if given as options)."""
        merged = {**self._values, **values}
        sources = {**self._sources, **{name: "option" for name in values}}
        return Settings(merged, sources, self.table)


def _given(raw: object) -> bool:
    return raw is not None and not (isinstance(raw, str) and not raw.strip())


def resolve(options: Mapping[str, object] | None = None,
            environ: Mapping[str, str] | None = None,
            table: Mapping[str, Any] | None = None) -> Settings:
    """Resolve every setting: option, environment, `[tool.harness]`, default."""
    options = options or {}
    environ = os.environ if environ is None else environ
    table = read_table() if table is None else table
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        raw, source, label = None, "default", setting.where
        if _given(options.get(setting.name)):
            raw, source, label = options[setting.name], "option", setting.cli or setting.name
        else:
            for variable in setting.env:
                if _given(environ.get(variable)):
                    raw, source, label = environ[variable], f"environment ({variable})", variable
                    break
            else:
                if setting.key and setting.key in table:
                    raw, source = table[setting.key], "pyproject"
        values[setting.name] = setting.default if raw is None else setting.parse(label, raw)
        sources[setting.name] = source
    return Settings(values, sources, table)


def add_options(parser, names: tuple[str, ...] | list[str]) -> None:
    """Add the CLI options of the named settings to an argparse parser (default None, so
    the environment and pyproject still apply when an option is not given)."""
    for name in names:
        setting = BY_NAME[name]
        assert setting.cli, name
        sources = ", ".join([*(f"${var}" for var in setting.env),
                             *([f"[tool.harness] {setting.key}"] if setting.key else [])])
        parser.add_argument(setting.cli, dest=name, default=None,
                            help=f"{setting.help} (default: {sources or 'none'}, else "
                                 f"{setting.default!r})")


def options_from(namespace: object) -> dict[str, object]:
    """The settings given on a command line (an argparse Namespace)."""
    return {name: getattr(namespace, name) for name in BY_NAME if hasattr(namespace, name)}
