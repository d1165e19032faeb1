"""``GET /health``: is the database reachable, and are the deadlines being swept on time?

    200 {"status": "ok", "database": "ok", "lagging": false, "lag_threshold_seconds": 15,
         "deadlines": {"pending": 12, "overdue": 0, "oldest_overdue_due_at": null, "lag_seconds": 0.0}}
    503 {"status": "degraded", "database": "OperationalError: connection ... refused", "deadlines": null, ...}

``lagging`` turns true, still with 200, once the oldest overdue deadline has waited more than
``registrar.runtime.LAG_INTERVALS`` (3) sweep intervals: the service answers, but nothing (no
in-process runner, no Celery beat and worker) is firing deadlines on time.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from registrar import runtime
from web import database, settings

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    report = runtime.health(database(), settings())
    return jsonify(report), 503 if report["status"] == "degraded" else 200
