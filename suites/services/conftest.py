"""Fixtures for the store tests that run against every backend: SQLite and PostgreSQL.

PostgreSQL runs when HARNESS_TEST_POSTGRES_URL names a server (`.ci/postgres.sh` starts a
throwaway one); each test gets a fresh database on it, dropped afterwards. Without the URL the
PostgreSQL cases skip, unless HARNESS_REQUIRE_POSTGRES=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL_ENV = "HARNESS_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "HARNESS_REQUIRE_POSTGRES"


def _fresh_postgres_database() -> Iterator[str]:
    """Create a database with a unique name on the test server, yield its URL, drop it."""
    server = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not server:
        message = f"no PostgreSQL server: set {POSTGRES_URL_ENV} (see .ci/postgres.sh)"
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{message}; {REQUIRE_POSTGRES_ENV}=1 requires one")
        pytest.skip(message)
    name = f"harness_t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'results.db'}"
    else:
        yield from _fresh_postgres_database()
