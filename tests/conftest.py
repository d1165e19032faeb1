"""Fixtures: the same tests run against a SQLite file and the real PostgreSQL server.

PostgreSQL is not optional: when it cannot be reached the tests fail with the reason, they
are never skipped. Each test session gets its own database (created, migrated once, dropped
at the end); each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from registrar.db import Database
from registrar.models import Base
from registrar.rules import Rules, for_kind

PG_ADMIN_URL = os.environ.get("REGISTRAR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = os.environ.get("REGISTRAR_TEST_BACKENDS", "sqlite,postgresql").split(",")


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {err}", pytrace=False)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to the newest revision."""
    name = f"registrar_test_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    database = Database(url)
    database.upgrade()
    database.dispose()
    yield url
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating costs more than copying)."""
    path = tmp_path_factory.mktemp("template") / "registrar.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


def _empty_postgresql(url: str) -> Database:
    database = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return database


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database: a SQLite file, then the real PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "registrar.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        database = Database(f"sqlite:///{target}")
    elif request.param == "postgresql":
        database = _empty_postgresql(request.getfixturevalue("pg_url"))
    else:
        raise ValueError(f"unknown backend {request.param!r} in REGISTRAR_TEST_BACKENDS")
    yield database
    database.dispose()


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    """The real PostgreSQL only, for tests of row locks and concurrency."""
    database = _empty_postgresql(pg_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def rules() -> Rules:
    return for_kind("presidential")
