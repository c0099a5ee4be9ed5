"""Where the store lives: option, `HARNESS_STORE`, `[tool.harness] store`, or the default."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_STORE = ".harness/results.db"
STORE_ENV = "HARNESS_STORE"


def project_config(start: Path | None = None) -> dict:
    """The `[tool.harness]` table of the nearest pyproject.toml, or {} when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                with candidate.open("rb") as handle:
                    data = tomllib.load(handle)
            except tomllib.TOMLDecodeError as error:
                raise ValueError(f"{candidate} is not valid TOML: {error}") from error
            table = data.get("tool", {}).get("harness", {})
            if not isinstance(table, dict):
                raise ValueError(f"{candidate}: [tool.harness] must be a table")
            return table
    return {}


def resolve_store_target(explicit: str | None = None) -> str:
    """The store a command should use, in order: explicit, environment, config, default."""
    if explicit:
        return explicit
    from_env = os.environ.get(STORE_ENV, "").strip()
    if from_env:
        return from_env
    configured = project_config().get("store")
    if configured is not None and not isinstance(configured, str):
        raise ValueError("[tool.harness] store must be a string: a path or a SQLAlchemy URL")
    return configured or DEFAULT_STORE


def to_url(target: str) -> str:
    """A SQLAlchemy URL for `target`: URLs pass through, paths become SQLite files."""
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def redact(url: str) -> str:
    """The URL with any password hidden, safe to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable store URL>"
