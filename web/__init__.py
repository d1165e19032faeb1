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
=================  =====================================================================
"""

from __future__ import annotations

from flask import Flask, current_app

from registrar import settings as registrar_settings
from registrar.db import Database
from registrar.settings import Settings


def create_app(settings: Settings | None = None, database: Database | None = None, **config: object) -> Flask:
    settings = settings if settings is not None else registrar_settings.load()
    database = database if database is not None else Database(settings.database_url)
    app = Flask(__name__)
    app.config.from_mapping(DATABASE_URL=database.engine.url.render_as_string(hide_password=True))
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY and the like; Registrar's own keys are REGISTRAR_* (settings)
    app.config.update(config)  # tests: TESTING, WTF_CSRF_ENABLED ...
    app.extensions["registrar.settings"] = settings
    app.extensions["registrar.db"] = database
    # Templates link to a room only once it is there (a page must never fail on a missing endpoint).
    app.jinja_env.globals["view_functions"] = app.view_functions

    from web import api, auth, health, i18n, officer, public

    i18n.init_app(app)
    auth.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(officer.bp)
    api.init_app(app)
    return app


def database() -> Database:
    """The current app's database."""
    db: Database = current_app.extensions["registrar.db"]
    return db


def settings() -> Settings:
    """The current app's settings."""
    current: Settings = current_app.extensions["registrar.settings"]
    return current
