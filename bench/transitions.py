"""Durable transitions per second through ``registrar.actions.perform``, beside raw commits.

For each backend (a fresh SQLite file, a fresh temporary PostgreSQL database) the benchmark
migrates the schema, announces an election, registers one national association per
candidacy (rule N5 allows one candidacy per association) and nominates the candidacies;
none of that is timed. It then times, one transaction each, the actions an officer takes to
bring a candidacy to "registered" during the registration phase (the route of
``registrar.demo.ROUTES["registered"]`` with the payloads of ``registrar.demo.papers``)::

    file_declarations, start_medical_check, record_medical_conclusion,
    record_language_conclusion, record_contribution, record_document x2,
    record_signature_protocol x15, submit_documents, register

Each is one ``perform`` call: validation, lock, records, conditions and the machine, the
state change, deadlines, the audit chain, the outbox, and the commit. ``--n`` actions are
timed, candidacy after candidacy (the last route may be cut short).

The baseline, in the same run on the same database and engine: raw single-row commits
(one INSERT into a scratch table and COMMIT per transaction, through ``engine.begin()``).
For context it also reports one-row commits through ``Database.transaction()`` (the ORM
session), a lean four-statement Core transaction (lock a row, update it, insert two rows:
about the least a durable, audited transition can do) and a bare ``transitions`` machine
firing in memory. Baselines and actions are interleaved in ``--rounds`` rounds, so that
other load on the machine weighs on both alike; the ratio is taken over the totals.

The target is issue 15's: perform() at least half as fast as the lean four-statement
transaction of the same run (the floor of what an audited transition can cost; raw commits,
an earlier denominator, are not a transition at all), in at most eight SQL statements an
action. The result is printed, never asserted. ``--profile`` runs the same mix again on new candidacies
under cProfile and prints where the time goes, with the statements each action sends.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import math
import os
import pstats
import re
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter, process_time
from typing import Any, cast

import psycopg
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import make_url
from transitions import Machine

from registrar import actions, demo
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.models import AuditEvent, AuditHead, Candidacy, Deadline, OutboxMessage
from registrar.rules import Rules, for_kind

SUMMARY = "durable transitions per second (perform) beside raw single-row commits, on SQLite and PostgreSQL"
TARGET = 0.5  # the target: at least half the lean four-statement transaction's rate
TARGET_STATEMENTS = 8.0  # and at most eight SQL statements an action
BACKENDS = ("sqlite", "postgresql")
DEFAULT_ADMIN_URL = os.environ.get(
    "REGISTRAR_BENCH_PG", os.environ.get("REGISTRAR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
)

ELECTION_ID = "bench-2029"
ANNOUNCED = dt.date(2029, 8, 24)
ELECTION_DAY = dt.date(2029, 11, 25)
ACTOR = "bench:clerk"
ROUTE = demo.ROUTES["registered"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both", help="database(s) to measure (both)")
    parser.add_argument("--n", type=int, default=300, help="perform() transitions timed per backend (300)")
    parser.add_argument("--raw-n", type=int, default=1000, help="raw single-row commits per backend (1000)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_ADMIN_URL,
        help="PostgreSQL server/maintenance database on which registrar_bench_<random> is created and dropped "
        f"(default $REGISTRAR_BENCH_PG, $REGISTRAR_TEST_PG or {DEFAULT_ADMIN_URL})",
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds the baselines and perform() are interleaved in (5)")
    parser.add_argument("--profile", action="store_true", help="also profile perform() (cProfile) and print where time goes")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile (25)")
    parser.add_argument("--grow", type=_sizes, default=(),
                        help="also time --n actions with the tables grown to each of these rows, comma-separated "
                             "(e.g. 1000,10000,100000,1000000): candidacies, deadlines, audit events, messages")  # fmt: skip


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be whole numbers of at least 1")
    return sizes


# --- Measurements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    backend: str
    operation: str
    n: int
    seconds: float
    statements: int | None = None
    cpu_seconds: float | None = None  # this process's CPU time (time.process_time), not the server's

    @property
    def per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else math.inf

    @property
    def statements_per_op(self) -> float | None:
        return None if self.statements is None or not self.n else self.statements / self.n

    @property
    def cpu_ms_per_op(self) -> float | None:
        return None if self.cpu_seconds is None or not self.n else 1000 * self.cpu_seconds / self.n


_TABLE = re.compile(r"^\s*(?:SELECT\b.*?\bFROM|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE | re.DOTALL)


def statement_kind(statement: str) -> str:
    """``SELECT candidacy``, ``INSERT audit_event``, ``BEGIN`` ...: the verb and the first table."""
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    match = _TABLE.match(statement)
    return f"{verb} {match.group(1)}" if match else verb


class Statements:
    """Counts what SQLAlchemy sends to the driver (``before_cursor_execute``) and the time it takes."""

    def __init__(self, engine: Engine, *, by_kind: bool = False):
        self.engine = engine
        self.count = 0
        self.seconds = 0.0
        self.kinds: Counter[str] = Counter()
        self._by_kind = by_kind
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        if self._by_kind:
            self.kinds[statement_kind(statement)] += 1
        self._started = perf_counter()

    def _after(self, *_args: Any) -> None:
        self.seconds += perf_counter() - self._started

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


@dataclass
class Tally:
    """Per trigger: how many actions, their wall time, their statements."""

    n: int = 0
    seconds: float = 0.0
    statements: int = 0


@dataclass
class Mix:
    rows: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    seconds: float = 0.0
    statements: int = 0
    db_seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def n(self) -> int:
        return sum(t.n for t in self.rows.values())

    def add(self, other: Mix) -> None:
        for trigger, tally in other.rows.items():
            mine = self.rows[trigger]
            mine.n += tally.n
            mine.seconds += tally.seconds
            mine.statements += tally.statements
        self.seconds += other.seconds
        self.statements += other.statements
        self.db_seconds += other.db_seconds
        self.cpu_seconds += other.cpu_seconds


# --- The world ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    candidacy_id: int
    trigger: str
    payload: dict[str, Any]
    at: dt.datetime


@dataclass
class World:
    db: Database
    rules: Rules
    calendar: ElectionCalendar
    announced_at: dt.datetime
    associations: int = 0

    @property
    def nomination_time(self) -> dt.datetime:
        return self.calendar.nomination_opens + dt.timedelta(days=3, hours=10)

    @property
    def registration_time(self) -> dt.datetime:
        return self.calendar.registration_opens + dt.timedelta(days=2, hours=10)

    def nominate(self, count: int) -> list[int]:
        """``count`` new candidacies, each nominated by its own new association (N5)."""
        ids = []
        for _ in range(count):
            self.associations += 1
            number = self.associations
            association = actions.register_association(
                self.db, {"registration_number": f"B-{number:06d}", "name": f"Bench Association {number}",
                          "kind": "national", "registered_on": "2010-01-01"},
                actor="bench:ministry", at=self.announced_at,
            )  # fmt: skip
            outcome = actions.nominate(
                self.db, ELECTION_ID,
                {"association_id": association, "person": demo.person(f"Bench Candidate {number}", ELECTION_DAY),
                 "decision": demo.decision(self.calendar.local(self.nomination_time).date() - dt.timedelta(days=1))},
                actor=ACTOR, at=self.nomination_time,
            )  # fmt: skip
            ids.append(outcome.candidacy_id)
        return ids

    def route(self, candidacy_id: int) -> list[Action]:
        """The actions that register one candidacy, inside the registration phase (as ``demo.walk``, a minute apart)."""
        plan, at = [], self.registration_time
        for trigger in ROUTE:
            at += dt.timedelta(hours=1)
            papers = demo.papers(trigger, self.calendar, self.rules, self.calendar.local(at).date())
            for minute, payload in enumerate(papers):
                # A clerk records one paper after another: each action at its own moment.
                plan.append(Action(candidacy_id, payload.pop("_trigger", trigger), payload, at + dt.timedelta(minutes=minute)))
        return plan

    def plan(self, n: int) -> list[Action]:
        """``n`` actions: whole routes, candidacy after candidacy, the last one cut at ``n``."""
        per_route = len(self.route(0))
        plan: list[Action] = []
        for candidacy_id in self.nominate(math.ceil(n / per_route)):
            plan += self.route(candidacy_id)
        return plan[:n]


def announce(db: Database) -> World:
    rules = for_kind("presidential")
    at = dt.datetime.combine(ANNOUNCED, dt.time(11), tzinfo=rules.zone)
    calendar = demo.announce(db, ELECTION_ID, "Presidential election 2029 (benchmark)", ANNOUNCED, ELECTION_DAY,
                             actor="bench:commission")  # fmt: skip
    return World(db, rules, calendar, at)


def perform_all(db: Database, plan: list[Action], counter: Statements | None = None) -> Mix:
    mix = Mix()
    statements, db_seconds = (counter.count, counter.seconds) if counter else (0, 0.0)
    started, cpu = perf_counter(), process_time()
    for action in plan:
        before = counter.count if counter else 0
        t0 = perf_counter()
        actions.perform(db, action.candidacy_id, action.trigger, action.payload, actor=ACTOR, at=action.at)
        tally = mix.rows[action.trigger]
        tally.seconds += perf_counter() - t0
        tally.n += 1
        tally.statements += (counter.count - before) if counter else 0
    mix.seconds, mix.cpu_seconds = perf_counter() - started, process_time() - cpu
    if counter:
        mix.statements, mix.db_seconds = counter.count - statements, counter.seconds - db_seconds
    return mix


# --- Baselines ---------------------------------------------------------------------------------

RAW = "raw single-row commit (engine.begin: INSERT, COMMIT)"
SESSION = "single-row commit via Database.transaction()"
LEAN = "4-statement transaction via engine.begin (lean floor)"

SCRATCH = Table(
    "bench_raw_commit",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("at", String(40), nullable=False),
    Column("note", String(200), nullable=False),
)


def raw_commits(engine: Engine, n: int) -> float:
    """Seconds for ``n`` transactions of one INSERT and COMMIT each, through the engine (Core)."""
    statement = insert(SCRATCH)
    started = perf_counter()
    for i in range(n):
        with engine.begin() as connection:
            connection.execute(statement, {"at": dt.datetime.now(dt.UTC).isoformat(), "note": f"raw commit {i}"})
    return perf_counter() - started


LEAN_SUBJECT = Table(
    "bench_lean_subject",
    SCRATCH.metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String(40), nullable=False),
    Column("version", Integer, nullable=False),
)
LEAN_ROWS = 100


def lean_transactions(engine: Engine, n: int) -> float:
    """Seconds for ``n`` four-statement transactions through Core, the floor of a lean transition:
    lock a subject row (FOR UPDATE where the database has it), update it, insert two rows (audit, outbox)."""
    lock = select(LEAN_SUBJECT.c.state, LEAN_SUBJECT.c.version).where(LEAN_SUBJECT.c.id == bindparam("subject")).with_for_update()
    bump = (
        update(LEAN_SUBJECT)
        .where(LEAN_SUBJECT.c.id == bindparam("subject"))
        .values(version=LEAN_SUBJECT.c.version + 1, state=bindparam("to"))
    )
    row = insert(SCRATCH)
    started = perf_counter()
    for i in range(n):
        with engine.begin() as connection:
            state, _version = connection.execute(lock, {"subject": i % LEAN_ROWS + 1}).one()
            connection.execute(bump, {"subject": i % LEAN_ROWS + 1, "to": "b" if state == "a" else "a"})
            connection.execute(row, {"at": dt.datetime.now(dt.UTC).isoformat(), "note": f"audit {i}"})
            connection.execute(row, {"at": dt.datetime.now(dt.UTC).isoformat(), "note": f"outbox {i}"})
    return perf_counter() - started


def create_scratch(engine: Engine) -> None:
    SCRATCH.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(LEAN_SUBJECT), [{"id": i, "state": "a", "version": 1} for i in range(1, LEAN_ROWS + 1)])


def session_commits(db: Database, n: int) -> float:
    """Seconds for ``n`` one-row transactions through ``Database.transaction()`` (an ORM session each)."""
    statement = insert(SCRATCH)
    started = perf_counter()
    for i in range(n):
        with db.transaction() as session:
            session.execute(statement, {"at": dt.datetime.now(dt.UTC).isoformat(), "note": f"session commit {i}"})
    return perf_counter() - started


class _Thing:
    def __init__(self) -> None:
        self.state = "nominated"


def bare_machine(n: int) -> Row:
    """A ``transitions`` machine (model=None, send_event, as registrar builds it) firing in memory."""
    machine = Machine(
        model=None,
        states=["nominated", "declarations_filed"],
        initial="nominated",
        transitions=[
            {"trigger": "file", "source": "nominated", "dest": "declarations_filed", "conditions": [lambda _e: True]},
            {"trigger": "back", "source": "declarations_filed", "dest": "nominated", "conditions": [lambda _e: True]},
        ],
        auto_transitions=False,
        send_event=True,
    )
    thing, file, back = _Thing(), machine.events["file"], machine.events["back"]
    started, cpu = perf_counter(), process_time()
    for _ in range(n // 2):
        file.trigger(thing)
        back.trigger(thing)
    return Row("memory", "bare transitions machine (no database)", n // 2 * 2, perf_counter() - started,
               cpu_seconds=process_time() - cpu)  # fmt: skip


# --- Databases ----------------------------------------------------------------------------------


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def fresh_database(backend: str, admin_url: str) -> Iterator[tuple[str, str]]:
    """A new, empty database for ``backend``: (url, description); removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="registrar_bench_") as directory:
            path = Path(directory) / "registrar.sqlite3"
            yield f"sqlite:///{path}", f"{path} (WAL, synchronous=NORMAL)"
        return
    name = f"registrar_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = _libpq(admin_url).rsplit("/", 1)[0] + f"/{name}"
        yield url, f"{make_url(url).render_as_string(hide_password=True)} (temporary)"
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _settings(db: Database) -> str:
    if db.dialect != "postgresql":
        return ""
    with db.engine.connect() as connection:
        values = [
            f"{name}={connection.exec_driver_sql(f'SHOW {name}').scalar()}"
            for name in ("fsync", "synchronous_commit", "wal_sync_method")
        ]
        version = connection.exec_driver_sql("SHOW server_version").scalar()
    return f"PostgreSQL {version}, " + ", ".join(values)


