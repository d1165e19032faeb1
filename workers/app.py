"""The Celery app: Redis carries the ticks, the database holds the deadlines.

A beat tick carries no data, only "look now": the sweep takes every deadline due up to the
moment it runs, with row locks, so a duplicated, lost or late tick changes nothing but when
a deadline is enforced. The settings follow from that:

- ``task_acks_late``: a tick is acknowledged once its run returns. Should the worker die
  mid-run, Redis keeps the message and hands it back after the visibility timeout (1 h),
  by then expired; what finishes the work is the next tick, never a redelivery.
- ``task_reject_on_worker_lost`` stays off: a task whose child process dies (killed, out of
  memory, a crash in a driver) is not put back in the queue, where it would kill the next
  child too and loop for ever. Nothing is lost by dropping it: the batch it had not
  committed is rolled back by the database and the next tick takes it.
- ``worker_prefetch_multiplier = 1``: a worker holds no more ticks than it runs.
- Every tick ``expires`` after one interval: ticks queued while no worker ran are dropped
  instead of being swept one after the other when a worker comes back.
- The Redis transport (:mod:`workers.broker`) turns kombu's AttributeError on a channel
  whose connection is gone into a connection error, so a Redis restart does not stop the
  worker.
"""

from __future__ import annotations

import logging
import os

from celery import Celery, signals

from registrar import logs
from registrar import settings as registrar_settings
from registrar.db import Database
from workers import broker

# Delivery retries back off from seconds to an hour; looking every few seconds is enough.
DELIVERY_INTERVAL_SECONDS = 5.0

settings = registrar_settings.load()
broker.install()

app = Celery("registrar", include=["workers.tasks"])
app.conf.update(
    broker_url=settings.broker_url or None,
    broker_connection_retry_on_startup=True,
    result_backend=None,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    event_serializer="json",
    task_acks_late=True,
    task_reject_on_worker_lost=False,
    worker_prefetch_multiplier=1,
    timezone="UTC",
    enable_utc=True,
    beat_schedule={
        "sweep-deadlines": {
            "task": "workers.tasks.sweep_deadlines",
            "schedule": settings.sweep_interval_seconds,
            "options": {"expires": settings.sweep_interval_seconds},
        },
        "sign-audit-checkpoint": {
            "task": "workers.tasks.sign_audit_checkpoint",
            "schedule": settings.sweep_interval_seconds,
            "options": {"expires": settings.sweep_interval_seconds},
        },
        "deliver-notifications": {
            "task": "workers.tasks.deliver_notifications",
            "schedule": DELIVERY_INTERVAL_SECONDS,
            "options": {"expires": DELIVERY_INTERVAL_SECONDS},
        },
    },
)

_database: tuple[int, Database] | None = None


def database() -> Database:
    """This process's Database: one engine per worker process, never shared across a fork."""
    global _database
    if _database is None or _database[0] != os.getpid():
        _database = (os.getpid(), Database(settings.database_url))
    return _database[1]


@signals.setup_logging.connect
def _logging(loglevel: object = None, **_: object) -> None:
    # Connected, this replaces Celery's own logging setup: the worker and beat log like
    # `registrar serve` ([logging] format: text or one JSON object a line).
    logs.configure(settings)
    if isinstance(loglevel, (int, str)) and loglevel:
        logging.getLogger().setLevel(loglevel)


@signals.worker_process_init.connect
def _open_database(**_: object) -> None:
    # A pool child inherits the parent's module state; its own engine opens its own connections.
    global _database
    _database = None
    database()


@signals.worker_process_shutdown.connect
def _close_database(**_: object) -> None:
    if _database is not None and _database[0] == os.getpid():
        _database[1].dispose()
