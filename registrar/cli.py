"""The ``registrar`` command line: every action of the domain, for officers and for scripts.

Errors are one readable line on stderr and a non-zero status, never a traceback.

Start-up is part of the interface (issue 14): a script calls ``registrar`` once per action, so
this module imports click and the standard library only. A command imports the domain when it
runs, and ``registrar --help`` lists the commands of other modules from :data:`_ELSEWHERE`
without importing them (SQLAlchemy, Flask and Celery alone cost more than the 0.3 s a call may).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from registrar.calendar import Resolution
    from registrar.db import Database


def _fails_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except click.UsageError as err:
            # A bad --data / --at found inside the command: one line, like every other error.
            _die(err.format_message(), 2)
        except Exception as err:
            message = _clean(err)
            if message is None:
                raise
            _die(message, 1)

    return run


def _loaded(module: str, name: str) -> type[BaseException] | None:
    # An error class of a module the command never imported cannot have been raised: the check
    # imports nothing (alembic alone would cost 0.3 s on a command that failed without it).
    found = sys.modules.get(module)
    return getattr(found, name, None) if found is not None else None


# What an error that is no bug says, by its class (first match): (module, class, prefix).
_CLEAN = (
    ("registrar.errors", "RegistrarError", None),
    ("registrar.resources", "InstallationError", "installation"),
    ("registrar.settings", "SettingsError", "settings"),
    ("sqlalchemy.exc", "ArgumentError", "database"),  # an unusable --database URL (no such dialect, unparsable)
    ("alembic.util", "CommandError", "database"),  # Alembic: e.g. the database is at a revision this code does not know
)


def _clean(err: Exception) -> str | None:
    """The one line an expected error is said in; None for a bug (its traceback is wanted)."""
    for module, name, prefix in _CLEAN:
        kind = _loaded(module, name)
        if kind is not None and isinstance(err, kind):
            return f"{err.code}: {err}" if prefix is None else f"{prefix}: {_first_line(err)}"  # type: ignore[attr-defined]
    database_errors = tuple(k for k in (_loaded("sqlalchemy.exc", "OperationalError"),
                                        _loaded("sqlalchemy.exc", "ProgrammingError")) if k is not None)  # fmt: skip
    if database_errors and isinstance(err, database_errors):
        orig = getattr(err, "orig", None)
        first = _first_line(orig) if orig else _first_line(err)
        return f"database: {first} (is it set up? run `registrar db upgrade`)"
    return None


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
    if option == "--at":
        from registrar import audit

        # The action is dated by the operator: its audit event keeps the moment it was recorded too.
        click.get_current_context().with_resource(audit.dated_by_caller())
    return moment


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"not valid JSON: {err}", param_hint="'--data'") from None


# The commands of other modules, loaded when one of them runs: by name, where it is and the first
# line of its help (what `registrar --help` shows; tests/registrar/test_cli_part5.py checks each
# against the command's own). The entry points of group ``registrar.commands`` that Registrar
# ships are here too; one another package adds is loaded to be listed.
_ELSEWHERE: dict[str, tuple[str, str]] = {
    "contacts": ("registrar.cli_notifications:contacts",
                 "Where the outbox's recipients are reached: e-mail addresses and webhooks."),
    "notifications": ("registrar.cli_notifications:notifications_group",
                      "The outbox: notifications every action leaves, and their delivery."),
    "users": ("registrar.cli_accounts:users", "Officers' accounts (one role each) and API tokens."),
    "serve": ("web.cli:serve",
              "Serve Registrar over HTTP; without a broker, also sweep deadlines and deliver notifications."),
    "worker": ("workers.cli:worker",
               "Run the deadline sweep and the delivery of notifications on Celery (needs REGISTRAR_BROKER_URL)."),
    "import": ("registrar.cli_import:load_command",
               "Load a past election from DOCUMENT (JSON, docs/import.md): all of it, or nothing and every "
               "refusal with its rules."),
    "export": ("registrar.cli_import:export_command",
               "Write ELECTION_ID's record as an import document (JSON on standard output)."),
}  # fmt: skip


def _load(target: str) -> click.Command:
    module, _, attribute = target.partition(":")
    command: click.Command = getattr(import_module(module), attribute)
    return command


class _Commands(click.Group):
    """The domain's commands, those of the other modules of :data:`_ELSEWHERE`, and those other parts
    of Registrar plug in (``serve``, ``worker``).

    ``web`` and ``workers`` import ``registrar``, never the reverse: they declare their commands
    as entry points (group ``registrar.commands``), loaded only when one of them is run, so
    ``registrar demo`` never imports Flask or Celery.
    """

    def _plugins(self) -> dict[str, str]:
        from importlib.metadata import entry_points  # 25 ms: only to list or to find a plugged command

        return {entry.name: entry.value for entry in entry_points(group="registrar.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_ELSEWHERE, *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        if cmd_name in _ELSEWHERE:
            return _load(_ELSEWHERE[cmd_name][0])
        plugged = self._plugins().get(cmd_name)
        return _load(plugged) if plugged is not None else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click's, with the help of a command elsewhere read from _ELSEWHERE, not by importing it.
        rows = []
        limit = formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        for name in self.list_commands(ctx):
            own = super().get_command(ctx, name)
            if own is None and name in _ELSEWHERE:
                rows.append((name, click.Command(name, help=_ELSEWHERE[name][1]).get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Commands)
@click.option("--database", envvar="REGISTRAR_DATABASE_URL", show_default="sqlite file",
              help="SQLAlchemy URL (REGISTRAR_DATABASE_URL).")  # fmt: skip
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """Registrar: candidate registration for the elections of Kazakhstan, each kind by its rules file."""
    ctx.obj = {"url": database}


def _db(ctx: click.Context) -> Database:
    from registrar.db import Database, database_url

    # Resolved here, not as the option's default: a command that opens no database (calendar,
    # machine, --help) imports no SQLAlchemy.
    return Database(ctx.obj["url"] or database_url())


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
    from registrar.calendar import CalendarError, compute
    from registrar.resources import InstallationError
    from registrar.rules import for_kind, kinds

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
    from registrar.calendar import Resolution

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
    from registrar import machines

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
    from registrar import actions

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
    record: str, id_type: type, perform: str, data_help: str
) -> Callable[[Callable[..., None]], Callable[..., Any]]:
    """Make the command below, declared by its docstring alone, take TRIGGER on a versioned record (a
    candidacy's action, a decision on an election) by ``perform`` ("module:function", imported when
    the command runs), the function the forms and the API call, and print the outcome."""

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
            module, _, function = perform.partition(":")
            outcome = getattr(import_module(module), function)(
                database, subject, trigger, _json(data), actor=actor, expected_version=version, at=_moment(at)
            )
            click.echo(json.dumps(outcome.as_dict(), indent=2))

        return take

    return command


@main.command()
@_trigger_taken("candidacy", int, "registrar.actions:perform", "The action's payload as JSON.")
def act() -> None:
    """Do TRIGGER on a candidacy (the same action the forms and the API call)."""


@main.group()
def election() -> None:
    """Elections."""


_AT_HELP = "The moment it took effect, ISO-8601 with offset (default: now)."


@election.command("announce")
@click.option("--data", required=True, help="JSON: id, title, announced_on, election_day, registered_voters ...")
@click.option("--actor", default="cli", show_default=True)
@click.option("--at", "at", help=_AT_HELP)
@click.pass_context
@_fails_cleanly
def election_announce(ctx: click.Context, data: str, actor: str, at: str | None) -> None:
    """Announce an election; its calendar is computed and its cut-offs recorded."""
    from registrar import actions

    click.echo(actions.announce_election(_db(ctx.find_root()), _json(data), actor=actor, at=_moment(at)))


def _on_election(action: str, data_help: str) -> Callable[[Callable[..., None]], Callable[..., Any]]:
    """Make the command below, declared by its docstring alone, take ``action`` of registrar.actions
    on ELECTION_ID (the function the officer's form and the API call) and print the calendar it
    leaves, or the figures it recorded."""

    def command(declared: Callable[..., None]) -> Callable[..., Any]:
        @click.argument("election_id")
        @click.option("--data", required=True, help=data_help)
        @click.option("--actor", default="cli", show_default=True)
        @click.option("--at", "at", help=_AT_HELP)
        @click.pass_context
        @_fails_cleanly
        @wraps(declared)
        def take(ctx: click.Context, election_id: str, data: str, actor: str, at: str | None) -> None:
            from registrar import actions

            done = getattr(actions, action)(_db(ctx.find_root()), election_id, _json(data), actor=actor, at=_moment(at))
            click.echo(json.dumps(done.to_json() if done is not None else {"election": election_id, "recorded": action},
                                  indent=2))  # fmt: skip

        return take

    return command


@election.command("milestone")
@_on_election("set_milestone", "JSON: milestone, value (ISO-8601 with offset, or a date), number, adopted_on.")
def election_milestone() -> None:
    """Set a milestone of the calendar by CEC resolution (V1); prints the calendar."""


@election.command("extend-nomination")
@_on_election("extend_nomination", "JSON: days, number, adopted_on (of the CEC resolution).")
def election_extend_nomination() -> None:
    """Extend nomination when fewer than two are registered (N7); prints the calendar."""


@election.command("voter-count")
@_on_election("record_voter_count", "JSON: registered_voters, voters_counted_on.")
def election_voter_count() -> None:
    """Record the number of registered voters on the reference date (D4)."""


@election.command("requirements")
@click.argument("election_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@_fails_cleanly
def election_requirements(ctx: click.Context, election_id: str, as_json: bool) -> None:
    """What the election requires of a candidacy: signatures and regions (D4), contribution (D5), declarations (D1)."""
    import dataclasses

    from registrar import requirements

    needed = requirements.of(_db(ctx.find_root()), election_id)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(needed), indent=2, default=str))
        return
    for line in requirements.lines(needed):
        click.echo(line)


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
    from registrar import results

    protocol = results.submit_protocol(_db(ctx.find_root()), election_id, _json(data), actor=actor, at=_moment(at),
                                       correction=correction)  # fmt: skip
    click.echo(json.dumps(protocol, indent=2))


@election.command("decide")
@_trigger_taken("election", str, "registrar.results:perform_election", "The decision's payload as JSON (number, decided_on ...).")
def election_decide() -> None:
    """Take TRIGGER on the election after the vote: establish_results, call_second_round, register_president ... (V4-V7)."""


@election.command("results")
@click.argument("election_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the public results).")
@click.pass_context
@_fails_cleanly
def election_results(ctx: click.Context, election_id: str, as_json: bool) -> None:
    """An election's results: each round's turnout and shares, the President-elect (V4, V5, V7)."""
    from registrar import demo_results, results

    database = _db(ctx.find_root())
    click.echo(json.dumps(results.results(database, election_id), indent=2) if as_json
               else demo_results.summary(database, election_id))  # fmt: skip


@main.group()
def association() -> None:
    """National public associations, which nominate (N1)."""


@association.command("register")
@click.option("--data", required=True, help="JSON: registration_number, name, names, kind, registered_on.")
@click.option("--actor", default="cli", show_default=True)
@click.option("--at", "at", help=_AT_HELP)
@click.pass_context
@_fails_cleanly
def association_register(ctx: click.Context, data: str, actor: str, at: str | None) -> None:
    """Register an association (N1); prints its id."""
    from registrar import actions

    click.echo(actions.register_association(_db(ctx.find_root()), _json(data), actor=actor, at=_moment(at)))


@association.command("rename")
@click.argument("association_id", type=int)
@click.option("--data", required=True, help="JSON: name, names, valid_from.")
@click.option("--actor", default="cli", show_default=True)
@click.option("--at", "at", help=_AT_HELP)
@click.pass_context
@_fails_cleanly
def association_rename(ctx: click.Context, association_id: int, data: str, actor: str, at: str | None) -> None:
    """Record an association's new name from the day it took effect (N1); the old one stays in its history."""
    from registrar import actions

    database = _db(ctx.find_root())
    actions.rename_association(database, association_id, _json(data), actor=actor, at=_moment(at))
    click.echo(f"association {association_id} renamed")


@main.command()
@click.argument("election_id")
@click.option("--data", required=True, help="JSON: association_id, person {...}, decision {...}.")
@click.option("--actor", default="cli", show_default=True)
@click.option("--at", "at", help="ISO-8601 with offset (default: now).")
@click.pass_context
@_fails_cleanly
def nominate(ctx: click.Context, election_id: str, data: str, actor: str, at: str | None) -> None:
    """Record a nomination by an association's supreme body (N1-N5)."""
    from registrar import actions

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
@click.option("--since-checkpoint", "incremental", is_flag=True,
              help="Recompute the chain from the newest signed checkpoint on (checked, with its copy outside), not "
                   "from the first event: the events before it are the checkpoint's word.")  # fmt: skip
@click.pass_context
@_fails_cleanly
def audit_verify(ctx: click.Context, key_path: str | None, kept_path: str | None, records: bool, incremental: bool) -> None:
    """Recompute the hash chain and check it against the signed checkpoints; exit 1 naming the first fault."""
    from registrar import checkpoints, replay
    from registrar.settings import load as load_settings

    settings = load_settings()
    key_file = Path(key_path or settings.audit_key_file)
    key = checkpoints.public_key(key_file) if key_path or key_file.exists() else None
    kept = checkpoints.kept(kept_path or settings.audit_checkpoints_file)
    with _db(ctx.find_root()).reading() as session:
        verdict = checkpoints.verify(session, key, kept, incremental=incremental)
        signed = checkpoints.count(session)
        differ = next(replay.mismatches(session), None) if records and verdict.ok else None
    if not verdict.ok:
        _die(f"audit chain broken: {verdict.problem}", 1)
    if differ is not None:
        _die(f"records differ from the audit trail: {differ}", 1)
    if records:
        click.echo(f"records agree with the trail: {verdict.events} events replayed")
    if verdict.since:
        click.echo(f"audit chain intact: {verdict.events} events, {verdict.events - verdict.since} recomputed after the "
                   f"signed checkpoint of event {verdict.since} ({signed} signed checkpoints)")  # fmt: skip
    elif signed:
        click.echo(f"audit chain intact: {verdict.events} events, {signed} signed checkpoints")
    else:
        click.echo(f"audit chain intact: {verdict.events} events; no signed checkpoint yet, so a shortened chain "
                   "would not be seen (`registrar audit checkpoint`)")  # fmt: skip


@audit_group.command("checkpoint")
@click.pass_context
@_fails_cleanly
def audit_checkpoint(ctx: click.Context) -> None:
    """Sign the chain's head now (the sweep does it every audit.checkpoint_seconds)."""
    from registrar import checkpoints
    from registrar.settings import load as load_settings

    signed = checkpoints.checkpoint(_db(ctx.find_root()), load_settings(), force=True)
    click.echo(f"signed: {signed.seq} events, head {signed.hash[:16]}..." if signed else "nothing new to sign")


@audit_group.command("public-key")
@_fails_cleanly
def audit_public_key() -> None:
    """Print the public key that checks the checkpoints, for observers (PEM)."""
    from registrar import checkpoints
    from registrar.settings import load as load_settings

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
    from registrar import actions, sweep

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
    from registrar import actions, sweep
    from registrar.settings import load as load_settings

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


if __name__ == "__main__":
    main()
