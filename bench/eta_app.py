"""The baseline of ``python -m bench deadlines``: plain Celery, one ETA task per deadline.

This is the way the engine does NOT work, kept small so the comparison is fair: each legal
deadline is one ``enforce_deadline.apply_async(args, eta=due_at)``; the worker keeps the task
in memory until its ETA and then applies the same effect the sweep applies to a due D2
deadline (one hash-chained audit event and the outbox rows for the CEC and the organisation,
through the sweep's own notice code), in one transaction of its own.

Celery's defaults are kept (early acknowledgement, the Redis transport's one-hour visibility
timeout, prefork pool): "plain" Celery, as a service would use it for reminders or retries.
Nothing records the deadline in the database, so nothing can tell a task applied twice.

Run by the benchmark as ``python -m celery -A bench.eta_app worker`` with
``BENCH_ETA_BROKER`` (the benchmark's own redis-server), ``BENCH_ETA_DATABASE`` and
``BENCH_ETA_READY`` (a file touched when the worker consumes).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from celery import Celery, signals

from registrar import sweep
from registrar.db import Database

TASK = "bench.eta_app.enforce_deadline"

app = Celery("bench_eta", broker=os.environ.get("BENCH_ETA_BROKER", "redis://127.0.0.1:1/0"))
app.conf.update(
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    timezone="UTC",
    enable_utc=True,
)

_database: tuple[int, Database] | None = None


def database() -> Database:
    """One engine per process (a prefork child must not use its parent's connections)."""
    global _database
    if _database is None or _database[0] != os.getpid():
        _database = (os.getpid(), Database(os.environ["BENCH_ETA_DATABASE"]))
    return _database[1]


def due_row(deadline: dict[str, Any]) -> SimpleNamespace:
    """The deadline as the sweep's claim would read it from its row."""
    return SimpleNamespace(
        id=0, key=deadline["key"], kind="information_request_answer", rule="D2", subject_type="candidacy",
        subject_id=deadline["subject_id"], due_at=dt.datetime.fromisoformat(deadline["due_at"]),
        due_local=deadline["due_local"],
    )  # fmt: skip


def apply_effect(db: Database, deadline: dict[str, Any]) -> None:
    """One due D2 deadline: the audit event and the outbox rows, as the sweep writes them (one run of one)."""
    with db.transaction() as session:
        sweep._notify(session, [due_row(deadline)])


@app.task(name=TASK)
def enforce_deadline(deadline: dict[str, Any]) -> None:
    apply_effect(database(), deadline)


@signals.worker_ready.connect
def _ready(**_: object) -> None:
    marker = os.environ.get("BENCH_ETA_READY")
    if marker:
        Path(marker).write_text(str(os.getpid()))
