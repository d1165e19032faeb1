"""Fixtures: the same tests run against a SQLite file and the real PostgreSQL server.

PostgreSQL is not optional: when it cannot be reached the tests fail with the reason, they
are never skipped. Each test session gets its own database (created, migrated once, dropped
at the end); each test starts from empty tables.

The suite runs on pytest-xdist workers (``addopts`` in pyproject.toml, ``--dist loadgroup``):
each worker is a session of its own, so it has its own database and temporary folders. A
test is sent to any worker, except that the tests of a group run one after another on one
worker (:func:`pytest_collection_modifyitems` gives the groups):

- ``processes``: the tests that start servers, Celery workers, benchmarks or twenty racing
  threads, and look at what they did within timeouts: one at a time, so none of them
  competes with another for the two cores;
- ``browser``: Chromium, launched once for all of them;
- ``lint``: ruff, mypy and import-linter, each a few seconds of one core;
- ``package``: the wheel and a venv holding it, built once (session-scoped fixtures);
- a module with a module-scoped fixture (a demo built for its tests) is a group of its own,
  so the fixture is built once and not once on each worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from registrar.db import Database
from registrar.models import Base
from registrar.rules import Rules, for_kind

# The audit's signing key and its kept checkpoints (registrar.checkpoints), for this process and
# every server and worker a test starts: a directory of the run's own, never the working directory.
AUDIT_DIRECTORY = Path(tempfile.mkdtemp(prefix="registrar-audit-"))
os.environ.setdefault("REGISTRAR_AUDIT_KEY_FILE", str(AUDIT_DIRECTORY / "audit.key"))
os.environ.setdefault("REGISTRAR_AUDIT_CHECKPOINTS_FILE", str(AUDIT_DIRECTORY / "checkpoints.jsonl"))

PG_ADMIN_URL = os.environ.get("REGISTRAR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = os.environ.get("REGISTRAR_TEST_BACKENDS", "sqlite,postgresql").split(",")


PROCESS_TESTS = (
    "tests/workers/",
    "tests/bench/",
    "tests/web/test_serve.py",
    "tests/registrar/test_concurrency.py",
)
BROWSER_TESTS = ("tests/e2e/",)
LINT_TESTS = ("tests/test_code_quality.py",)
# The wheel and its venv are built once for the package's tests (session-scoped: a module-scoped
# fixture is built again whenever the worker runs another module's test in between).
PACKAGE_TESTS = ("tests/test_package.py",)


def _group(item: pytest.Item) -> str | None:
    path = item.nodeid.split("::", 1)[0]
    groups = (("processes", PROCESS_TESTS), ("browser", BROWSER_TESTS), ("lint", LINT_TESTS), ("package", PACKAGE_TESTS))
    for group, prefixes in groups:
        if path.startswith(prefixes):
            return group
    fixtures = getattr(item, "_fixtureinfo", None)
    definitions = fixtures.name2fixturedefs.values() if fixtures is not None else ()
    if any(definition.scope == "module" for defs in definitions for definition in defs):
        return path
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its xdist group (see the module's docstring); a test of no group has none.

    First among the hooks: xdist's worker reads the marks in its own hook of the same name to
    put the group in the test's id, and a mark added after it would not be seen. (With pytest
    9.2 xdist 3.8 cannot change the id at all and the groups are ignored: pyproject pins below
    it; tests/test_suite_groups.py fails if the groups stop reaching xdist.)"""
    for item in items:
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {err}", pytrace=False)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (each xdist worker is one), migrated to
    the newest revision, dropped at the end."""
    name = f"registrar_test_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        # A test database need not survive a crash of the server: a commit does not wait for
        # its WAL to reach the disk (what a test reads back is the same either way).
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
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


def _emptying_block() -> str:
    """One server-side block that brings the database back to empty tables with fresh sequences.

    The same end state as ``TRUNCATE <every table> RESTART IDENTITY CASCADE`` (the migration's
    seed rows go too), at a fraction of its cost: TRUNCATE gives every table a new file, while
    a DELETE of a few rows (children first, so no foreign key is in the way) only marks them
    dead. Only the sequences that were used since their last reset are reset (``setval`` is not
    transactional and rewrites nothing), those left by a rolled-back insert included.
    """
    deletes = "".join(f'DELETE FROM "{table.name}";\n' for table in reversed(Base.metadata.sorted_tables))
    return (
        "DO $$\nDECLARE s record;\nBEGIN\n" + deletes +
        "FOR s IN SELECT schemaname, sequencename, start_value FROM pg_sequences WHERE last_value IS NOT NULL LOOP\n"
        "  PERFORM setval((quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass,"
        " s.start_value, false);\n"
        "END LOOP;\nEND $$"
    )  # fmt: skip


EMPTYING_BLOCK = _emptying_block()


def _empty_postgresql(url: str) -> Database:
    """The session's PostgreSQL database with every table emptied and every sequence restarted."""
    database = Database(url)
    with database.engine.begin() as connection:
        connection.exec_driver_sql(EMPTYING_BLOCK)
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


@pytest.fixture(autouse=True)
def _audit_files_of_the_test(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own audit key and kept checkpoints: one test's checkpoints are no other's."""
    directory = tmp_path_factory.mktemp("audit")
    monkeypatch.setenv("REGISTRAR_AUDIT_KEY_FILE", str(directory / "audit.key"))
    monkeypatch.setenv("REGISTRAR_AUDIT_CHECKPOINTS_FILE", str(directory / "checkpoints.jsonl"))
