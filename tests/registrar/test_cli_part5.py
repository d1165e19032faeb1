"""Issue 14, part 5: every action an officer takes on an election or an association, from the
command line, at the moment given (--at); and a call that costs little before it does anything."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import click
import pytest
from sqlalchemy import select

from registrar import audit, cli, public, requirements
from registrar.models import AuditEvent, Election

from .conftest import ELECTION_ID, World
from .test_cli import fails_in_one_line, run, url_of

AT = "2029-09-02T10:00:00+05:00"


def last_event(world: World) -> AuditEvent:
    with world.db.reading() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        session.expunge(event)
        return event


def test_v1_election_milestone_at_a_moment(world: World) -> None:
    data = {"milestone": "registration_closes", "value": "2029-10-20T18:00:00", "number": "CEC-17/2029",
            "adopted_on": "2029-09-01"}  # fmt: skip
    result = run("election", "milestone", ELECTION_ID, "--data", json.dumps(data), "--at", AT, database=url_of(world.db))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["registration_closes"] == "2029-10-20T18:00:00+05:00"
    event = last_event(world)
    assert (event.action, event.actor, event.at) == ("set_milestone", "cli", dt.datetime.fromisoformat(AT))


def test_n7_election_extend_nomination_after_the_close(world: World) -> None:
    world.walk(world.nominate(), "registered")
    after = (world.calendar.registration_closes + dt.timedelta(hours=20)).isoformat()
    data = json.dumps({"days": 10, "number": "CEC-N7", "adopted_on": "2029-10-17"})
    refused = run("election", "extend-nomination", ELECTION_ID, "--data", data, "--at", "2029-10-01T10:00:00+05:00",
                  database=url_of(world.db))  # fmt: skip
    assert "N7" in fails_in_one_line(refused, 1)
    result = run("election", "extend-nomination", ELECTION_ID, "--data", data, "--at", after, database=url_of(world.db))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["registration_closes"] == "2029-10-26T18:00:00+05:00"


def test_d4_election_voter_count_and_the_requirements(world: World) -> None:
    data = json.dumps({"registered_voters": 12_100_001, "voters_counted_on": "2029-08-24"})
    result = run("election", "voter-count", ELECTION_ID, "--data", data, "--at", AT, database=url_of(world.db))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"election": ELECTION_ID, "recorded": "record_voter_count"}
    assert last_event(world).at == dt.datetime.fromisoformat(AT)
    assert audit.recorded_apart(last_event(world)) is not None, "dated by the operator: the moment recorded is kept too"
    shown = run("election", "requirements", ELECTION_ID, "--json", database=url_of(world.db))
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["signatures"]["required"] == 121_001
    text = run("election", "requirements", ELECTION_ID, database=url_of(world.db)).output
    assert text.splitlines() == requirements.lines(requirements.of(world.db, ELECTION_ID))
    assert "121001 signatures" in text and "at least 14 of the 20 regions" in text


def test_election_announce_at_a_moment(world: World) -> None:
    data = {"id": "kz-2029-b", "title": "Another", "kind": "presidential", "announced_on": "2029-08-24",
            "election_day": "2029-11-25"}  # fmt: skip
    result = run("election", "announce", "--data", json.dumps(data), "--at", "2029-08-24T12:00:00+05:00",
                 database=url_of(world.db))  # fmt: skip
    assert (result.exit_code, result.output.strip()) == (0, "kz-2029-b"), result.output
    with world.db.reading() as session:
        assert session.get(Election, "kz-2029-b") is not None
    assert last_event(world).at == dt.datetime(2029, 8, 24, 7, tzinfo=dt.UTC)


def test_n1_association_register_and_rename(world: World) -> None:
    data = {"registration_number": "N-900", "name": "New Association", "kind": "national", "registered_on": "2020-01-01"}
    result = run("association", "register", "--data", json.dumps(data), "--at", AT, database=url_of(world.db))
    assert result.exit_code == 0, result.output
    association = int(result.output)
    new_name = json.dumps({"name": "Renamed", "valid_from": "2029-09-01"})
    renamed = run("association", "rename", str(association), "--data", new_name, "--at", AT, database=url_of(world.db))
    assert renamed.exit_code == 0, renamed.output
    assert {a.id: a.name for a in public.associations(world.db)}[association] == "Renamed"
    assert last_event(world).action == "rename_association"


@pytest.mark.parametrize("args, status, says", [
    (["association", "register", "--data", "{}"], 1, "invalid"),
    (["association", "rename", "9999", "--data", '{"name": "X", "valid_from": "2029-09-01"}'], 1, "not_found"),
    (["election", "milestone", "no-such", "--data", "{}"], 1, "not_found"),
    (["election", "voter-count", ELECTION_ID, "--data", "not json"], 2, "--data"),
    (["election", "voter-count", ELECTION_ID, "--data", "{}", "--at", "2029-09-02T10:00"], 2, "--at"),
    (["election", "requirements", "no-such"], 1, "not_found"),
])  # fmt: skip
def test_each_refusal_is_one_line(world: World, args: list[str], status: int, says: str) -> None:
    assert says in fails_in_one_line(run(*args, database=url_of(world.db)), status)


def test_the_commands_listed_without_importing_them_have_their_own_help() -> None:
    context = click.Context(cli.main)
    for name, (target, said) in cli._ELSEWHERE.items():
        if name in ("serve", "worker"):  # web and workers: checked where their packages are tested too
            pytest.importorskip(target.partition(".")[0])
        command = cli._load(target)
        assert command.help is not None and command.help.split("\n\n")[0].replace("\n", " ") == said, name
        assert cli.main.get_command(context, name) is command


def test_help_and_a_command_without_a_database_import_no_sqlalchemy() -> None:
    # What start-up costs is measured by bench/cli.py; here, that the heavy imports are not made at all.
    probe = (
        "import sys\n"
        "from registrar.cli import main\n"
        "for args in (['--help'], ['calendar', '--announced', '2029-08-24', '--election-day', '2029-11-25', '--json']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'flask', 'celery', 'alembic', 'weasyprint') if m in sys.modules)\n"
        "print(heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"
