"""``GET /metrics``: the service's metrics in Prometheus's text format (registrar.metrics), and
each request timed by its route.

Served like ``/health``, to whoever reaches the server, unless ``web.metrics_token`` is set: then
only to a scraper that sends it as a bearer token (a 401 otherwise, with nothing of the metrics).
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, g, request

from registrar import metrics
from web import settings

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def exposition() -> Response:
    token = settings().metrics_token
    sent = request.headers.get("Authorization", "")
    if token and not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return Response(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    metrics.enable()
    app.register_blueprint(bp)

    @app.before_request
    def _started() -> None:
        g.registrar_started = time.perf_counter()

    @app.after_request
    def _timed(response: Response) -> Response:
        started = g.pop("registrar_started", None)
        if started is not None:
            # The URL rule, never the URL: /candidacies/<int:candidacy_id>, one series for every id.
            route = request.url_rule.rule if request.url_rule is not None else "(no route)"
            metrics.request(route, request.method, response.status_code, time.perf_counter() - started)
        return response
