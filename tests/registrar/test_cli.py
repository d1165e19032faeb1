"""The ``registrar`` command line: its calendar contract, the demo, and the actions, with errors
as one readable line on stderr and a non-zero status, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import inspect, select, text

from registrar import demo, demo_results, importing
from registrar.calendar import compute
from registrar.cli import main
from registrar.db import Database, alembic_config
from registrar.models import Base, Candidacy
from registrar.resources import packaged
from registrar.rules import MILESTONES, for_kind
from registrar.states import STATES

from .conftest import World

CONSOLE_SCRIPT = Path(sys.executable).parent / "registrar"
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[56]:00$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEMO_TODAY = "2026-11-22"


def run(*args: str, database: str | None = None) -> Result:
    prefix = ["--database", database] if database else []
    return CliRunner().invoke(main, [*prefix, *args])


def url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fails_in_one_line(result: Result, status: int) -> str:
    """The result is a clean failure: ``status``, one ``registrar: ...`` line on stderr, no traceback."""
    assert result.exit_code == status, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("registrar: ")
    return lines[0]


# --- the calendar contract -----------------------------------------------------------------------

REGULAR = ["calendar", "--announced", "2029-08-24", "--election-day", "2029-11-25"]
SNAP_2022 = ["calendar", "--announced", "2022-09-21", "--election-day", "2022-11-20"]
SNAP_2022_SET = [
    "--set", "nomination_closes=2022-10-11T18:00:00+06:00",
    "--set", "registration_opens=2022-10-12T00:00:00+06:00",
    "--set", "registration_closes=2022-10-21T18:00:00+06:00",
]  # fmt: skip


def test_calendar_json_is_one_object_with_every_milestone_in_iso_8601() -> None:
    result = run(*REGULAR, "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert len(result.stdout.strip().splitlines()) == 1
    got = json.loads(result.stdout)
    assert list(got) == list(MILESTONES)
    assert set(got) == {"nomination_opens", "nomination_closes", "registration_opens", "registration_closes",
                        "declarations_as_of", "voting_opens", "voting_closes"}  # fmt: skip
    for name, value in got.items():
        pattern = DATE if name == "declarations_as_of" else INSTANT
        assert pattern.match(value), (name, value)
    # The calendar's own values (N2, G1, D1, V2 and T1: test_calendar.py pins them), not a reading of them.
    assert got == compute(dt.date(2029, 8, 24), dt.date(2029, 11, 25), for_kind("presidential")).to_json()


def test_calendar_without_json_is_a_readable_table() -> None:
    result = run(*REGULAR)
    assert result.exit_code == 0, result.output
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)
    lines = result.stdout.strip().splitlines()
    assert "announced 2029-08-24, election day 2029-11-25" in lines[0]
    assert "Asia/Almaty" in lines[0]
    rows = dict(line.split() for line in lines[1:])
    assert list(rows) == list(MILESTONES)
    assert rows["registration_closes"] == "2029-10-16T18:00:00+05:00"
    assert rows["declarations_as_of"] == "2029-08-01"


def test_v1_an_impossible_calendar_exits_2_naming_nomination_closes() -> None:
    # The 2022 snap election: computed, nomination would close before it opens.
    result = run(*SNAP_2022, "--json")
    line = fails_in_one_line(result, 2)
    assert result.stdout == ""
    assert "nomination_closes" in line
    assert "V1: set nomination_closes" in line


def test_v1_the_snap_calendar_made_valid_by_cec_resolutions_is_in_utc_plus_6() -> None:
    result = run(*SNAP_2022, *SNAP_2022_SET, "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got == {
        "nomination_opens": "2022-09-22T00:00:00+06:00",  # T1: +06:00 before March 2024
        "nomination_closes": "2022-10-11T18:00:00+06:00",
        "registration_opens": "2022-10-12T00:00:00+06:00",
        "registration_closes": "2022-10-21T18:00:00+06:00",
        "declarations_as_of": "2022-09-01",
        "voting_opens": "2022-11-20T07:00:00+06:00",
        "voting_closes": "2022-11-20T20:00:00+06:00",
    }


def test_v1_the_table_marks_the_cec_set_milestones() -> None:
    result = run(*SNAP_2022, *SNAP_2022_SET)
    assert result.exit_code == 0, result.output
    marked = {line.split()[0] for line in result.stdout.splitlines() if line.endswith("(CEC-set)")}
    assert marked == {"nomination_closes", "registration_opens", "registration_closes"}


def test_a_set_milestone_without_an_offset_is_local_time() -> None:
    result = run(*SNAP_2022, "--set", "nomination_closes=2022-10-11T18:00:00",
                 "--set", "registration_opens=2022-10-12T00:00:00",
                 "--set", "registration_closes=2022-10-21T18:00:00", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["nomination_closes"] == "2022-10-11T18:00:00+06:00"


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("nomination_closes", "expected NAME=ISO-DATETIME"),
        ("nomination_closes=soon", "--set 'nomination_closes=soon'"),
        ("polling=2022-10-11T18:00:00+06:00", "'polling' is not a milestone"),
    ],
)
def test_a_bad_set_exits_2_in_one_line(setting: str, reason: str) -> None:
    line = fails_in_one_line(run(*SNAP_2022, "--set", setting), 2)
    assert reason in line


def test_calendar_of_a_kind_without_a_rules_file_exits_2() -> None:
    line = fails_in_one_line(run(*REGULAR, "--kind", "senate"), 2)
    assert "'senate': no rules for this election kind (known: presidential)" in line


@pytest.fixture
def operator_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An operator's REGISTRAR_CONFIG_DIR, with the cached files forgotten before and after."""
    monkeypatch.setenv("REGISTRAR_CONFIG_DIR", str(tmp_path))
    (tmp_path / "rules").mkdir()
    for_kind.cache_clear()
    yield tmp_path
    for_kind.cache_clear()


