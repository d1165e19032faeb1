"""``GET /metrics``: the service's metrics in Prometheus's text format (registrar.metrics), and
each request timed by its route.

Served like ``/health``, to whoever reaches the server: put it behind the network the monitoring
reads from (the reverse proxy's allow-list), as an operator does with any /metrics.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request

from registrar import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def exposition() -> Response:
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
