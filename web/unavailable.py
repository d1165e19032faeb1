"""503 while the database cannot be reached: the reader is told to try again, never shown a 500.

A view that meets a server that is down or restarting gets the driver's OperationalError (or
the pool's timeout) out of SQLAlchemy. Nothing was stored half-way (every action is one
transaction), so the honest answer is "unavailable, try again": a 503 with ``Retry-After``, as
JSON ``{"code": "database_unavailable", ...}`` under ``/api/`` and as a page elsewhere. The page
is built here, not from ``base.html``: the layout reads the signed-in account, which is in the
database, and the language comes from the session cookie or the browser for the same reason.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

LANGUAGES = ("kk", "ru", "en")
RETRY_AFTER_SECONDS = 30
PAGE = """<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{message}</p></main></body></html>
"""


def init_app(app: Flask) -> None:
    for kind in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(kind, unavailable)


def unavailable(error: Exception) -> Response:
    said = str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__]
    log.warning("the database cannot be reached: %s %s: %s", request.method, request.path, said[0])
    chosen = session.get("language")
    language = chosen if chosen in LANGUAGES else request.accept_languages.best_match(LANGUAGES) or "kk"
    with force_locale(language):
        title = _("The service is unavailable for a moment")
        message = _("The database cannot be reached just now. Nothing was stored half-way: please try again in a few minutes.")
    if request.path.startswith("/api/"):
        response = jsonify({"code": "database_unavailable", "message": message})
    else:
        page = PAGE.format(language=language, title=escape(title), message=escape(message))
        response = Response(page, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
