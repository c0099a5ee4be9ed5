"""The results store: runs and measurements in any SQLAlchemy database (SQLite by default).

Writes are idempotent: a measurement is keyed by (run, test, metric) and a publication by
(run, target), so a retry after a crash or a second writer never duplicates a row.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, case, create_engine, event, func, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from harness.records import (
    Environment,
    GitInfo,
    Measurement,
    MeasurementStatus,
    Run,
    RunStatus,
    StoredVerdict,
    Triage,
    utc_now,
)
from harness.store import migrate, schema, verdict_rows
from harness.settings import BY_NAME, resolve
from harness.store.locate import redact, to_url

_WAL_RETRY_S = 0.02  # between tries to switch a locked file to WAL
DEFAULT_TIMEOUT_S = float(BY_NAME["store_timeout"].default)  # type: ignore[arg-type]


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


def _as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every record carries UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _switch_to_wal(cursor, timeout_s: float) -> None:
    """Put the file in WAL mode, waiting up to `timeout_s` for other processes' locks.

    SQLite answers this pragma "database is locked" at once, without its busy wait, while
    another connection writes to a file still in rollback mode (several processes opening a
    brand-new store at the same moment), so the wait is done here.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_S)


def _sqlite_pragmas(timeout_s: float):
    """WAL lets readers and one writer overlap; busy_timeout makes writers wait, not fail.

    The driver's own implicit transactions are switched off so that `_sqlite_begin` decides
    how each transaction starts (SQLAlchemy's documented recipe for pysqlite).
    """
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        _switch_to_wal(cursor, timeout_s)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.isolation_level = None
    return on_connect


def _connect_args(url: str, timeout_s: float) -> dict:
    """PostgreSQL: give up connecting, and cancel any statement, after `timeout_s`."""
    if not url.startswith(("postgresql", "postgres")):
        return {}
    return {"connect_timeout": max(2, round(timeout_s)),
            "options": f"-c statement_timeout={int(timeout_s * 1000)}"}


