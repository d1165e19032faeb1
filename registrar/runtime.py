"""The single-machine default: the deadline sweep and notification delivery in a thread of ``registrar serve``.

With no broker configured (``broker.url`` empty) there is no Celery beat to sweep, so the
serving process does it itself every ``sweep.interval_seconds``: the same
:func:`registrar.sweep.sweep` and :func:`registrar.notifications.deliver_due` the workers call.
Each round takes "everything due up to now", so a slow or missed round only delays a
deadline, and a round running beside another sweeper (a second ``serve``, a worker) applies
nothing twice. A failing round is logged and the next one tries again: a database that is
down for a minute must not end enforcement for the life of the process.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from registrar import checkpoints, notifications, sweep
from registrar.db import Database
from registrar.settings import Settings

log = logging.getLogger(__name__)

# The sweep is lagging once the oldest overdue deadline has waited longer than this many sweep
# intervals: one interval is normal (it fell due just after a round), a few mean rounds are
# failing, too slow for the backlog, or not running at all (no worker, no beat).
LAG_INTERVALS = 3


@dataclass(frozen=True)
class Round:
    """What one round did. A step that raised is None here, its error in ``errors`` (and logged)."""

    at: dt.datetime
    swept: sweep.SweepReport | None
    delivered: notifications.DeliveryReport | None
    errors: dict[str, str] = field(default_factory=dict)


def run_once(db: Database, settings: Settings, now: dt.datetime | None = None) -> Round:
    """Sweep the deadlines due by ``now`` (default: the current time), deliver due notifications,
    then sign a checkpoint of the audit chain if one is due (registrar.checkpoints).

    The steps fail separately: a broken mail server must not stop deadlines from firing, nor a
    deadline that cannot be applied stop the mail, nor an unwritable key file either of them.
    """
    now = now or dt.datetime.now(dt.UTC)
    errors: dict[str, str] = {}
    swept: sweep.SweepReport | None = None
    delivered: notifications.DeliveryReport | None = None
    try:
        swept = sweep.sweep(db, now, batch=settings.sweep_batch, settings=settings)
    except Exception as err:
        errors["sweep"] = _first_line(getattr(err, "orig", None) or err)
        log.exception("deadline sweep failed; the next round tries again", extra={"step": "sweep"})
    try:
        delivered = notifications.deliver_due(db, now, settings=settings)
    except Exception as err:
        errors["delivery"] = _first_line(getattr(err, "orig", None) or err)
        log.exception("notification delivery failed; the next round tries again", extra={"step": "delivery"})
    try:
        checkpoints.checkpoint(db, settings, now)
    except Exception as err:
        errors["checkpoint"] = _first_line(getattr(err, "orig", None) or err)
        log.exception("the audit checkpoint failed; the next round tries again", extra={"step": "checkpoint"})
    _report(swept, delivered)
    return Round(now, swept, delivered, errors)


def _report(swept: sweep.SweepReport | None, delivered: notifications.DeliveryReport | None) -> None:
    counts: dict[str, object] = {}
    if swept is not None:
        # By kind and outcome in the sweep's own line; here the totals beside the delivery's.
        counts |= {"fired": swept.total, "reminded": swept.reminded}
    if delivered is not None:
        counts |= delivered.as_dict()
    busy = any(counts.get(key) for key in ("fired", "reminded")) or (delivered is not None and delivered.total > 0)
    # An idle round every few seconds is noise at INFO; one that changed something is not.
    log.log(logging.INFO if busy else logging.DEBUG, "deadline sweep and delivery round", extra=counts)


class Runner:
    """A daemon thread running :func:`run_once` every ``settings.sweep_interval_seconds`` until stopped."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self.rounds = 0
        self._stopping = threading.Event()
        # A daemon: if a round outlives stop()'s timeout, the process may still exit; the open
        # batch's transaction is then rolled back by the database and swept again next time.
        self._thread = threading.Thread(target=self._loop, name="registrar-sweep", daemon=True)

    def start(self) -> Runner:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        interval = self.settings.sweep_interval_seconds
        while not self._stopping.is_set():
            began = time.monotonic()
            try:
                run_once(self.db, self.settings)
            except Exception:  # run_once guards its steps; this is the last line so the thread never dies
                log.exception("sweep round failed; the next round tries again")
            self.rounds += 1
            self._stopping.wait(max(0.0, interval - (time.monotonic() - began)))

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to stop after the current round; True once it has (within ``timeout`` seconds)."""
        self._stopping.set()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        if not stopped:
            log.warning("the sweep round did not finish within %ss; its open batch will be swept again", timeout)
        return stopped


def start(db: Database, settings: Settings) -> Runner:
    """Start sweeping in-process: the first round at once (catching up on anything overdue), then every interval."""
    return Runner(db, settings).start()


def health(db: Database, settings: Settings, now: dt.datetime | None = None) -> dict[str, Any]:
    """Whether this installation is enforcing its deadlines, for ``GET /health`` and monitors.

    ``status`` is "ok", or "degraded" when the database cannot be read (``database`` then holds
    the error). ``deadlines`` is :func:`registrar.sweep.health`; ``lagging`` is true when its
    ``lag_seconds`` exceeds ``LAG_INTERVALS`` sweep intervals (``lag_threshold_seconds``).
    A lagging sweep does not degrade the status: the service still answers, the deadlines wait.
    """
    now = now or dt.datetime.now(dt.UTC)
    threshold = LAG_INTERVALS * settings.sweep_interval_seconds
    try:
        deadlines = sweep.health(db, now)
    except SQLAlchemyError as err:
        problem = _first_line(getattr(err, "orig", None) or err)
        log.warning("health: the database cannot be read: %s", problem)
        return {"status": "degraded", "database": problem, "deadlines": None, "lagging": None,
                "lag_threshold_seconds": threshold}  # fmt: skip
    return {"status": "ok", "database": "ok", "deadlines": deadlines,
            "lagging": deadlines["lag_seconds"] > threshold, "lag_threshold_seconds": threshold}  # fmt: skip


def _first_line(err: BaseException) -> str:
    # The driver's own message, without SQLAlchemy's statement and parameters (they may hold data).
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0] if lines else ''}".rstrip(": ")
