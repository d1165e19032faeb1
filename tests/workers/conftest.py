"""Fixtures for the worker tests: an own Redis, Celery processes, an election with candidacies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from registrar.db import Database
from tests.workers.harness import ROOT, SWEEP_INTERVAL, Celery, Election, RedisServer, present_election


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
