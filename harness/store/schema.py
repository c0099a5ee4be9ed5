"""The store's tables (SQLAlchemy Core) and the schema version they describe."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Bump with a new step in migrate.MIGRATIONS that upgrades existing stores in place.
SCHEMA_VERSION = 4

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
    Column("details", Text),  # since v4: JSON evidence beside the value (Measurement.details)
    UniqueConstraint("run_id", "test", "metric", name="uq_measurement"),
    Index("ix_measurements_series", "test", "metric"),  # since v2: history reads
)

publications = Table(
    "publications",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("target", String(255), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "target", name="uq_publication"),
)

# Since v3: verdicts with their lifecycle and triage (the source of truth the sheet shows).
verdicts = Table(
    "verdicts",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("test", String(512), nullable=False),
    Column("metric", String(255), nullable=False),
    Column("env_fingerprint", String(32), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("commit_sha", String(64), nullable=False, default=""),
    Column("kind", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("triage_state", String(16)),
    Column("triage_note", Text, nullable=False, default=""),
    Column("triage_fixed_by", String(64), nullable=False, default=""),
    Column("triage_expires_at", DateTime(timezone=True)),
    Column("triaged_at", DateTime(timezone=True)),
    Column("alerted_state", String(16), nullable=False, default=""),
    Index("ix_verdicts_series", "test", "metric"),
)

# Since v3: what each publish target shows of the verdicts (cell styles, Regressions rows),
# so a publish sends only what changed without reading the target back.
published_marks = Table(
    "published_marks",
    metadata,
    Column("target", String(255), nullable=False),
    Column("item", String(1024), nullable=False),
    Column("digest", String(64), nullable=False),
    UniqueConstraint("target", "item", name="uq_published_mark"),
)

# Since v4: what each test ran with (training arguments, model config), for `harness diff`.
test_configs = Table(
    "test_configs",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("test", String(512), nullable=False),
    Column("config", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "test", name="uq_test_config"),
)
