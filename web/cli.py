"""``registrar serve``: the web app, and on the single-machine default the deadline sweep beside it.

Without a broker (``broker.url`` empty) nothing else would fire deadlines or send the outbox,
so this process runs :mod:`registrar.runtime` in a thread; with a broker, ``registrar worker``
(Celery) does, and this process only serves. It migrates the database first, so a fresh
machine needs only this command. SIGTERM is taken as Ctrl-C: requests in flight finish, the
sweep thread ends its round, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import replace
from types import FrameType
from typing import NoReturn

import click
from alembic.util import CommandError
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from registrar import installation, logs, runtime
from registrar import settings as registrar_settings
from registrar.db import Database
from registrar.models import Election
from registrar.resources import InstallationError
from web import create_app

log = logging.getLogger("registrar.serve")

# Long enough for a sweep batch to commit; short of the 10 s a container runtime grants before SIGKILL.
STOP_TIMEOUT_SECONDS = 8


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("--demo", is_flag=True, help="Build the demo election first if the database has no election yet.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, demo: bool) -> None:
    """Serve Registrar over HTTP; without a broker, also sweep deadlines and deliver notifications."""
    try:
        settings = registrar_settings.load()
        installation.check()
        root = ctx.find_root()
        if root.get_parameter_source("database") == click.core.ParameterSource.COMMANDLINE:
            settings = replace(settings, database_url=root.params["database"])
        logs.configure(settings)
        database = Database(settings.database_url)
        database.upgrade()
        if demo:
            _demo(database)
    except registrar_settings.SettingsError as err:
        _die(f"settings: {err}")
    except InstallationError as err:
        _die(f"installation: {err}")
    except (ArgumentError, CommandError, SQLAlchemyError) as err:
        _die(f"database: {_first_line(err)}")

    app = create_app(settings, database)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    runner = None
    if settings.broker_url:
        log.info("a broker is configured: the Celery worker (`registrar worker`) sweeps deadlines and delivers "
                 "notifications; this process only serves", extra={"broker": _masked(settings.broker_url)})  # fmt: skip
    else:
        log.info("no broker configured: deadlines are swept and notifications delivered in-process every %ss",
                 settings.sweep_interval_seconds, extra={"sweep_interval_seconds": settings.sweep_interval_seconds})  # fmt: skip
        runner = runtime.start(database, settings)
    try:
        _serve(app, host, port)
    finally:
        log.info("stopping")
        if runner is not None:
            runner.stop(STOP_TIMEOUT_SECONDS)
        database.dispose()
        log.info("stopped")


def _serve(app: Flask, host: str, port: int) -> None:
    """Waitress when installed (a production WSGI server); werkzeug's threaded server otherwise."""
    try:
        from waitress.server import create_server
    except ImportError:
        from werkzeug.serving import make_server

        server = make_server(host, port, app, threaded=True)
        log.info("serving on http://%s:%s (werkzeug; install waitress for production)", host, server.server_port,
                 extra={"url": f"http://{host}:{server.server_port}", "server": "werkzeug"})  # fmt: skip
        server.serve_forever()  # returns on KeyboardInterrupt (Ctrl-C, or SIGTERM below), the socket closed
        return
    waitress = create_server(app, host=host, port=port, ident="registrar")
    log.info("serving on http://%s:%s", host, waitress.effective_port,
             extra={"url": f"http://{host}:{waitress.effective_port}", "server": "waitress"})  # fmt: skip
    try:
        waitress.run()  # returns on KeyboardInterrupt, once its threads have finished their requests
    finally:
        waitress.close()


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # One is enough: a second SIGTERM during the shutdown must not interrupt the shutdown itself.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _demo(database: Database) -> None:
    from registrar import demo

    with database.reading() as session:
        has_election = session.scalar(select(Election.id).limit(1)) is not None
    if has_election:
        log.info("--demo: the database already holds an election; the demo is not built")
        return
    election_id = demo.build(database)
    log.info("built the demo election %s", election_id, extra={"election": election_id})
    logins, password = demo.officers(database)
    # Shown once, to whoever started the demo (the password is stored hashed): a demo's only.
    log.info("demo officers: %s; password: %s", ", ".join(logins), password, extra={"logins": logins})


def _masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


def _first_line(err: BaseException) -> str:
    cause = getattr(err, "orig", None) or err
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def _die(message: str) -> NoReturn:
    click.echo(f"registrar: {message}", err=True)
    sys.exit(1)
