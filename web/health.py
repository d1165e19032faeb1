"""``GET /health``: is the database reachable, and are the deadlines being swept on time?"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from registrar import runtime
from web import database, settings

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    """200 with ``status`` "ok" (and ``lagging`` when the sweep falls behind); 503 "degraded" without a database."""
    report = runtime.health(database(), settings())
    return jsonify(report), 503 if report["status"] == "degraded" else 200
