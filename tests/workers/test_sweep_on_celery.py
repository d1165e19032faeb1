"""The deadline sweep run by real Celery processes, through the faults the design promises to survive.

Losing a worker, Redis or beat only delays enforcement: every due deadline's effect is applied
exactly once (one audit event naming the deadline, its outbox rows once), none is lost.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from registrar.db import Database
from tests.workers.harness import (
    SWEEP_INTERVAL,
    Celery,
    Election,
    RedisServer,
    assert_each_applied_once,
    fired_count,
    wait_until,
)

BURST = 2000
SWEPT_WITHIN = 120  # seconds for a whole burst to be swept on a slow CI machine


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def past_burst(election: Election, count: int) -> list[str]:
    """``count`` D2 deadlines that fell due over the last ``count`` seconds, one a second."""
    now = utcnow()
    return election.information_requests_due([now - dt.timedelta(seconds=count - i) for i in range(count)])


def test_a_worker_killed_in_the_middle_of_a_burst_loses_and_repeats_nothing(
    db: Database, election: Election, celery: Celery
) -> None:
    # One deadline a transaction, and the kill at the first fifty, so the burst outlasts the moment
    # it takes to see it start and kill the worker (with fifty a transaction, a fast sweep had
    # finished 2,000 before the kill; with five, on SQLite, once too). One a transaction: 600 of them
    # ended before the kill twice on SQLite on a quiet machine (the kill and the reaping of the
    # worker's group take a few hundred of them), so 1,800.
    celery.env["REGISTRAR_SWEEP_BATCH"] = "1"
    keys = election.information_requests_sent(3) + past_burst(election, 1800)
    celery.started(celery.beat())
    worker = celery.started(celery.worker(concurrency=2))

    wait_until(lambda: fired_count(db, keys) >= 50, timeout=SWEPT_WITHIN, what="the burst to start", logs=celery.logs)
    worker.kill()
    fired_at_kill = fired_count(db, keys)
    assert fired_at_kill < len(keys), "the burst was over before the kill; make it larger"

    celery.started(worker)
    wait_until(lambda: fired_count(db, keys) == len(keys), timeout=SWEPT_WITHIN, what="the rest of the burst after the restart",
               logs=celery.logs)  # fmt: skip
    assert_each_applied_once(db, keys)


def test_redis_restarted_empty_while_deadlines_are_pending(
    db: Database, election: Election, celery: Celery, redis_server: RedisServer
) -> None:
    # Small batches make the burst last a few seconds, so Redis goes away while a sweep runs
    # and its tick is unacknowledged: the case that used to stop the worker for good.
    celery.env["REGISTRAR_SWEEP_BATCH"] = "5"
    overdue = past_burst(election, 3000)
    celery.started(celery.beat())
    worker = celery.started(celery.worker(concurrency=2))
    wait_until(lambda: fired_count(db, overdue) >= 50, timeout=SWEPT_WITHIN, what="the sweep to start", logs=celery.logs)

    # Deadlines falling due while Redis is gone, and after; the queue and the ticks in flight
    # are lost with each restart.
    now = utcnow()
    coming = election.information_requests_due([now + dt.timedelta(seconds=1 + i / 50) for i in range(100)])
    for _ in range(3):
        redis_server.restart()
        time.sleep(0.7)
    after = election.information_requests_due([utcnow() + dt.timedelta(seconds=1)])

    keys = overdue + coming + after
    wait_until(lambda: fired_count(db, keys) == len(keys) or not worker.running, timeout=SWEPT_WITHIN,
               what="every deadline after the Redis restarts", logs=celery.logs)  # fmt: skip
    assert worker.running, f"the worker died with Redis\n{celery.logs()}"
    assert "Unrecoverable error" not in worker.log(), f"the worker stopped consuming\n{celery.logs()}"
    assert_each_applied_once(db, keys)


def test_overdue_deadlines_fire_once_in_due_order_when_beat_comes_back(db: Database, election: Election, celery: Celery) -> None:
    beat = celery.started(celery.beat())
    celery.started(celery.worker(concurrency=1))
    earlier = past_burst(election, 10)
    wait_until(lambda: fired_count(db, earlier) == len(earlier), timeout=SWEPT_WITHIN, what="beat's first sweeps",
               logs=celery.logs)  # fmt: skip

    # Beat stops first and any tick it sent is taken before the deadlines exist, so none of them
    # can be swept before beat comes back, however slowly beat stops.
    beat.stop()
    time.sleep(2 * SWEEP_INTERVAL)
    now = utcnow()
    # Listed out of due order, so the order they fire in comes from due_at, not from the row ids.
    due_times = [now + dt.timedelta(milliseconds=200 + 30 * i) for i in range(30)][::-1]
    overdue = election.information_requests_due(due_times)
    last_due = max(due_times)
    wait_until(lambda: utcnow() > last_due + dt.timedelta(seconds=4 * SWEEP_INTERVAL), timeout=30, what="the clock")
    assert fired_count(db, overdue) == 0, "with beat stopped, nothing should sweep"

    celery.started(beat)
    wait_until(lambda: fired_count(db, overdue) == len(overdue), timeout=SWEPT_WITHIN, what="the overdue deadlines",
               logs=celery.logs)  # fmt: skip
    seen = assert_each_applied_once(db, earlier + overdue)
    due_at = election.due_times(overdue)
    in_due_order = sorted(overdue, key=lambda key: due_at[key])
    applied = [seen.events_by_deadline[key][0] for key in in_due_order]
    assert applied == sorted(applied), "the overdue deadlines were applied out of due order"


def test_two_workers_and_two_beats_sweep_each_deadline_once(db: Database, election: Election, celery: Celery) -> None:
    # Transactions of five: with the default batch (5,000) one claim can take the whole burst,
    # and the other worker, rightly, finds nothing left; with fifty, one worker swept all 2,000
    # within one beat interval (0.5 s) on a quiet machine, once in three runs.
    celery.env["REGISTRAR_SWEEP_BATCH"] = "5"
    workers = [celery.worker("w1", concurrency=2), celery.worker("w2", concurrency=2)]
    for process in [*workers, celery.beat("beat1"), celery.beat("beat2")]:
        celery.started(process)
    # All four sweepers are ticking before the burst appears (in one transaction), so none
    # of them has it to itself.
    keys = past_burst(election, BURST)

    wait_until(lambda: fired_count(db, keys) == len(keys), timeout=SWEPT_WITHIN, what="the burst", logs=celery.logs)
    assert_each_applied_once(db, keys)
    if db.engine.dialect.name != "postgresql":
        # SQLite has one writer at a time: a worker looping over its batches can keep the lock
        # from the other to the end (it did, in CI). Side by side is PostgreSQL's (SKIP LOCKED).
        return
    for worker in workers:
        fired = [int(n) for n in re.findall(r"sweep: fired (\d+)", worker.log())]
        assert sum(fired) > 0, f"{worker.name} never swept anything: the sweepers did not run side by side\n{celery.logs()}"
