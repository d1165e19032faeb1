"""The periodic tasks; each is one call into :mod:`registrar`.

Both are safe to run twice or at once: the sweep claims every deadline due up to now with
row locks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and marks it fired in the same
transaction; delivery claims due outbox rows the same way.
"""

from __future__ import annotations

import datetime as dt

from celery.utils.log import get_task_logger

from registrar import checkpoints, notifications, sweep
from workers.app import app, database, settings

log = get_task_logger(__name__)


@app.task(name="workers.tasks.sweep_deadlines")
def sweep_deadlines() -> int:
    """Fire every deadline due up to now; returns how many fired."""
    report = sweep.sweep(database(), dt.datetime.now(dt.UTC), batch=settings.sweep_batch, settings=settings)
    fired = sum(report.fired.values())
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(report.fired.items())) or "none"
    log.info("sweep: fired %d (%s), reminded %d, in %d batches", fired, kinds, report.reminded, report.batches)
    return fired


@app.task(name="workers.tasks.deliver_notifications")
def deliver_notifications() -> int:
    """Send the outbox messages whose next attempt is due; returns how many were delivered."""
    report = notifications.deliver_due(database(), dt.datetime.now(dt.UTC), settings=settings)
    log.info("delivery: delivered %d, retrying %d, failed %d, no contact %d",
             report.delivered, report.retrying, report.failed, report.no_contact)  # fmt: skip
    return report.delivered


@app.task(name="workers.tasks.sign_audit_checkpoint")
def sign_audit_checkpoint() -> int:
    """Sign the audit chain's head if a checkpoint is due; returns the event number signed (0: none).

    Every worker that may run it holds the same key file (audit.key_file)."""
    signed = checkpoints.checkpoint(database(), settings)
    return signed.seq if signed else 0