def test_a_broken_rules_file_is_an_installation_error_exit_1_naming_its_path(operator_config: Path) -> None:
    broken = operator_config / "rules" / "presidential.toml"
    broken.write_text("[E2\nmin_age_years = 40\n", encoding="utf-8")
    line = fails_in_one_line(run(*REGULAR), 1)
    assert line.startswith(f"registrar: installation: {broken}: not valid TOML"), line


def test_an_operators_rules_file_wins_over_the_packaged_one(operator_config: Path) -> None:
    own = packaged("rules/presidential.toml").read_text(encoding="utf-8").replace('title = "', 'title = "Operator: ', 1)
    (operator_config / "rules" / "presidential.toml").write_text(own, encoding="utf-8")
    result = run(*REGULAR)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Operator: "), result.output


# --- the machine ---------------------------------------------------------------------------------


def test_machine_mermaid_prints_a_state_diagram_of_every_state() -> None:
    result = run("machine", "--mermaid")
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "stateDiagram-v2" in lines
    for state in STATES:
        assert f'state "{state}" as {state}' in lines
    assert "documents_submitted --> registered: register [G2] | record_registration [G2]" in lines
    assert "refused --> appealed: appeal [G6]" in lines
    assert "[*] --> nominated" in lines


# --- the database --------------------------------------------------------------------------------


