"""Schema migrations: upgrade an existing store in place, one version at a time.

Each migration runs in its own transaction under a store-wide lock (an advisory lock on
PostgreSQL, the write lock on SQLite), and re-reads the version after taking the lock, so
two processes opening an old store at once upgrade it exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, inspect, select, text, update

from harness.store import schema

# Any constant works; it only has to be the same in every harness process ("harness" in ASCII).
_ADVISORY_LOCK_KEY = 0x68617272_6E657373 & 0x7FFFFFFFFFFFFFFF

# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE (see store.py).
SQLITE_WRITE_LOCK = "harness_sqlite_write_lock"


@dataclass(frozen=True)
class Migration:
    """Upgrade a store from `version - 1` to `version`."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _add_series_index(conn: Connection) -> None:
    """History, detection and the sheet read one (test, metric) series at a time; the v1
    unique key starts with run_id, so those reads scanned every measurement."""
    conn.execute(text(
        "CREATE INDEX IF NOT EXISTS ix_measurements_series ON measurements (test, metric)"
    ))


def _add_verdicts(conn: Connection) -> None:
    """Verdicts become records with a lifecycle and triage; targets remember what they show."""
    schema.metadata.create_all(conn, tables=[schema.verdicts, schema.published_marks])


def _add_details_and_configs(conn: Connection) -> None:
    """Measurements carry their evidence (noise, rounds, per-sample correctness); tests record
    the configuration they ran with."""
    conn.execute(text("ALTER TABLE measurements ADD COLUMN details TEXT"))
    schema.metadata.create_all(conn, tables=[schema.test_configs])


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "index measurements by (test, metric) for history reads", _add_series_index),
    Migration(3, "verdicts with lifecycle and triage; published marks", _add_verdicts),
    Migration(4, "measurement details; test configurations", _add_details_and_configs),
)


class MigrationError(RuntimeError):
    """The store's schema cannot be used or upgraded by this harness."""


def _check_chain() -> None:
    versions = [m.version for m in MIGRATIONS]
    expected = list(range(2, schema.SCHEMA_VERSION + 1))
    if versions != expected:  # a programming error, caught by the unit tests
        raise AssertionError(f"migrations {versions} do not lead to {schema.SCHEMA_VERSION}")


def locked(conn: Connection) -> None:
    """Take the store-wide lock for the current transaction (SQLite: BEGIN IMMEDIATE did)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})


def _read_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table(schema.meta.name):
        return None
    value = conn.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).scalar_one_or_none()
    return None if value is None else int(value)


def _write_version(conn: Connection, version: int) -> None:
    conn.execute(
        update(schema.meta).where(schema.meta.c.key == "schema_version").values(value=str(version))
    )


def prepare(engine: Engine, *, create: bool) -> list[Migration]:
    """Create the schema on an empty store, or upgrade an old one; return what was applied.

    Raises MigrationError for a database that is not a harness store (and `create` is False)
    or that a newer harness has upgraded past what this one understands.
    """
    _check_chain()
    with engine.connect() as conn:
        conn = conn.execution_options(**{SQLITE_WRITE_LOCK: True})
        with conn.begin():
            locked(conn)
            version = _read_version(conn)
            if version is None:
                if not create or inspect(conn).has_table(schema.runs.name):
                    raise MigrationError("not a harness results store (no schema version)")
                schema.metadata.create_all(conn)
                conn.execute(schema.meta.insert().values(
                    key="schema_version", value=str(schema.SCHEMA_VERSION)
                ))
                return []
    if version > schema.SCHEMA_VERSION:
        raise MigrationError(
            f"schema version {version} is newer than this harness understands "
            f"({schema.SCHEMA_VERSION}): upgrade harness"
        )
    return [step for step in MIGRATIONS if step.version > version and _apply(engine, step)]


def _apply(engine: Engine, step: Migration) -> bool:
    """Run one migration in its own locked transaction; False when another process did it."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{SQLITE_WRITE_LOCK: True})
        with conn.begin():
            locked(conn)
            if (_read_version(conn) or 0) >= step.version:
                return False
            step.apply(conn)
            _write_version(conn, step.version)
    return True