def _sqlite_begin(conn) -> None:
    """Schema changes take the write lock up front (BEGIN IMMEDIATE): a deferred transaction
    that read first could not upgrade to a writer under WAL while another process writes."""
    immediate = conn.get_execution_options().get(migrate.SQLITE_WRITE_LOCK)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _insert(engine: Engine, table):
    """A dialect insert that supports ON CONFLICT (SQLite and PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    if engine.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"unsupported database '{engine.dialect.name}': use SQLite or PostgreSQL")


class Store:  # pylint: disable=too-many-public-methods  # one face over every table
    """Runs and their measurements, persisted as they arrive."""

    def __init__(self, url: str, *, create: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S
                 ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        if url.startswith("sqlite:///") and create:
            folder = Path(url.removeprefix("sqlite:///")).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create the store's folder {folder}: "
                                 f"{error.strerror or error}; point HARNESS_STORE at a "
                                 "writable path") from None
        try:
            self.engine = create_engine(url, future=True, pool_pre_ping=True,
                                        connect_args=_connect_args(url, timeout_s))
        except (ArgumentError, ImportError) as error:
            raise StoreError(f"cannot open store {redact(url)}: {error}") from error
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas(timeout_s))
            event.listen(self.engine, "begin", _sqlite_begin)
        self.migrations_applied = self._prepare(create)

    @classmethod
    def open(cls, target: str | None = None, *, create: bool = True) -> Store:
        """Open the store named by `target`, `HARNESS_STORE`, the config, or the default.

        With `create=False` a missing SQLite file is an error instead of a new empty store.
        """
        settings = resolve({"store": target})
        url = to_url(str(settings.store))
        if not create and url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists():
                raise StoreError(
                    f"no results store at {path}: run the suites first "
                    "(`nox -s integration`), or point HARNESS_STORE at an existing store"
                )
        return cls(url, create=create, timeout_s=float(settings.store_timeout))

    def _prepare(self, create: bool) -> list[migrate.Migration]:
        """Create the schema on a new store, upgrade an old one in place, refuse a newer one."""
        try:
            return migrate.prepare(self.engine, create=create)
        except migrate.MigrationError as error:
            raise StoreError(f"store {redact(self.url)}: {error}") from error
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            waited = "timeout" in reason.lower() or "locked" in reason
            hint = (f" (after {self.timeout_s:g} s, the store_timeout setting: "
                    "HARNESS_STORE_TIMEOUT)" if waited else "")
            raise StoreError(f"cannot use store {redact(self.url)}: {reason}{hint}") from error

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the store."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
                ).scalar_one()
            )

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    # -- writing -----------------------------------------------------------------------------

    def begin_run(self, run: Run) -> None:
        """Insert the run (idempotent: beginning the same run twice changes nothing)."""
        values = {
            "run_id": run.run_id,
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "status": run.status.value,
            "commit_sha": run.git.commit,
            "branch": run.git.branch,
            "subject": run.git.subject,
            "commit_time": run.git.commit_time,
            "dirty": run.git.dirty,
            "env_fingerprint": run.env.fingerprint,
            "env": run.env.to_json(),
        }
        stmt = _insert(self.engine, schema.runs).values(**values).on_conflict_do_nothing()
        self._write(lambda conn: conn.execute(stmt))

    def finish_run(self, run_id: str, status: RunStatus, ended_at: datetime | None = None) -> bool:
        """Mark the run ended with `status`; False when the store has no such run."""
        stmt = (
            update(schema.runs)
            .where(schema.runs.c.run_id == run_id)
            .values(status=status.value, ended_at=ended_at or utc_now())
        )
        changed = []
        self._write(lambda conn: changed.append(conn.execute(stmt).rowcount))
        return bool(changed and changed[0])

    def record(self, items: Iterable[Measurement]) -> int:
        """Write measurements in one transaction; a repeated key keeps the latest value."""
        rows = [
            {
                "run_id": m.run_id,
                "test": m.test,
                "metric": m.metric,
                "value": m.value,
                "unit": m.unit,
                "higher_is_better": m.higher_is_better,
                "status": m.status.value,
                "recorded_at": m.recorded_at,
                "details": json.dumps(m.details, sort_keys=True) if m.details else None,
            }
            for m in items
        ]
        if not rows:
            return 0
        stmt = _insert(self.engine, schema.measurements)
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "test", "metric"],
            set_={
                name: stmt.excluded[name]
                for name in ("value", "unit", "higher_is_better", "status", "recorded_at",
                             "details")
            },
        )
        self._write(lambda conn: conn.execute(stmt, rows))
        return len(rows)

    def record_config(self, run_id: str, test: str, config: Mapping[str, Any]) -> None:
        """Remember what `test` ran with in `run_id` (JSON-able); a repeat replaces it."""
        stmt = _insert(self.engine, schema.test_configs).values(
            run_id=run_id, test=test, config=json.dumps(config, sort_keys=True, default=str),
            recorded_at=utc_now(),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "test"],
            set_={"config": stmt.excluded.config, "recorded_at": stmt.excluded.recorded_at},
        )
        self._write(lambda conn: conn.execute(stmt))

    def configs(self, run_id: str) -> dict[str, dict[str, Any]]:
        """The configuration each test of `run_id` recorded, by test id."""
        table = schema.test_configs
        stmt = select(table.c.test, table.c.config).where(table.c.run_id == run_id)
        with self.engine.connect() as conn:
            return {row.test: json.loads(row.config) for row in conn.execute(stmt)}

    def mark_published(self, run_id: str, target: str) -> None:
        """Remember that `run_id` has been published to `target` (a sheet key, a path)."""
        stmt = (
            _insert(self.engine, schema.publications)
            .values(run_id=run_id, target=target, published_at=utc_now())
            .on_conflict_do_nothing()
        )
        self._write(lambda conn: conn.execute(stmt))

    def _write(self, action, *, locked: bool = False) -> None:
        """Run `action(conn)` in one transaction; `locked` takes the store-wide write lock
        first (read-modify-write of verdicts by several runners at once)."""
        try:
            with self.engine.connect() as conn:
                if locked:
                    conn = conn.execution_options(**{migrate.SQLITE_WRITE_LOCK: True})
                with conn.begin():
                    if locked:
                        migrate.locked(conn)
                    action(conn)
        except SQLAlchemyError as error:
            raise StoreError(f"writing to store {redact(self.url)} failed: {error}") from error

    # -- verdicts ----------------------------------------------------------------------------

    def update_verdicts(
        self, change: Callable[[list[StoredVerdict]], Sequence[StoredVerdict]]
    ) -> list[StoredVerdict]:
        """Read every stored verdict, let `change` say which to insert or replace, and write
        those, all under the store-wide lock: two runners checking at once never lose or
        duplicate a transition. Returns what `change` returned."""
        written: list[StoredVerdict] = []

        def action(conn) -> None:
            stored = [verdict_rows.from_row(row) for row in conn.execute(
                select(schema.verdicts).order_by(schema.verdicts.c.first_seen_at))]
            written.extend(change(stored))
            if written:
                stmt = _insert(self.engine, schema.verdicts)
                columns = [c.name for c in schema.verdicts.c if c.name != "key"]
                # Triage belongs to people: a detection pass never overwrites it.
                kept = {"triage_state", "triage_note", "triage_fixed_by", "triage_expires_at",
                        "triaged_at"}
                stmt = stmt.on_conflict_do_update(
                    index_elements=["key"],
                    set_={name: stmt.excluded[name] for name in columns if name not in kept},
                )
                conn.execute(stmt, [verdict_rows.to_row(item) for item in written])

        self._write(action, locked=True)
        return written

    def verdicts(self, *, open_only: bool = False) -> list[StoredVerdict]:
        """Stored verdicts, oldest first (only unconfirmed and confirmed with `open_only`)."""
        table = schema.verdicts
        stmt = select(table).order_by(table.c.first_seen_at, table.c.key)
        if open_only:
            stmt = stmt.where(table.c.state != "retracted")
        with self.engine.connect() as conn:
            return [verdict_rows.from_row(row) for row in conn.execute(stmt)]

    def set_triage(self, keys: Iterable[str], triage: Triage | None) -> int:
        """Set (or with None clear) the triage of the verdicts with these keys; how many."""
        wanted = sorted(set(keys))
        if not wanted:
            return 0
        stmt = (update(schema.verdicts).where(schema.verdicts.c.key.in_(wanted))
                .values(**verdict_rows.triage_columns(triage)))
        changed: list[int] = []
        self._write(lambda conn: changed.append(conn.execute(stmt).rowcount))
        return changed[0] if changed else 0

    def mark_alerted(self, states: Mapping[str, str]) -> None:
        """Remember the state each verdict (by key) was last alerted in."""
        table = schema.verdicts

        def action(conn) -> None:
            for key, state in states.items():
                conn.execute(update(table).where(table.c.key == key).values(alerted_state=state))

        if states:
            self._write(action)

    def published_marks(self, target: str) -> dict[str, str]:
        """{item: digest} of what `target` shows of the verdicts (see publish.view)."""
        table = schema.published_marks
        stmt = select(table.c.item, table.c.digest).where(table.c.target == target)
        with self.engine.connect() as conn:
            return {row.item: row.digest for row in conn.execute(stmt)}

    def set_published_marks(self, target: str, marks: Mapping[str, str | None]) -> None:
        """Record what `target` now shows; a None digest forgets the item."""
        table = schema.published_marks
        kept = [{"target": target, "item": item, "digest": digest}
                for item, digest in marks.items() if digest is not None]
        gone = [item for item, digest in marks.items() if digest is None]

        def action(conn) -> None:
            if gone:
                conn.execute(table.delete().where(table.c.target == target,
                                                  table.c.item.in_(gone)))
            if kept:
                stmt = _insert(self.engine, table)
                stmt = stmt.on_conflict_do_update(index_elements=["target", "item"],
                                                  set_={"digest": stmt.excluded.digest})
                conn.execute(stmt, kept)

        if marks:
            self._write(action)

    # -- reading -----------------------------------------------------------------------------

    def runs(self, limit: int | None = None, *, newest_first: bool = True) -> list[Run]:
        """Runs ordered by start time."""
        order = schema.runs.c.started_at.desc() if newest_first else schema.runs.c.started_at
        stmt = select(schema.runs).order_by(order, schema.runs.c.run_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [_run_from_row(row) for row in conn.execute(stmt)]

    def last_run(self) -> Run | None:
        """The most recently started run, or None for an empty store."""
        found = self.runs(limit=1)
        return found[0] if found else None

    def get_run(self, run_id_prefix: str) -> Run:
        """The run whose id starts with `run_id_prefix` (it must be unambiguous)."""
        stmt = select(schema.runs).where(schema.runs.c.run_id.startswith(run_id_prefix))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.limit(2)).all()
        if not rows:
            raise StoreError(f"no run with id starting '{run_id_prefix}'")
        if len(rows) > 1:
            raise StoreError(f"run id prefix '{run_id_prefix}' is ambiguous: give more of it")
        return _run_from_row(rows[0])

    def measurements(self, run_id: str) -> list[Measurement]:
        """Every measurement of one run, ordered by test then metric."""
        table = schema.measurements
        stmt = select(table).where(table.c.run_id == run_id).order_by(table.c.test, table.c.metric)
        with self.engine.connect() as conn:
            return [_measurement_from_row(row) for row in conn.execute(stmt)]

    def count_measurements(self) -> int:
        """How many measurements the store holds in all."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(schema.measurements)).scalar_one()
            )

    def history(
        self, test: str, metric: str, env_fingerprint: str | None = None
    ) -> list[tuple[Run, Measurement]]:
        """One metric of one test across runs, oldest first."""
        runs, values = schema.runs, schema.measurements
        labelled = [column.label(f"m_{column.name}") for column in values.c]
        stmt = (
            select(runs, *labelled)
            .join(values, values.c.run_id == runs.c.run_id)
            .where(values.c.test == test, values.c.metric == metric)
            .order_by(runs.c.started_at, runs.c.run_id)
        )
        if env_fingerprint:
            stmt = stmt.where(runs.c.env_fingerprint == env_fingerprint)
        with self.engine.connect() as conn:
            return [
                (_run_from_row(row), _measurement_from_row(row, prefix="m_"))
                for row in conn.execute(stmt)
            ]

    def valid_points(self) -> list[ValidPoint]:
        """Every usable measurement (status ok, a value) as the few fields detection reads, in
        no particular order: the check's one read of the whole history. Details are returned
        only where they hold what detection uses (per-sample correctness, a speed metric's
        confidence interval), so nothing else is decoded."""
        table = schema.measurements
        evidence = table.c.details.like('%"samples"%') | table.c.details.like('%"ci_rel"%')
        samples = case((evidence, table.c.details), else_=null())
        stmt = select(table.c.run_id, table.c.test, table.c.metric, table.c.value,
                      table.c.unit, table.c.higher_is_better, samples).where(
            table.c.status == MeasurementStatus.OK.value, table.c.value.is_not(None))
        with self.engine.connect() as conn:
            return [ValidPoint(row[0], row[1], row[2], float(row[3]), row[4] or "",
                               bool(row[5]), row[6])
                    for row in conn.execute(stmt)]

    def series_names(self) -> list[tuple[str, str]]:
        """Every distinct (test, metric) pair in the store."""
        table = schema.measurements
        stmt = (
            select(table.c.test, table.c.metric).distinct().order_by(table.c.test, table.c.metric)
        )
        with self.engine.connect() as conn:
            return [(row.test, row.metric) for row in conn.execute(stmt)]

    def unpublished_runs(self, target: str) -> list[Run]:
        """Runs not yet published to `target`, oldest first (the order to publish them in)."""
        published = select(schema.publications.c.run_id).where(
            schema.publications.c.target == target
        )
        stmt = (
            select(schema.runs)
            .where(schema.runs.c.run_id.not_in(published))
            .order_by(schema.runs.c.started_at, schema.runs.c.run_id)
        )
        with self.engine.connect() as conn:
            return [_run_from_row(row) for row in conn.execute(stmt)]