def test_db_upgrade_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    result = run("db", "upgrade", database=sqlite_url(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("database at the newest revision: sqlite:///")
    database = Database(sqlite_url(path))
    try:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        with database.engine.connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head
            assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
        # Again: nothing to do, and harmless.
        assert run("db", "upgrade", database=sqlite_url(path)).exit_code == 0
        with database.engine.connect() as connection:
            assert list(connection.scalars(text("SELECT version_num FROM alembic_version"))) == [head]
    finally:
        database.dispose()


def test_a_database_that_is_not_set_up_gives_one_line(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "empty.sqlite3")
    for args in (["candidacy", "show", "1"], ["audit", "verify"], ["act", "1", "withdraw"]):
        line = fails_in_one_line(run(*args, database=url), 1)
        assert "no such table" in line
        assert "run `registrar db upgrade`" in line


def test_a_postgresql_database_that_does_not_exist_gives_one_line(pg_url: str) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/registrar_no_such_database"
    line = fails_in_one_line(run("audit", "verify", database=url), 1)
    assert 'database "registrar_no_such_database" does not exist' in line


@pytest.mark.parametrize("url", ["nosuchdialect://x/y", "not a url"])
def test_an_unusable_database_url_gives_one_line(url: str) -> None:
    line = fails_in_one_line(run("audit", "verify", database=url), 1)
    assert line.startswith("registrar: database: ")


def test_a_database_at_an_unknown_revision_gives_one_line(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    assert run("db", "upgrade", database=sqlite_url(path)).exit_code == 0
    database = Database(sqlite_url(path))
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    database.dispose()
    line = fails_in_one_line(run("db", "upgrade", database=sqlite_url(path)), 1)
    assert "9999_from_the_future" in line


# --- the demo ------------------------------------------------------------------------------------


def by_state(summary: str) -> dict[str, int]:
    lines = summary.splitlines()
    start = lines.index("candidacies by state:") + 1
    counts = {}
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        state, count = line.split()
        counts[state] = int(count)
    return counts


def count_rows(url: str, table: str) -> int:
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            return int(connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    result = run("demo", "--today", DEMO_TODAY, database=sqlite_url(path))
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Iterator[str]:
    # SQLite's own backup, not a file copy: the demo's last transactions may still be in the
    # template's -wal file while the in-process CLI's engine keeps it open (it failed so, under xdist).
    target = tmp_path / "demo.sqlite3"
    with sqlite3.connect(demo_template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    yield sqlite_url(target)


def test_demo_on_a_fresh_file_shows_every_candidacy_state_and_twice_is_harmless(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "fresh-demo.sqlite3")
    first = run("demo", "--today", DEMO_TODAY, database=url)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"{demo.title(2027)} [{demo.DEMO_ID}], election day 2027-01-03")
    counts = by_state(first.stdout)
    assert list(counts) == list(STATES)
    assert all(count >= 1 for count in counts.values()), counts
    assert "registered candidates (G2):" in first.stdout
    # The concluded election, announcement to registered President (issue 5), follows the first one.
    assert f"[{demo_results.CONCLUDED_ID}]: president registered" in first.stdout
    assert "round 2 on " in first.stdout and "20/20 protocols" in first.stdout
    assert f"President: {demo_results.CANDIDATES[0][0]} (registered)" in first.stdout
    events = count_rows(url, "audit_event")

    second = run("demo", "--today", DEMO_TODAY, database=url)
    assert second.exit_code == 0, second.output
    assert by_state(second.stdout) == counts
    archived = sum(a["do"] == "nominate" for e in importing.ARCHIVE for a in importing.archived(e)["actions"])
    assert count_rows(url, "candidacy") == sum(counts.values()) + len(demo_results.CANDIDATES) + archived
    assert count_rows(url, "audit_event") == events
    assert run("audit", "verify", database=url).stdout.strip().startswith(f"audit chain intact: {events} events")


def candidacy_in(url: str, state: str) -> int:
    database = Database(url)
    try:
        with database.reading() as session:
            found = session.scalar(select(Candidacy.id).where(Candidacy.state == state).order_by(Candidacy.id))
    finally:
        database.dispose()
    assert found is not None
    return int(found)


def test_candidacy_show_json(demo_db: str) -> None:
    candidacy = candidacy_in(demo_db, "registered")
    result = run("candidacy", "show", str(candidacy), "--json", database=demo_db)
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["id"] == candidacy
    assert view["election"] == demo.DEMO_ID
    assert view["state"] == "registered"
    assert isinstance(view["version"], int) and view["version"] > 1
    assert view["certificate"].startswith("DEMO-PRESIDENTIAL-")  # G2
    assert all(view["documents"].values())  # D6
    assert view["history"][0]["action"] == "nominate"
    assert view["history"][-1]["to"] == "registered"
    assert [d["rule"] for d in view["deadlines"]] == ["G4"]


def test_candidacy_show_text(demo_db: str) -> None:
    candidacy = candidacy_in(demo_db, "registered")
    result = run("candidacy", "show", str(candidacy), database=demo_db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(rf"^#{candidacy} .+ \(.+\), election {demo.DEMO_ID}$", lines[0])
    assert lines[1].strip().startswith("state registered since ")
    assert any(line.strip().startswith("certificate DEMO-PRESIDENTIAL-") for line in lines)
    assert any("register documents_submitted -> registered" in line for line in lines)


def test_candidacy_show_of_no_such_candidacy(demo_db: str) -> None:
    line = fails_in_one_line(run("candidacy", "show", "9999", database=demo_db), 1)
    assert line == "registrar: not_found: no candidacy 9999"


# --- act -----------------------------------------------------------------------------------------


def declarations(world: World) -> str:
    day = world.calendar.local(world.registration_time).date()
    [payload] = demo.papers("file_declarations", world.calendar, world.rules, day)
    return json.dumps(payload)


def act(world: World, candidacy: int, trigger: str, *extra: str, at: dt.datetime | None = None) -> Result:
    moment = (at or world.registration_time).isoformat()
    return run("act", str(candidacy), trigger, "--at", moment, "--actor", "cli:test", *extra, database=url_of(world.db))


def show(world: World, candidacy: int) -> dict[str, Any]:
    result = run("candidacy", "show", str(candidacy), "--json", database=url_of(world.db))
    assert result.exit_code == 0, result.output
    view: dict[str, Any] = json.loads(result.stdout)
    return view


def test_d1_act_performs_the_action(world: World) -> None:
    candidacy = world.nominate()
    result = act(world, candidacy, "file_declarations", "--data", declarations(world), "--version", "1")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["candidacy_id"] == candidacy
    assert (outcome["previous_state"], outcome["state"]) == ("nominated", "declarations_filed")
    assert outcome["version"] == 2
    assert "start_medical_check" in outcome["allowed"]
    view = show(world, candidacy)
    assert (view["state"], view["version"]) == ("declarations_filed", 2)
    last = view["history"][-1]
    assert (last["seq"], last["actor"], last["action"]) == (outcome["event"], "cli:test", "file_declarations")
    assert run("audit", "verify", database=url_of(world.db)).exit_code == 0


def nothing_changed(world: World, candidacy: int, events: int) -> None:
    view = show(world, candidacy)
    assert (view["state"], view["version"]) == ("nominated", 1)
    assert count_rows(url_of(world.db), "audit_event") == events


@pytest.mark.parametrize(
    ("trigger", "extra", "status", "expected"),
    [
        ("file_declarations", ["--data", "{}"], 1, "registrar: invalid: declarations: Missing data for required field."),
        ("file_declarations", ["--data", "[1, 2]"], 1, "registrar: invalid: _schema: the payload must be a JSON object"),
        ("file_declarations", ["--data", "{not json"], 2, "registrar: Invalid value for '--data': not valid JSON"),
        ("register", ["--data", '{"number": "R-1", "decided_on": "2029-09-27"}'], 1,
         "registrar: not_allowed: 'register' is not allowed while the candidacy is 'nominated'"),
        ("fly_to_the_moon", [], 1, "registrar: not_allowed: 'fly_to_the_moon' is not an action on a candidacy"),
        ("file_declarations", ["--version", "7", "--data", "DECLARATIONS"], 1,
         "registrar: stale_version: the record is at version 1, not 7"),
    ],
    ids=["bad-payload", "payload-not-an-object", "not-json", "wrong-state", "unknown-trigger", "stale-version"],
)  # fmt: skip
def test_act_refused_exits_non_zero_in_one_line_and_changes_nothing(
    world: World, trigger: str, extra: list[str], status: int, expected: str
) -> None:
    candidacy = world.nominate()
    events = count_rows(url_of(world.db), "audit_event")
    extra = [declarations(world) if arg == "DECLARATIONS" else arg for arg in extra]
    line = fails_in_one_line(act(world, candidacy, trigger, *extra), status)
    assert line.startswith(expected)
    nothing_changed(world, candidacy, events)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2029-09-27T10:00:00", "registrar: Invalid value for '--at': give the UTC offset"),
        ("last tuesday", "registrar: Invalid value for '--at': not an ISO-8601 moment"),
    ],
)
def test_act_with_a_bad_moment_exits_2_in_one_line(world: World, moment: str, expected: str) -> None:
    candidacy = world.nominate()
    result = run("act", str(candidacy), "file_declarations", "--data", declarations(world), "--at", moment,
                 database=url_of(world.db))  # fmt: skip
    assert fails_in_one_line(result, 2).startswith(expected)
    nothing_changed(world, candidacy, count_rows(url_of(world.db), "audit_event"))


def test_act_on_no_such_candidacy(world: World) -> None:
    assert fails_in_one_line(act(world, 9999, "withdraw"), 1) == "registrar: not_found: no candidacy 9999"


# --- the console script itself -------------------------------------------------------------------


def console(*args: str, database: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("REGISTRAR_DATABASE_URL", None)
    if database:
        env["REGISTRAR_DATABASE_URL"] = database
    return subprocess.run([str(CONSOLE_SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120,
                          check=False)  # fmt: skip


def test_the_console_script_entry_point_works() -> None:
    assert CONSOLE_SCRIPT.exists()
    done = console(*REGULAR, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["registration_closes"] == "2029-10-16T18:00:00+05:00"
    refused = console(*SNAP_2022)
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1 and "nomination_closes" in refused.stderr


def test_the_console_script_reads_registrar_database_url(demo_db: str) -> None:
    events = count_rows(demo_db, "audit_event")
    done = console("audit", "verify", database=demo_db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"audit chain intact: {events} events")
    candidacy = candidacy_in(demo_db, "appealed")
    shown = console("candidacy", "show", str(candidacy), "--json", database=demo_db)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["state"] == "appealed"


def test_election_results_prints_the_concluded_demo_election_rounds_and_president(demo_db: str) -> None:
    """V4/V5/V7 from the command line: the text summary and the public JSON agree."""
    text = run("election", "results", demo_results.CONCLUDED_ID, database=demo_db)
    assert text.exit_code == 0, text.output
    assert "round 1 on " in text.stdout and "round 2 on " in text.stdout
    assert text.stdout.rstrip().endswith(f"President: {demo_results.CANDIDATES[0][0]} (registered)")
    as_json = run("election", "results", demo_results.CONCLUDED_ID, "--json", database=demo_db)
    view = json.loads(as_json.stdout)
    assert view["phase"] == "president_registered"
    first = view["rounds"][0]
    assert first["protocols"] == {"received": 20, "expected": 20}
    assert f"{first['candidates'][0]['full_name']:<22} {first['candidates'][0]['votes']:>10,}" in text.stdout


def test_election_decisions_and_protocols_from_the_command_line_are_refused_out_of_their_phase(demo_db: str) -> None:
    """V3: a protocol only while the votes are counted; V7: nothing to establish once the President is registered."""
    late = run("election", "decide", demo_results.CONCLUDED_ID, "establish_results",
               "--data", '{"number": "1", "decided_on": "2027-01-01"}', database=demo_db)  # fmt: skip
    assert late.exit_code != 0
    assert "not allowed while the election is in the 'president_registered' phase" in late.output
    early = run("election", "protocol", demo.DEMO_ID, "--data", '{"unit": "AST"}', database=demo_db)
    assert early.exit_code != 0
    assert "protocols are received while the votes are counted (V3)" in early.output
