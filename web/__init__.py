"""Registrar on the web (Flask): an app factory in the flaskr style; views a few lines, calling ``registrar``.

``create_app()`` reads the installation's settings (``config/registrar.toml`` and the
``REGISTRAR_*`` environment) unless given them; tests pass their own ``Settings`` and
``Database``. The database lives on ``app.extensions["registrar.db"]``, the settings on
``app.extensions["registrar.settings"]``; views reach them through :func:`database` and
:func:`settings`.

The rooms of the web:

=================  =====================================================================
``web.i18n``       Kazakh, Russian and English (Flask-Babel); local times with their zone
``web.auth``       accounts, sessions (Flask-Login), CSRF, API tokens, roles, security headers
``web.public``     the public pages: elections, calendars, the published list, status pages
``web.officer``    the officers' dashboard and forms
``web.api``        the JSON API under ``/api/v1`` with its OpenAPI document (flask-smorest)
``web.health``     ``/health``
``web.metrics``    ``/metrics`` (Prometheus), each request timed by its route
=================  =====================================================================
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.routing import IntegerConverter, Map

from registrar import settings as registrar_settings
from registrar.db import Database
from registrar.settings import Settings
from web import json_input


def create_app(settings: Settings | None = None, database: Database | None = None, **config: object) -> Flask:
    settings = settings if settings is not None else registrar_settings.load()
    database = database if database is not None else Database(settings.database_url)
    app = Flask(__name__)
    app.url_map.converters["int"] = RecordId
    app.config.from_mapping(DATABASE_URL=database.engine.url.render_as_string(hide_password=True))
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY and the like; Registrar's own keys are REGISTRAR_* (settings)
    app.config.update(config)  # tests: TESTING, WTF_CSRF_ENABLED ...
    app.json = json_input.InputJSON(app)  # nesting and lone surrogates refused at the parser
    app.json.sort_keys = False  # the law's order of fields (G2's list) is kept
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _installation_secret(Path(app.instance_path) / "secret_key")
    app.extensions["registrar.settings"] = settings
    app.extensions["registrar.db"] = database
    # Templates link to a room only once it is there (a page must never fail on a missing endpoint).
    app.jinja_env.globals["view_functions"] = app.view_functions

    from web import (
        account,
        api,
        attachments,
        auth,
        checkpoints,
        duties,
        health,
        i18n,
        inbox,
        metrics,
        officer,
        people,
        printables,
        public,
        registers,
        unavailable,
        words,
    )

    i18n.init_app(app)
    auth.init_app(app)
    unavailable.init_app(app)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    app.register_blueprint(checkpoints.bp)
    app.register_blueprint(words.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(officer.bp)
    app.register_blueprint(printables.bp)
    app.register_blueprint(attachments.bp)
    app.register_blueprint(registers.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(duties.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(account.bp)
    api.init_app(app)
    return app


class RecordId(IntegerConverter):
    """``<int:...>`` in every route: a record's id, 1 to 2**31 - 1 (an INTEGER column); any other number is a 404.

    Without the bound a huge id reached the database driver and came back as a 500
    (schemathesis found /api/v1/candidacies/9223372036854775808).
    """

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _installation_secret(path: Path) -> str:
    """The key that signs sessions and CSRF tokens: FLASK_SECRET_KEY, else one made once for this installation.

    A key made per process would log everybody out at each restart and fail every form
    posted to the other gunicorn worker; so it is written once, readable by its owner only.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker may be writing it this instant: wait for its whole key.
        for _ in range(50):
            secret = path.read_text().strip()
            if len(secret) >= 32:
                return secret
            time.sleep(0.02)
        raise RuntimeError(f"{path} holds no secret key: remove it or set FLASK_SECRET_KEY") from None
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def database() -> Database:
    """The current app's database."""
    db: Database = current_app.extensions["registrar.db"]
    return db


def settings() -> Settings:
    """The current app's settings."""
    current: Settings = current_app.extensions["registrar.settings"]
    return current
