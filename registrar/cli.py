"""The ``registrar`` command line: every action of the domain, for officers and for scripts.

Errors are one readable line on stderr and a non-zero status, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
from alembic.util import CommandError
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from registrar import actions, checkpoints, machines, replay, results, sweep
from registrar.calendar import CalendarError, Resolution, compute
from registrar.db import Database, database_url
from registrar.errors import RegistrarError
from registrar.resources import InstallationError
from registrar.rules import for_kind, kinds
from registrar.settings import SettingsError
from registrar.settings import load as load_settings


def _fails_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RegistrarError as err:
            _die(f"{err.code}: {err}", 1)
        except InstallationError as err:
            _die(f"installation: {err}", 1)
        except SettingsError as err:
            _die(f"settings: {err}", 1)
        except click.UsageError as err:
            # A bad --data / --at found inside the command: one line, like every other error.
            _die(err.format_message(), 2)
        except ArgumentError as err:  # an unusable --database URL (no such dialect, unparsable)
            _die(f"database: {_first_line(err)}", 1)
        except CommandError as err:  # Alembic: e.g. the database is at a revision this code does not know
            _die(f"database: {_first_line(err)}", 1)
        except (OperationalError, ProgrammingError) as err:
            first = _first_line(err.orig) if err.orig else _first_line(err)
            _die(f"database: {first} (is it set up? run `registrar db upgrade`)", 1)

    return run


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def _die(message: str, status: int) -> None:
    click.echo(f"registrar: {message}", err=True)
    sys.exit(status)


def _moment(value: str | None, option: str = "--at") -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as err:
        raise click.BadParameter(f"not an ISO-8601 moment: {err}", param_hint=f"'{option}'") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the UTC offset, e.g. 2029-10-15T12:00:00+05:00", param_hint=f"'{option}'")
    return moment


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"not valid JSON: {err}", param_hint="'--data'") from None


class _Commands(click.Group):
    """The domain's commands, and those other parts of Registrar plug in (``serve``, ``worker``).

    ``web`` and ``workers`` import ``registrar``, never the reverse: they declare their commands
    as entry points (group ``registrar.commands``), loaded only when one of them is run, so
    ``registrar demo`` never imports Flask or Celery.
    """

    def _plugins(self) -> dict[str, Any]:
        return {entry.name: entry for entry in entry_points(group="registrar.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in (plugins := self._plugins()):
            loaded: click.Command = plugins[cmd_name].load()
            return loaded
        return command


@click.group(cls=_Commands)
@click.option("--database", envvar="REGISTRAR_DATABASE_URL", default=database_url, show_default="sqlite file",
              help="SQLAlchemy URL (REGISTRAR_DATABASE_URL).")  # fmt: skip
@click.pass_context
def main(ctx: click.Context, database: str) -> None:
    """Registrar: candidate registration for the elections of Kazakhstan, each kind by its rules file."""
    ctx.obj = {"url": database}


def _db(ctx: click.Context) -> Database:
    return Database(ctx.obj["url"])


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.pass_context
@_fails_cleanly
def db_upgrade(ctx: click.Context) -> None:
    """Apply the migrations up to the newest."""
    database = _db(ctx.parent)  # type: ignore[arg-type]
    database.upgrade()
    click.echo(f"database at the newest revision: {database.engine.url.render_as_string(hide_password=True)}")


@main.command()
@click.option("--announced", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Announcement date.")
@click.option("--election-day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Election day.")
@click.option("--set", "settings", multiple=True, metavar="NAME=ISO-DATETIME", help="A CEC-set milestone (V1).")
@click.option("--kind", help="Election kind (its rules file); may be left out where only one is installed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def calendar(
    announced: dt.datetime, election_day: dt.datetime, settings: tuple[str, ...], kind: str | None, as_json: bool
) -> None:
    """Compute an election calendar (milestones in local time, with the UTC offset)."""
    try:
        installed = kinds()
        if kind is None and len(installed) != 1:
            raise ValueError(f"--kind: which election kind? one of {', '.join(installed)}")
        rules = for_kind(kind or installed[0])
        resolutions = [_setting(text, rules.zone) for text in settings]
        result = compute(announced.date(), election_day.date(), rules, resolutions)
    except InstallationError as err:  # a rules file missing or broken: the installation's fault, not the asker's
        _die(f"installation: {err}", 1)
        return
    except (CalendarError, ValueError) as err:
        _die(str(err), 2)
        return
    if as_json:
        click.echo(json.dumps(result.to_json()))
        return
    click.echo(f"{rules.title}: announced {announced.date()}, election day {election_day.date()} ({rules.T1.timezone})")
    for name, value in result.to_json().items():
        mark = "  (CEC-set)" if result.set_by(name) else ""
        click.echo(f"  {name:<20} {value}{mark}")


def _setting(text: str, zone: Any) -> Resolution:
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"--set {text!r}: expected NAME=ISO-DATETIME")
    parsed: dt.date | dt.datetime
    try:
        parsed = dt.date.fromisoformat(value) if name == "declarations_as_of" else dt.datetime.fromisoformat(value)
    except ValueError as err:
        raise ValueError(f"--set {text!r}: {err}") from None
    if isinstance(parsed, dt.datetime) and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return Resolution(name, parsed, "command line", dt.date.today())


@main.command()
@click.option("--mermaid", is_flag=True, required=True, help="Print the candidacy machine as a Mermaid diagram.")
def machine(mermaid: bool) -> None:
    """The candidacy state machine."""
    click.echo(machines.mermaid())


@main.group()
def candidacy() -> None:
    """Candidacies."""


@candidacy.command("show")
@click.argument("candidacy_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_fails_cleanly
def candidacy_show(ctx: click.Context, candidacy_id: int, as_json: bool) -> None:
    """A candidacy: state, version, allowed actions, documents, deadlines, history."""
    view = actions.show_candidacy(_db(ctx.find_root()), candidacy_id)
    if as_json:
        click.echo(json.dumps(view, indent=2))
        return
    click.echo(f"#{view['id']} {view['person']} ({view['association']}), election {view['election']}")
    click.echo(f"  state {view['state']} since {view['state_since']}, version {view['version']}, phase {view['phase']}")
    if view["certificate"]:
        click.echo(f"  certificate {view['certificate']}")
    click.echo("  documents: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in view["documents"].items()))
    for d in view["deadlines"]:
        click.echo(f"  deadline {d['kind']} ({d['rule']}) due {d['due_local']}")
    click.echo("  may now: " + (", ".join(view["allowed"]) or "nothing (final)"))
    for e in view["history"]:
        click.echo(f"  [{e['seq']}] {e['at']} {e['actor']}: {e['action']} {e['from'] or ''} -> {e['to']}")


def _trigger_taken(
    record: str, id_type: type, perform: Callable[..., Any], data_help: str
) -> Callable[[Callable[..., None]], Callable[..., Any]]:
    """Make the command below, declared by its docstring alone, take TRIGGER on a versioned record (a
    candidacy's action, a decision on an election) by ``perform``, the function the forms and the API
    call, and print the outcome."""

    def command(declared: Callable[..., None]) -> Callable[..., Any]:
        @click.argument("subject", metavar=f"{record.upper()}_ID", type=id_type)
        @click.argument("trigger")
        @click.option("--data", default="{}", help=data_help)
        @click.option("--version", type=int, help=f"The {record}'s version you read (optimistic lock).")
        @click.option("--actor", default="cli", show_default=True)
        @click.option("--at", "at", help="The moment it is taken, ISO-8601 with offset (default: now).")
        @click.pass_context
        @_fails_cleanly
        @wraps(declared)  # its name and its docstring, the command's help
        def take(
            ctx: click.Context, subject: Any, trigger: str, data: str, version: int | None, actor: str, at: str | None
        ) -> None:
            database = _db(ctx.find_root())
            outcome = perform(database, subject, trigger, _json(data), actor=actor, expected_version=version, at=_moment(at))
            click.echo(json.dumps(outcome.as_dict(), indent=2))

        return take

    return command


@main.command()
@_trigger_taken("candidacy", int, actions.perform, "The action's payload as JSON.")
def act() -> None:
    """Do TRIGGER on a candidacy (the same action the forms and the API call)."""


@main.group()
def election() -> None:
    """Elections."""


@election.command("announce")
@click.option("--data", required=True, help="JSON: id, title, announced_on, election_day, registered_voters ...")
@click.option("--actor", default="cli", show_default=True)
@click.pass_context
@_fails_cleanly
def election_announce(ctx: click.Context, data: str, actor: str) -> None:
    """Announce an election; its calendar is computed and its cut-offs recorded."""
    click.echo(actions.announce_election(_db(ctx.find_root()), _json(data), actor=actor))


@election.command("protocol")
@click.argument("election_id")
@click.option(
    "--data",
    required=True,
    help="JSON: unit, voters_on_list, ballots_issued, ballots_cast, invalid_ballots, "
    "votes {candidacy id: n}, against_all, chair, members_signed, signed_on ...",
)
@click.option("--correction", is_flag=True, help="A corrected protocol: a new version; --data needs a reason.")
@click.option("--actor", default="cli", show_default=True)
@click.option("--at", "at", help="ISO-8601 with offset (default: now).")
@click.pass_context
@_fails_cleanly
def election_protocol(ctx: click.Context, election_id: str, data: str, correction: bool, actor: str, at: str | None) -> None:
    """Record a territorial commission's protocol of the count (V3)."""
    protocol = results.submit_protocol(_db(ctx.find_root()), election_id, _json(data), actor=actor, at=_moment(at),
                                       correction=correction)  # fmt: skip
    click.echo(json.dumps(protocol, indent=2))


@election.command("decide")
@_trigger_taken("election", str, results.perform_election, "The decision's payload as JSON (number, decided_on ...).")
def election_decide() -> None:
    """Take TRIGGER on the election after the vote: establish_results, call_second_round, register_president ... (V4-V7)."""


@election.command("results")
@click.argument("election_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the public results).")
@click.pass_context
@_fails_cleanly
def election_results(ctx: click.Context, election_id: str, as_json: bool) -> None:
    """An election's results: each round's turnout and shares, the President-elect (V4, V5, V7)."""
    from registrar import demo_results

    database = _db(ctx.find_root())
    click.echo(json.dumps(results.results(database, election_id), indent=2) if as_json
               else demo_results.summary(database, election_id))  # fmt: skip


@main.command()
@click.argument("election_id")
@click.option("--data", required=True, help="JSON: association_id, person {...}, decision {...}.")
@click.option("--actor", default="cli", show_default=True)
@click.option("--at", "at", help="ISO-8601 with offset (default: now).")
@click.pass_context
@_fails_cleanly
def nominate(ctx: click.Context, election_id: str, data: str, actor: str, at: str | None) -> None:
    """Record a nomination by an association's supreme body (N1-N5)."""
    outcome = actions.nominate(_db(ctx.find_root()), election_id, _json(data), actor=actor, at=_moment(at))
    click.echo(json.dumps(outcome.as_dict(), indent=2))


@main.group()
def audit_group() -> None:
    """The audit trail."""


main.add_command(audit_group, "audit")


@audit_group.command("verify")
@click.option("--public-key", "key_path", type=click.Path(dir_okay=False),
              help="The key that checks the checkpoints' signatures: a public key's PEM, or the signing key "
                   "(default: audit.key_file).")  # fmt: skip
@click.option("--checkpoints", "kept_path", type=click.Path(dir_okay=False),
              help="Checkpoints kept outside the database, one JSON object a line, e.g. copied from "
                   "/audit/checkpoints (default: audit.checkpoints_file).")  # fmt: skip
@click.option("--records", is_flag=True, help="Also replay the trail against the records: each candidacy's state, "
              "its candidate, decisions and certificates, each election's phase, each protocol.")  # fmt: skip
@click.pass_context
@_fails_cleanly
def audit_verify(ctx: click.Context, key_path: str | None, kept_path: str | None, records: bool) -> None:
    """Recompute the hash chain and check it against the signed checkpoints; exit 1 naming the first fault."""
    settings = load_settings()
    key_file = Path(key_path or settings.audit_key_file)
    key = checkpoints.public_key(key_file) if key_path or key_file.exists() else None
    kept = checkpoints.kept(kept_path or settings.audit_checkpoints_file)
    with _db(ctx.find_root()).reading() as session:
        verdict = checkpoints.verify(session, key, kept)
        signed = checkpoints.count(session)
        differ = next(replay.mismatches(session), None) if records and verdict.ok else None
    if not verdict.ok:
        _die(f"audit chain broken: {verdict.problem}", 1)
    if differ is not None:
        _die(f"records differ from the audit trail: {differ}", 1)
    if records:
        click.echo(f"records agree with the trail: {verdict.events} events replayed")
    if signed:
        click.echo(f"audit chain intact: {verdict.events} events, {signed} signed checkpoints")
    else:
        click.echo(f"audit chain intact: {verdict.events} events; no signed checkpoint yet, so a shortened chain "
                   "would not be seen (`registrar audit checkpoint`)")  # fmt: skip


@audit_group.command("checkpoint")
@click.pass_context
@_fails_cleanly
def audit_checkpoint(ctx: click.Context) -> None:
    """Sign the chain's head now (the sweep does it every audit.checkpoint_seconds)."""
    signed = checkpoints.checkpoint(_db(ctx.find_root()), load_settings(), force=True)
    click.echo(f"signed: {signed.seq} events, head {signed.hash[:16]}..." if signed else "nothing new to sign")


@audit_group.command("public-key")
@_fails_cleanly
def audit_public_key() -> None:
    """Print the public key that checks the checkpoints, for observers (PEM)."""
    click.echo(checkpoints.public_pem(checkpoints.KeyFile(load_settings().audit_key_file).public), nl=False)


@main.group("deadlines")
def deadlines_group() -> None:
    """The law's deadlines: what is due, and the sweep that enforces them."""


def _lag_line(health: dict[str, Any]) -> str:
    oldest = health["oldest_overdue_due_at"] or "none"
    return (f"pending {health['pending']}, overdue {health['overdue']}, oldest overdue {oldest}, "
            f"lag {health['lag_seconds']:.0f} s")  # fmt: skip


@deadlines_group.command("list")
@click.option("--due-before", "due_before", required=True, help="Due by this moment (ISO-8601 with offset).")
@click.option("--limit", type=int, default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@_fails_cleanly
def deadlines_list(ctx: click.Context, due_before: str, limit: int, as_json: bool) -> None:
    """Pending deadlines due by --due-before, in the order the sweep fires them, and the sweep's lag now."""
    database = _db(ctx.find_root())
    moment = _moment(due_before, "--due-before")
    assert moment is not None
    rows = sweep.due(database, moment, limit=limit)
    health = sweep.health(database, actions.now())
    if as_json:
        click.echo(json.dumps({"due": rows, "health": health}, indent=2))
        return
    for row in rows:
        click.echo(f"{row['due_local']}  {row['kind']} ({row['rule']})  {row['subject']}  {row['effect']}")
    click.echo(f"{len(rows)} due by {moment.isoformat()}; now: {_lag_line(health)}")


@deadlines_group.command("sweep")
@click.option("--now", "now", help="Sweep as of this moment (ISO-8601 with offset; default: now).")
@click.option("--dry-run", is_flag=True, help="Say what would fire, change nothing.")
@click.option("--batch", type=click.IntRange(min=1), default=5000, show_default=True)
@click.pass_context
@_fails_cleanly
def deadlines_sweep(ctx: click.Context, now: str | None, dry_run: bool, batch: int) -> None:
    """Fire every deadline due (each effect once, as of its due time) and send due reminders."""
    database = _db(ctx.find_root())
    moment = _moment(now, "--now") or actions.now()
    report = sweep.sweep(database, moment, batch=batch, settings=load_settings(), dry_run=dry_run)
    verb = "would fire" if dry_run else "fired"
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(report.fired.items())) or "nothing"
    click.echo(f"{verb} {report.total} as of {moment.isoformat()}: {kinds}")
    if not dry_run:
        click.echo(f"reminders sent: {report.reminded}; now: {_lag_line(sweep.health(database, moment))}")


@main.command()
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Build the demo as of this day (default: today).")
@click.pass_context
@_fails_cleanly
def demo(ctx: click.Context, today: dt.datetime | None) -> None:
    """Set up the database with a realistic demo election and print its state."""
    from registrar import demo as demo_world
    from registrar import demo_results

    database = _db(ctx.find_root())
    database.upgrade()
    election_id = demo_world.build(database, today.date() if today else None)
    click.echo(demo_world.summary(database, election_id))
    click.echo(demo_results.summary(database))


from registrar.cli_notifications import contacts, notifications_group  # noqa: E402 - they use the helpers above

main.add_command(contacts)
main.add_command(notifications_group)
main.add_command(__import__("registrar.cli_accounts").cli_accounts.users)  # `registrar users`: accounts and tokens

if __name__ == "__main__":
    main()
