"""Where the store lives: the `store` setting (option, `HARNESS_STORE`, `[tool.harness]
store`, default; see harness.settings), as a SQLAlchemy URL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from harness.settings import BY_NAME, resolve

DEFAULT_STORE = str(BY_NAME["store"].default)
STORE_ENV = BY_NAME["store"].env[0]


def resolve_store_target(explicit: str | None = None) -> str:
    """The store a command should use, in order: explicit, environment, config, default."""
    return str(resolve({"store": explicit}).store)


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
