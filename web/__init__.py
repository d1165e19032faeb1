"""Registrar on the web (Flask): an app factory in the flaskr style; views a few lines, calling ``registrar``.

``create_app()`` reads the installation's settings (``config/registrar.toml`` and the
``REGISTRAR_*`` environment) unless given them; tests pass their own ``Settings`` and
``Database``. The database lives on ``app.extensions["registrar.db"]``, the settings on
``app.extensions["registrar.settings"]``; views reach them through :func:`database` and
:func:`settings`.
"""

from __future__ import annotations

from flask import Flask, current_app

from registrar import settings as registrar_settings
from registrar.db import Database
from registrar.settings import Settings


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings if settings is not None else registrar_settings.load()
    database = database if database is not None else Database(settings.database_url)
    app = Flask(__name__)
    app.config.from_mapping(DATABASE_URL=database.engine.url.render_as_string(hide_password=True))
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY and the like; Registrar's own keys are REGISTRAR_* (settings)
    app.extensions["registrar.settings"] = settings
    app.extensions["registrar.db"] = database

    from web import health

    app.register_blueprint(health.bp)
    return app


def database() -> Database:
    """The current app's database."""
    db: Database = current_app.extensions["registrar.db"]
    return db


def settings() -> Settings:
    """The current app's settings."""
    current: Settings = current_app.extensions["registrar.settings"]
    return current
