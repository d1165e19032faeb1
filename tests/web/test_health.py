"""GET /health: the database reachable or not, and the sweep's lag measured from real deadline rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registrar.db import Database
from registrar.models import Deadline
from registrar.runtime import LAG_INTERVALS
from registrar.settings import Settings
from tests.web.helpers import closed_port
from web import create_app


def _get_health(database: Database, settings: Settings | None = None) -> tuple[int, dict]:
    app = create_app(settings or Settings(), database)
    response = app.test_client().get("/health")
    return response.status_code, response.get_json()


def _deadline(key: str, due_at: dt.datetime) -> Deadline:
    return Deadline(key=key, subject_type="election", subject_id="kz-2029", kind="registration_closes", rule="G1",
                    due_at=due_at, due_local=due_at.isoformat(), computed_from="rule G1",
                    created_at=due_at - dt.timedelta(days=30))  # fmt: skip


def test_health_is_ok_on_an_empty_database(db: Database) -> None:
    status, body = _get_health(db)
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["deadlines"] == {"pending": 0, "overdue": 0, "oldest_overdue_due_at": None, "lag_seconds": 0}
    assert body["lagging"] is False


def test_health_reports_the_lag_of_overdue_deadlines(db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    oldest = (now - dt.timedelta(hours=1)).replace(microsecond=0)
    with db.transaction() as session:
        session.add_all([
            _deadline("overdue-an-hour", oldest),
            _deadline("overdue-a-minute", now - dt.timedelta(minutes=1)),
            _deadline("due-tomorrow", now + dt.timedelta(days=1)),
        ])  # fmt: skip

    status, body = _get_health(db, Settings(sweep_interval_seconds=5))

    assert status == 200, "a lagging sweep is reported, not a failure of the service"
    assert body["status"] == "ok"
    deadlines = body["deadlines"]
    assert (deadlines["pending"], deadlines["overdue"]) == (3, 2)
    assert dt.datetime.fromisoformat(deadlines["oldest_overdue_due_at"]) == oldest
    assert deadlines["lag_seconds"] >= 3600
    assert body["lagging"] is True
    assert body["lag_threshold_seconds"] == LAG_INTERVALS * 5


def test_health_does_not_call_a_lag_within_a_few_intervals_lagging(db: Database) -> None:
    with db.transaction() as session:
        session.add(_deadline("overdue-an-hour", dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))

    # Sweeping hourly, an hour's wait is within LAG_INTERVALS intervals.
    status, body = _get_health(db, Settings(sweep_interval_seconds=3600))

    assert status == 200
    assert body["deadlines"]["overdue"] == 1
    assert body["lagging"] is False


def test_health_ignores_fired_and_cancelled_deadlines(db: Database) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with db.transaction() as session:
        fired, cancelled = _deadline("fired", past), _deadline("cancelled", past)
        fired.status, fired.fired_at = "fired", past
        cancelled.status, cancelled.cancelled_at = "cancelled", past
        session.add_all([fired, cancelled])

    status, body = _get_health(db)

    assert status == 200
    assert (body["deadlines"]["pending"], body["deadlines"]["overdue"], body["lagging"]) == (0, 0, False)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_health_is_degraded_with_503_when_the_database_is_unreachable(backend: str, tmp_path: Path) -> None:
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'no such directory' / 'registrar.sqlite3'}",
        "postgresql": f"postgresql://postgres@127.0.0.1:{closed_port()}/test",
    }[backend]
    database = Database(url)
    try:
        status, body = _get_health(database)
    finally:
        database.dispose()

    assert status == 503
    assert body["status"] == "degraded"
    assert body["database"] != "ok" and body["database"], "the database's error is given"
    assert body["deadlines"] is None
