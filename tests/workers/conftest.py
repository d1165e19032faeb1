"""Fixtures for the worker tests: an own Redis, Celery processes, an election with candidacies, an own PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from registrar.db import Database
from tests.conftest import EMPTYING_BLOCK
from tests.workers.harness import ROOT, SWEEP_INTERVAL, Celery, Election, PostgresServer, RedisServer, present_election


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.process.kill()


@pytest.fixture
def celery(db: Database, redis_server: RedisServer, tmp_path: Path) -> Iterator[Celery]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("REGISTRAR_", "CELERY_"))}
    env.update(
        REGISTRAR_DATABASE_URL=db.engine.url.render_as_string(hide_password=False),
        REGISTRAR_BROKER_URL=redis_server.url,
        REGISTRAR_SWEEP_INTERVAL_SECONDS=str(SWEEP_INTERVAL),
        REGISTRAR_SWEEP_BATCH="50",  # many short transactions, so a kill lands in the middle of a burst
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    processes = Celery(tmp_path, env)
    yield processes
    processes.stop_all()


@pytest.fixture
def election(db: Database) -> Election:
    return present_election(db)


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of the module's own, migrated: initdb and the migrations are paid once a module."""
    server = PostgresServer()
    try:
        server.create()
        yield server
    finally:
        server.remove()


@pytest.fixture
def restartable_db(postgres_server: PostgresServer) -> Iterator[Database]:
    """Empty tables on :func:`postgres_server`, which the test may stop and restart (it is running again after)."""
    if not postgres_server.running:
        postgres_server.start()
    database = Database(postgres_server.url)
    with database.engine.begin() as connection:
        connection.exec_driver_sql(EMPTYING_BLOCK)
    yield database
    database.dispose()
    if not postgres_server.running:
        postgres_server.start()
