"""``registrar worker``: the Celery worker for :mod:`workers.app`, optionally with beat inside.

Plugged into ``registrar`` as an entry point (group ``registrar.commands``). Errors are one
line on stderr and a non-zero status, like every other ``registrar`` command.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click
from click.core import ParameterSource

from registrar import installation
from registrar import settings as registrar_settings
from registrar.resources import InstallationError

BROKER_SCHEMES = ("redis://", "rediss://", "redis+socket://")


def _die(message: str) -> NoReturn:
    click.echo(f"registrar worker: {message}", err=True)
    sys.exit(1)


@click.command()
@click.option(
    "--beat/--no-beat",
    default=False,
    show_default=True,
    help="Run the beat scheduler inside this worker. Exactly one beat may run: use it on one machine only.",
)
@click.option("--concurrency", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per CPU).")
@click.option("--loglevel", default=None, help="DEBUG, INFO, WARNING ... (default: [logging] level).")
@click.pass_context
def worker(ctx: click.Context, beat: bool, concurrency: int | None, loglevel: str | None) -> None:
    """Run the deadline sweep and the delivery of notifications on Celery (needs REGISTRAR_BROKER_URL)."""
    parent = ctx.parent
    if parent is not None and parent.get_parameter_source("database") is ParameterSource.COMMANDLINE:
        # `registrar --database URL worker`: the app reads its settings from the environment.
        os.environ["REGISTRAR_DATABASE_URL"] = parent.params["database"]
    try:
        settings = registrar_settings.load()
        installation.check()
    except registrar_settings.SettingsError as err:
        _die(f"settings: {err}")
    except InstallationError as err:
        _die(f"installation: {err}")
    if not settings.broker_url:
        _die("no broker: set REGISTRAR_BROKER_URL (e.g. redis://127.0.0.1:6379/0) or [broker] url in the settings; "
             "without a broker `registrar serve` runs the sweep in-process")  # fmt: skip
    if not settings.broker_url.startswith(BROKER_SCHEMES):
        _die(f"the broker must be Redis (redis://...), not {settings.broker_url.split('://', 1)[0]!r}")

    from workers.app import app  # reads the settings, so only once they are known to be usable

    argv = ["worker", f"--loglevel={loglevel or settings.log_level}", "--without-gossip", "--without-mingle"]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv.append("--beat")
    app.worker_main(argv)
