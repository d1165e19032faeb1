"""``registrar contacts`` and ``registrar notifications``: who is told, and the outbox's delivery.

Errors are one readable line on stderr and a non-zero status, as for every ``registrar`` command.
``registrar.cli`` adds these two groups to its ``main``; so that either module may be imported
first, this one looks up the shared helpers of ``registrar.cli`` when a command runs, not at
import.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from registrar import notifications
from registrar.db import Database
from registrar.settings import SettingsError, load


def _fails_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from registrar import cli

        try:
            return cli._fails_cleanly(command)(*args, **kwargs)
        except SettingsError as err:
            cli._die(f"settings: {err}", 1)

    return run


def _db(ctx: click.Context) -> Database:
    from registrar import cli

    return cli._db(ctx.find_root())


def _now(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as err:
        raise click.BadParameter(f"not an ISO-8601 moment: {err}", param_hint="'--now'") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the UTC offset, e.g. 2029-10-15T12:00:00+05:00", param_hint="'--now'")
    return moment


def _listed(rows: list[dict[str, Any]], line: Callable[[dict[str, Any]], str], none: str, as_json: bool = False) -> None:
    """A listing: a line a row (``none`` when there is no row), or with --json one JSON array."""
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(none)
    for row in rows:
        click.echo(line(row))


_AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")


@click.group()
def contacts() -> None:
    """Where the outbox's recipients are reached: e-mail addresses and webhooks."""


@contacts.command("add")
@click.option(
    "--recipient",
    required=True,
    help='"cec", "association:<id>", "candidate:<id>", "organisation:<name>" '
    'or "commission:<unit code>" (a territorial commission).',
)
@click.option("--channel", required=True, type=click.Choice(notifications.CHANNELS), help="How the recipient is reached.")
@click.option("--address", required=True, help="An e-mail address, or the webhook's http(s) URL.")
@click.option("--language", default="kk", show_default=True, type=click.Choice(notifications.LANGUAGES))
@click.option("--secret", help="The webhook's signing key (16 characters or more); webhooks only.")
@click.option("--actor", default="cli", show_default=True)
@click.pass_context
@_fails_cleanly
def contacts_add(ctx: click.Context, recipient: str, channel: str, address: str, language: str, secret: str | None,
                 actor: str) -> None:  # fmt: skip
    """Add a contact; every notification to its recipient is sent to it from now on."""
    payload = {"recipient": recipient, "channel": channel, "address": address, "language": language}
    if secret is not None:
        payload["secret"] = secret
    contact_id = notifications.add_contact(_db(ctx), payload, actor=actor)
    click.echo(f"contact #{contact_id}: {recipient} by {channel} at {address} ({language})")


@contacts.command("list")
@click.option("--recipient", help="Only this recipient's contacts.")
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated contacts.")
@_AS_JSON
@click.pass_context
@_fails_cleanly
def contacts_list(ctx: click.Context, recipient: str | None, include_inactive: bool, as_json: bool) -> None:
    """The contacts (webhook secrets are never shown)."""
    rows = notifications.list_contacts(_db(ctx), recipient=recipient, include_inactive=include_inactive)
    _listed(rows, _contact_line, "no contacts", as_json)


def _contact_line(row: dict[str, Any]) -> str:
    flags = ("" if row["active"] else "  (inactive)") + ("  (signed)" if row["signed"] else "")
    return f"#{row['id']:<4} {row['recipient']:<24} {row['channel']:<8} {row['language']}  {row['address']}{flags}"


@contacts.command("deactivate")
@click.argument("contact_id", type=int)
@click.option("--actor", default="cli", show_default=True)
@click.pass_context
@_fails_cleanly
def contacts_deactivate(ctx: click.Context, contact_id: int, actor: str) -> None:
    """Stop sending to a contact (its delivery log stays)."""
    notifications.deactivate_contact(_db(ctx), contact_id, actor=actor)
    click.echo(f"contact #{contact_id} deactivated")


@click.group("notifications")
def notifications_group() -> None:
    """The outbox: notifications every action leaves, and their delivery."""


@notifications_group.command("deliver")
@click.option("--now", "now", help="Deliver what is due at this moment, ISO-8601 with offset (default: now).")
@click.pass_context
@_fails_cleanly
def notifications_deliver(ctx: click.Context, now: str | None) -> None:
    """Send the due notifications once (settings from config/registrar.toml and REGISTRAR_*)."""
    report = notifications.deliver_due(_db(ctx), _now(now), settings=load())
    click.echo(", ".join(f"{name.replace('_', ' ')} {count}" for name, count in report.as_dict().items()))


@notifications_group.command("list")
@click.option("--status", type=click.Choice(notifications.STATUSES), help="Only messages in this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@_AS_JSON
@click.pass_context
@_fails_cleanly
def notifications_list(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """The newest outbox messages, newest first."""
    _listed(notifications.list_messages(_db(ctx), status=status, limit=limit), _message_line, "no messages", as_json)


def _message_line(row: dict[str, Any]) -> str:
    line = f"#{row['id']:<6} {row['status']:<10} {row['delivery_key']:<30} {row['topic']}  attempts {row['attempts']}"
    if row["status"] == "pending" and row["next_attempt_at"]:
        line += f", next {row['next_attempt_at']}"
    if row["last_error"]:
        line += f"  last error: {row['last_error']}"
    return line


@notifications_group.command("log")
@click.argument("outbox_id", type=int)
@click.pass_context
@_fails_cleanly
def notifications_log(ctx: click.Context, outbox_id: int) -> None:
    """Every attempt to send one message."""
    _listed(notifications.delivery_log(_db(ctx), outbox_id), _attempt_line, f"no attempts for message #{outbox_id}")


def _attempt_line(row: dict[str, Any]) -> str:
    outcome = "ok" if row["ok"] else "FAILED"
    return f"{row['at']}  attempt {row['attempt']}  {row['channel']} {row['address']}  {outcome}  {row['detail']}"


@notifications_group.command("requeue")
@click.option("--status", required=True, type=click.Choice(["failed", "no_contact"]))
@click.option("--recipient", help="Only this recipient's messages.")
@click.pass_context
@_fails_cleanly
def notifications_requeue(ctx: click.Context, status: str, recipient: str | None) -> None:
    """Send failed or uncontactable messages again (after fixing the endpoint or adding a contact)."""
    count = notifications.requeue(_db(ctx), status=status, recipient=recipient)
    click.echo(f"{count} message(s) back in the queue")
