"""The store's tables as harness 0.1.0 defined them (schema version 1), frozen here so the
migration tests can build a real v1 store with the v1 DDL and upgrade it in place."""

# pylint: disable=duplicate-code  # a frozen copy of the v1 tables is the point of this file

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

VERSION = 1

metadata = MetaData()

meta = Table(
    "harness_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("commit_sha", String(64), nullable=False, default=""),
    Column("branch", String(255), nullable=False, default=""),
    Column("subject", Text, nullable=False, default=""),
    Column("commit_time", String(64), nullable=False, default=""),
    Column("dirty", Boolean, nullable=False, default=False),
    Column("env_fingerprint", String(32), nullable=False, index=True),
    Column("env", Text, nullable=False),
)

measurements = Table(
    "measurements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("test", String(512), nullable=False),
    Column("metric", String(255), nullable=False),
    Column("value", Float),
    Column("unit", String(32), nullable=False, default=""),
    Column("higher_is_better", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "test", "metric", name="uq_measurement"),
)

publications = Table(
    "publications",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("target", String(255), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "target", name="uq_publication"),
)