class ValidPoint(NamedTuple):
    """One usable measurement, as `Store.valid_points` reads it for detection; `details` is
    the stored JSON text only when it carries per-sample correctness or `ci_rel`, else None."""

    run_id: str
    test: str
    metric: str
    value: float
    unit: str
    higher_is_better: bool
    details: str | None


def _run_from_row(row) -> Run:
    mapping = row._mapping  # pylint: disable=protected-access  # SQLAlchemy's public row API
    return Run(
        run_id=mapping["run_id"],
        started_at=_as_utc(mapping["started_at"]),  # type: ignore[arg-type]  # NOT NULL
        ended_at=_as_utc(mapping["ended_at"]),
        status=RunStatus(mapping["status"]),
        git=GitInfo(
            commit=mapping["commit_sha"],
            branch=mapping["branch"],
            subject=mapping["subject"],
            commit_time=mapping["commit_time"],
            dirty=bool(mapping["dirty"]),
        ),
        env=Environment.from_json(mapping["env"]),
    )


def _measurement_from_row(row, prefix: str = "") -> Measurement:
    mapping = row._mapping  # pylint: disable=protected-access  # SQLAlchemy's public row API
    return Measurement(
        run_id=mapping[prefix + "run_id"],
        test=mapping[prefix + "test"],
        metric=mapping[prefix + "metric"],
        value=mapping[prefix + "value"],
        unit=mapping[prefix + "unit"],
        higher_is_better=bool(mapping[prefix + "higher_is_better"]),
        status=MeasurementStatus(mapping[prefix + "status"]),
        recorded_at=_as_utc(mapping[prefix + "recorded_at"]),  # type: ignore[arg-type]
        details=json.loads(mapping[prefix + "details"] or "{}"),
    )


def open_store(target: str | None = None, *, create: bool = True) -> Store:
    """Shorthand for `Store.open`."""
    return Store.open(target, create=create)


__all__ = ["Store", "StoreError", "ValidPoint", "open_store"]