# --- One backend ------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    rows: list[Row]
    mix: Mix
    raw: Row
    where: str
    profile: str = ""
    growth: list[Grown] = field(default_factory=list)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(backend: str, args: argparse.Namespace) -> Result:
    with fresh_database(backend, args.database_url) as (url, where):
        db = Database(url)
        try:
            _say(f"[{backend}] {where}: migrating, announcing, nominating ...")
            db.upgrade()
            create_scratch(db.engine)
            settings = _settings(db)
            world = announce(db)
            warmup, plan = world.plan(len(world.route(0))), world.plan(args.n)
            _say(f"[{backend}] warming up ({len(warmup)} actions, 50 raw commits) ...")
            perform_all(db, warmup)
            raw_commits(db.engine, 50)
            session_commits(db, 50)
            lean_transactions(db.engine, 50)

            # Interleaved in rounds, so that load from other processes on the machine (and the
            # database growing) weighs on the baseline and on perform() alike.
            rounds = max(1, min(args.rounds, len(plan)))
            per_round = max(args.raw_n // rounds, 2)
            size = math.ceil(len(plan) / rounds)
            _say(f"[{backend}] timing {rounds} rounds of {per_round} raw commits, {per_round // 2} session commits, "
                 f"{per_round // 2} lean transactions and {size} perform() actions ...")  # fmt: skip
            counter = Statements(db.engine)
            mix = Mix()
            # operation: [n, seconds, statements, CPU seconds]
            timed: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0.0])

            def clock(operation: str, n: int, body: Callable[[], float]) -> None:
                mark, cpu = counter.count, process_time()
                seconds = body()
                total = timed[operation]
                total[0], total[1], total[2] = total[0] + n, total[1] + seconds, total[2] + counter.count - mark
                total[3] += process_time() - cpu

            for index in range(rounds):
                clock(RAW, per_round, lambda: raw_commits(db.engine, per_round))
                clock(SESSION, per_round // 2, lambda: session_commits(db, per_round // 2))
                clock(LEAN, per_round // 2, lambda: lean_transactions(db.engine, per_round // 2))
                mix.add(perform_all(db, plan[index * size : (index + 1) * size], counter))
            counter.close()
            rows = [
                Row(backend, op, int(n), seconds, int(statements), cpu) for op, (n, seconds, statements, cpu) in timed.items()
            ]
            rows.append(Row(backend, "perform(): registration mix", mix.n, mix.seconds, mix.statements, mix.cpu_seconds))
            raw = rows[0]
            growth = [measure_grown(db, world, level, args.n) for level in args.grow]
            profile = ""
            if args.profile:
                _say(f"[{backend}] profiling {args.n} more actions under cProfile ...")
                profile = profile_mix(db, world, args.n, args.top)
            return Result(backend, rows, mix, raw, where + (f"; {settings}" if settings else ""), profile, growth)
        finally:
            db.dispose()


# --- Growth --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grown:
    """``--n`` actions timed with each grown table holding ``rows`` rows, the lean floor beside them."""

    rows: int
    mix: Mix
    lean: Row


def _series(count: int, start: int) -> Any:
    """The numbers start+1 .. start+count, as a recursive CTE (both databases have it)."""
    numbers = select(literal(start + 1).label("i")).cte("numbers", recursive=True)
    return numbers.union_all(select(numbers.c.i + 1).where(numbers.c.i < start + count))


def grow_to(db: Database, rows: int) -> None:
    """Each table an action reads or writes by index grown to ``rows`` rows, set-based: candidacies (of
    one association and person: none of them the actions' own), fired deadlines, audit events and
    delivered messages. The grown events carry no real hashes: the chain goes on from the head moved onto
    the last of them, and only a verify would see them."""
    grown = (Candidacy, Deadline, AuditEvent, OutboxMessage)
    tables = {cast(Table, model.__table__).name: cast(Table, model.__table__) for model in grown}
    at = dt.datetime(2029, 9, 1, 6, tzinfo=dt.UTC)
    with db.transaction() as session:
        have = {name: int(session.scalar(select(func.count()).select_from(table)) or 0) for name, table in tables.items()}
        first = session.execute(select(Candidacy.association_id, Candidacy.person_id).order_by(Candidacy.id).limit(1)).one()
        head = int(session.scalar(select(AuditHead.last_seq).where(AuditHead.id == 1)) or 0)
        when = bindparam("at", at, type_=tables["candidacy"].c.nominated_at.type)

        def more(name: str, columns: dict[str, Any]) -> None:
            count = rows - have[name]
            if count > 0:
                numbers = _series(count, have[name] if name != "audit_event" else head)
                row = select(*(value(numbers.c.i) if callable(value) else value for value in columns.values()))
                session.execute(insert(tables[name]).from_select(list(columns), row.select_from(numbers)))

        text = String()
        more("candidacy", {"election_id": literal(ELECTION_ID), "association_id": literal(first.association_id),
                           "person_id": literal(first.person_id), "state": literal("withdrawn"), "nominated_at": when,
                           "state_since": when, "updated_at": when, "version": literal(1)})  # fmt: skip
        more("deadline", {"key": lambda i: literal("grown:") + sql_cast(i, text), "subject_type": literal("candidacy"),
                          "subject_id": lambda i: sql_cast(i, text), "kind": literal("information_request_answer"),
                          "rule": literal("D2"), "due_at": when, "due_local": literal("2029-09-01 12:00"),
                          "computed_from": literal("grown"), "status": literal("fired"), "created_at": when,
                          "fired_at": when})  # fmt: skip
        more("audit_event", {"seq": lambda i: i, "at": when, "actor": literal("bench:grown"), "action": literal("grown"),
                             "subject_type": literal("candidacy"), "subject_id": lambda i: sql_cast(i, text),
                             "payload": bindparam("payload", {}, type_=tables["audit_event"].c.payload.type),
                             "prev_hash": literal("0" * 64), "hash": literal("f" * 64)})  # fmt: skip
        more("outbox", {"delivery_key": lambda i: literal("grown:") + sql_cast(i, text), "event_seq": literal(1),
                        "topic": literal("grown"), "recipient": literal("cec"),
                        "payload": bindparam("message", {}, type_=tables["outbox"].c.payload.type),
                        "status": literal("delivered"), "created_at": when, "attempts": literal(1)})  # fmt: skip
        if rows > have["audit_event"]:
            session.execute(update(AuditHead).where(AuditHead.id == 1)
                            .values(last_seq=head + rows - have["audit_event"], last_hash="f" * 64))  # fmt: skip
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def measure_grown(db: Database, world: World, rows: int, n: int) -> Grown:
    _say(f"growing the tables to {rows:,} rows each, then timing {n} actions ...")
    grow_to(db, rows)
    plan = world.plan(n)
    perform_all(db, world.plan(len(world.route(0))))  # warm what the grown tables changed
    cpu = process_time()
    lean_seconds = lean_transactions(db.engine, n)
    lean = Row(db.engine.dialect.name, LEAN, n, lean_seconds, cpu_seconds=process_time() - cpu)
    return Grown(rows, perform_all(db, plan), lean)


# --- Profile -------------------------------------------------------------------------------------

# (label, file the function is in, function name): cumulative time, as a share of perform().
STAGES: tuple[tuple[str, str, str], ...] = (
    ("perform() total", "registrar/actions.py", "perform"),
    ("  pool checkout (pre-ping on PostgreSQL)", "sqlalchemy/pool/base.py", "_checkout"),
    ("  schemas.load (a new Schema() per call)", "registrar/schemas.py", "load"),
    ("    marshmallow Schema.__init__", "marshmallow/schema.py", "__init__"),
    ("  action_statements.locked (candidacy, election, resolutions)", "registrar/action_statements.py", "locked"),
    ("  actions._calendar (cached by its makings)", "registrar/actions.py", "_calendar"),
    ("  machines.fire (window + conditions)", "registrar/machines.py", "fire"),
    ("    Context.one (one SELECT per record kind)", "registrar/conditions.py", "one"),
    ("  deadlines.follow_state", "registrar/deadlines.py", "follow_state"),
    ("  _finish (audit, outbox, outcome)", "registrar/actions.py", "_finish"),
    ("    action_statements.moved (the candidacy's row, flush)", "registrar/action_statements.py", "moved"),
    ("    action_statements.written (row, event, head, outbox)", "registrar/action_statements.py", "written"),
    ("      audit.event_row (hash)", "registrar/audit.py", "event_row"),
    ("      audit.locked_head (head lock)", "registrar/audit.py", "locked_head"),
    ("    allowed_triggers (for the Outcome)", "registrar/machines.py", "allowed_triggers"),
    ("  machines.phase_at (all callers)", "registrar/machines.py", "phase_at"),
    ("  Session.scalar (ORM SELECTs, incl. autoflush)", "sqlalchemy/orm/session.py", "scalar"),
    ("  Session.scalars", "sqlalchemy/orm/session.py", "scalars"),
    ("  Session._autoflush (before each query)", "sqlalchemy/orm/session.py", "_autoflush"),
    ("  Session._flush (flushes with work)", "sqlalchemy/orm/session.py", "_flush"),
    ("  ORM row loading (loading.instances)", "sqlalchemy/orm/loading.py", "instances"),
    ("  SQL compilation (statement cache misses)", "sqlalchemy/sql/compiler.py", "__init__"),
    ("  Connection._execute_context (all SQL)", "sqlalchemy/engine/base.py", "_execute_context"),
    ("    driver execute (sqlite3)", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("    driver execute (psycopg)", "psycopg/cursor.py", "execute"),
    ("  SessionTransaction.commit", "sqlalchemy/orm/session.py", "commit"),
    ("    driver commit (sqlite3)", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("    driver commit (psycopg)", "psycopg/connection.py", "commit"),
)

# Own time (tottime) by where the code lives.
PACKAGES = ("sqlalchemy", "psycopg", "registrar", "transitions", "marshmallow", "json", "hashlib", "zoneinfo")


def _package(filename: str, function: str) -> str:
    path = filename.replace(os.sep, "/")
    if path == "~":
        if "sqlite3" in function:
            return "sqlite3 driver (C)"
        return "built-ins (C)"
    for name in PACKAGES:
        if f"/{name}/" in path or path.endswith(f"/{name}.py"):
            return name
    return "other Python (stdlib, bench)"


def _cumulative(stats: pstats.Stats, where: str, name: str) -> tuple[float, int]:
    total, calls = 0.0, 0
    table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (primitive, _ncalls, _tottime, cumtime, _callers) in table.items():
        if function == name and filename.replace(os.sep, "/").endswith(where):
            total += cumtime
            calls += primitive
    return total, calls


def profile_mix(db: Database, world: World, n: int, top: int) -> str:
    plan = world.plan(n)
    counter = Statements(db.engine, by_kind=True)
    profiler = cProfile.Profile()
    profiler.enable()
    mix = perform_all(db, plan, counter)
    profiler.disable()
    counter.close()
    stats = pstats.Stats(profiler)
    actions_n = mix.n
    total, _ = _cumulative(stats, "registrar/actions.py", "perform")
    lines = [f"cProfile of {actions_n} perform() actions ({mix.seconds:.2f} s under the profiler):", ""]
    lines.append(f"  {'stage':<44} {'ms/action':>10} {'share':>7} {'calls/action':>13}")
    for label, where, name in STAGES:
        seconds, calls = _cumulative(stats, where, name)
        if not calls:
            continue
        share = seconds / total if total else 0.0
        lines.append(f"  {label:<44} {1000 * seconds / actions_n:>10.2f} {share:>7.1%} {calls / actions_n:>13.1f}")
    own: dict[str, float] = defaultdict(float)
    table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_primitive, _ncalls, tottime, _cumtime, _callers) in table.items():
        own[_package(filename, function)] += tottime
    everything = sum(own.values())
    lines += ["", "Own time by package (all code run while profiling):"]
    for package, seconds in sorted(own.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {package:<44} {1000 * seconds / actions_n:>10.2f} {seconds / everything:>7.1%}")
    lines += ["", f"SQL statements per action, by kind ({mix.statements / actions_n:.1f} in all):"]
    for kind, count in sorted(counter.kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count / actions_n:>6.2f}  {kind}")
    lines += ["", f"Top {top} functions by own time:"]
    lines.append(_pstats_text(stats, "tottime", top))
    return "\n".join(lines)


def _pstats_text(stats: pstats.Stats, key: str, top: int) -> str:
    import io

    buffer = io.StringIO()
    stats.stream = buffer  # type: ignore[attr-defined]
    stats.strip_dirs().sort_stats(key).print_stats(top)
    text = buffer.getvalue()
    start = text.find("   ncalls")
    return text[start:].rstrip() if start >= 0 else text.rstrip()


# --- Report ---------------------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(headers), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)])


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def report(results: list[Result], machine: Row, args: argparse.Namespace) -> str:
    out = [f"python -m bench transitions --backend {args.backend} --n {args.n} --raw-n {args.raw_n} --rounds {args.rounds}", ""]
    out += [f"{r.backend}: {r.where}" for r in results]
    rows = []
    for result in results:
        for row in result.rows:
            rows.append([row.backend, row.operation, str(row.n), f"{row.seconds:.3f}", _number(row.per_second),
                         f"{row.per_second / result.raw.per_second:.3f}", _number(row.statements_per_op),
                         _number(row.cpu_ms_per_op, 3)])  # fmt: skip
    rows.append([machine.backend, machine.operation, str(machine.n), f"{machine.seconds:.3f}",
                 _number(machine.per_second), "-", "-", _number(machine.cpu_ms_per_op, 3)])  # fmt: skip
    out += ["", _table(["backend", "operation", "n", "seconds", "per second", "ratio to raw commits", "SQL/op",
                        "CPU ms/op"], rows, {2, 3, 4, 5, 6, 7})]  # fmt: skip

    out += ["", "perform() by action (one transaction each):"]
    detail = []
    for result in results:
        for trigger, tally in result.mix.rows.items():
            detail.append([result.backend, trigger, str(tally.n), f"{1000 * tally.seconds / tally.n:.2f}",
                           _number(tally.n / tally.seconds), f"{tally.statements / tally.n:.1f}"])  # fmt: skip
        mix = result.mix
        if mix.n:
            detail.append([result.backend, "(mix)", str(mix.n), f"{1000 * mix.seconds / mix.n:.2f}",
                           _number(mix.n / mix.seconds), f"{mix.statements / mix.n:.1f}"])  # fmt: skip
            detail.append([result.backend, "(mix) of which inside cursor.execute", str(mix.n),
                           f"{1000 * mix.db_seconds / mix.n:.2f}", "-", "-"])  # fmt: skip
    out.append(_table(["backend", "action", "n", "ms/action", "per second", "SQL/action"], detail, {2, 3, 4, 5}))

    out += ["", f"Target: perform() >= {TARGET:.2f} x the lean four-statement transaction of the same run, "
                f"<= {TARGET_STATEMENTS:.0f} SQL statements an action."]  # fmt: skip
    for result in results:
        lean = next(row for row in result.rows if row.operation == LEAN)
        rate = result.mix.n / result.mix.seconds if result.mix.seconds else math.inf
        ratio, statements = rate / lean.per_second, result.mix.statements / max(result.mix.n, 1)
        verdict = "met" if ratio >= TARGET and statements <= TARGET_STATEMENTS else "NOT met"
        out.append(f"  {result.backend:<10} {rate:>9,.1f}/s vs lean {lean.per_second:>9,.1f}/s = {ratio:.3f}, "
                   f"{statements:.1f} SQL/action: {verdict}")  # fmt: skip
        if lean.cpu_ms_per_op and result.mix.n:
            # What load from other processes moves least: this process's own CPU for one action.
            cpu = 1000 * result.mix.cpu_seconds / result.mix.n
            out.append(f"  {'':<10} this process's CPU: {cpu:.3f} ms an action vs {lean.cpu_ms_per_op:.3f} ms a lean "
                       f"transaction = {lean.cpu_ms_per_op / cpu:.3f}")  # fmt: skip
    for result in results:
        if result.growth:
            smallest = result.growth[0]
            out += ["", f"{result.backend}: an action as the tables grow (candidacies, deadlines, audit events, messages):"]
            out.append(_table(["rows each", "ms/action", "CPU ms/action", "lean ms", "x the smallest"], [
                [f"{g.rows:,}", f"{1000 * g.mix.seconds / g.mix.n:.2f}", f"{1000 * g.mix.cpu_seconds / g.mix.n:.2f}",
                 f"{1000 * g.lean.seconds / g.lean.n:.2f}",
                 f"{(g.mix.seconds / g.mix.n) / (smallest.mix.seconds / smallest.mix.n):.2f}"]
                for g in result.growth], {0, 1, 2, 3, 4}))  # fmt: skip
    for result in results:
        if result.profile:
            out += ["", f"=== profile: {result.backend} ===", result.profile]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    if args.n < 1 or args.raw_n < 2:
        raise SystemExit("--n must be >= 1 and --raw-n >= 2")
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    results = [measure(backend, args) for backend in backends]
    machine = bare_machine(100_000)
    print(report(results, machine, args), flush=True)
    return 0


__all__ = ["SUMMARY", "add_arguments", "run"]
