"""The web under gunicorn: pages per second and their latency, beside a bare Flask route on the same server.

On a fresh PostgreSQL database (``registrar_bench_<random>`` on the server of
``--database-url``, created and dropped by the benchmark), untimed:

1. ``Database(url).upgrade()``, an election announced (``bench-2029``, as the other benchmarks);
2. one candidacy walked through ``registrar.actions.perform`` from nomination to
   ``registered`` (the route of ``bench.transitions``), so that its public status page has a
   real history of decisions to read from the audit log;
3. candidacies inserted set-based (each with its own association and person, as
   ``bench.deadlines.create_candidacies`` makes them) until the election has ``--candidacies``
   (10,000); eleven of them are then marked ``registered`` set-based, with Kazakh names, so the
   published list (G2) has a realistic dozen rows to sort and render; ``ANALYZE``, as
   autovacuum would have run on rows recorded over weeks;
4. an officer account (role ``clerk``) made with ``registrar.accounts.create_user``.

The app is ``bench.web_app:app`` (``create_app()`` from the environment, plus a bare route
``/bench/hello`` returning "hello" on the same app) under gunicorn with ``--workers`` (2) sync
workers on a spare port, started as ``registrar serve`` would not be: no sweep thread runs in
the workers (``create_app`` starts none; only ``registrar serve`` does, without a broker). The
benchmark logs in through the real ``/login`` form (the form's ``csrf_token``, then the
session cookie) and drives the load from this process: ``--concurrency`` (4) threads, each
sending ``http.client`` requests one after another, a new connection per request (gunicorn's
sync workers close the connection after each response), ``--warmup`` (50) untimed requests
per route first.

Measured, ``--requests`` (2,000) per route, the routes interleaved in ``--rounds`` (5) rounds so
that other load on the machine weighs on all of them alike:

* the bare route ``/bench/hello``: the denominator (the same hooks, no page);
* the published list ``/elections/bench-2029/candidates``;
* the status page ``/candidacies/<id>`` of the candidacy walked in step 2;
* with the clerk's session cookie, ``/bench/officer`` (a bare route for an officer logged in) and
  ``/bench/officer/page`` (an officer's page with nothing on it: the site's frame and the officers'
  menu), which tell what any officer's page costs before its own content (``bench.web_app``);
* the officer dashboard ``/officer/`` with the clerk's session cookie.

Each request's latency runs from connecting to the last byte read; req/s is the requests over
the wall time of their rounds. Then the dashboard alone (with the bare route interleaved, for
context) and the published list at each of ``--dashboard-sizes`` (1,000, 10,000, 100,000)
candidacies, the table grown set-based (and analysed) between the measurements; then, at the
largest of them, the dashboard at each of ``--deadline-sizes`` (1,000 to 1,000,000) rows in the
deadline table, grown set-based and analysed as a long election leaves it (:func:`grow_deadlines`:
most rows cancelled, fired or another role's, the clerk's own fired ones answered since, and a
realistic two hundred pending, a few of them due within the dashboard's three days).

The targets (from the issue) are printed with whether they are met, never asserted: the
published list at >= 70% of the bare route's rate and p99 < 50 ms; the dashboard at p50 <= 15 ms
and >= 20% of the bare route's rate; the dashboard's latency flat from the smallest size to the
largest, of candidacies and of deadline rows, taken here as p50 at the largest within 1.5x of
p50 at the smallest. The client shares the machine with the server: on a small machine its
threads take CPU the workers would otherwise have, which lowers every rate alike.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import math
import os
import re
import secrets
import signal
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from time import perf_counter
from typing import cast

from sqlalchemy import Table, func, insert, select, update

from bench.deadlines import Child, _clean_environment, _person, _where, free_port, wait_for
from bench.transitions import DEFAULT_ADMIN_URL, ELECTION_ID, World, _table, announce, fresh_database, perform_all
from registrar import accounts
from registrar.db import Database
from registrar.models import Association, AssociationName, Candidacy, Deadline
from registrar.models import Person as PersonRow

SUMMARY = "published list, status page and officer dashboard under gunicorn, beside a bare Flask route; dashboard by size"
TARGET_SHARE = 0.70  # the issue: the published list at 70% or more of the bare route's rate
TARGET_P99_MS = 50.0  # ... with p99 under 50 ms
DASHBOARD_P50_MS = 15.0  # the issue: the officer dashboard at p50 <= 15 ms ...
DASHBOARD_SHARE = 0.20  # ... and >= 20% of the bare route's rate
FLAT_FACTOR = 1.5  # "flat": p50 at the largest size within 1.5x of p50 at the smallest
CHUNK = 10_000  # candidacies per INSERT transaction
STARTUP_SECONDS = 60
OFFICER_LOGIN, OFFICER_ROLE = "bench.clerk", "clerk"
# Eleven registered besides the one walked through perform(): the published list's realistic dozen.
REGISTERED_NAMES = (
    "Әбілов Қайрат Серікұлы", "Ахметова Гүлнар Бекқызы", "Байжанов Ерлан Маратұлы", "Ғабитов Нұрлан Әсетұлы",
    "Дәулетова Айгүл Төлегенқызы", "Жұмабаев Серік Қанатұлы", "Исаева Мәдина Оралқызы", "Қасымов Бауыржан Асқарұлы",
    "Нұрпейісова Жанар Болатқызы", "Өтегенов Дархан Ержанұлы", "Сейітов Тимур Ғалымұлы",
)  # fmt: skip

HELLO, LIST, STATUS, DASHBOARD = "bare hello", "published list", "candidacy status page", "officer dashboard"
# Where an officer's page spends what the bare route does not (bench.web_app): being logged in, then the frame.
OFFICER_HELLO, OFFICER_PAGE = "officer: bare hello", "officer: empty page"
OFFICERS = frozenset({DASHBOARD, OFFICER_HELLO, OFFICER_PAGE})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per route (2000)")
    parser.add_argument("--candidacies", type=int, default=10_000, help="candidacies for the table of routes (10000)")
    parser.add_argument("--dashboard-sizes", type=_sizes, default=(1000, 10_000, 100_000),
                        help="candidacies at which the dashboard is measured, comma-separated (1000,10000,100000)")  # fmt: skip
    parser.add_argument("--deadline-sizes", type=_sizes, default=(1000, 10_000, 100_000, 1_000_000),
                        help="deadline rows at which the dashboard is measured, at the largest of --dashboard-sizes, "
                             "comma-separated (1000,10000,100000,1000000)")  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=4, help="client threads, one request in flight each (4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per route before timing (50)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds the routes are interleaved in (5)")
    parser.add_argument(
        "--database-url", default=DEFAULT_ADMIN_URL,
        help=f"PostgreSQL server on which registrar_bench_<random> is created and dropped ({DEFAULT_ADMIN_URL})",
    )  # fmt: skip


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part.strip().replace("_", "")) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 1000,10000,100000, got {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return sizes


_STARTED = time.monotonic()


def _say(message: str) -> None:
    print(f"{time.monotonic() - _STARTED:6.1f}s {message}", file=sys.stderr, flush=True)


# --- The world: an election, its candidacies, an officer ----------------------------------------


def walk_one(world: World) -> int:
    """One candidacy from nomination to registered through perform(): a status page with a real history."""
    plan = world.plan(len(world.route(0)))
    perform_all(world.db, plan)
    return plan[0].candidacy_id


def count_candidacies(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count(Candidacy.id)).where(Candidacy.election_id == ELECTION_ID)) or 0)


def add_candidacies(db: Database, world: World, count: int) -> list[int]:
    """``count`` more nominated candidacies, set-based, as ``bench.deadlines.create_candidacies`` makes them.

    That function numbers its associations from 0 on every call, and registration numbers are
    unique, so growing the table in steps needs numbers that carry on from the last step.
    """
    at, person, ids = world.nomination_time, _person(), []
    with db.reading() as session:
        first = int(session.scalar(select(func.count(Association.id))) or 0)
    for start in range(first, first + count, CHUNK):
        numbers = range(start, min(start + CHUNK, first + count))
        with db.transaction() as session:
            associations = [row[0] for row in session.execute(
                insert(Association).returning(Association.id, sort_by_parameter_order=True),
                [{"registration_number": f"BW-{i:07d}", "kind": "national", "registered_on": dt.date(2010, 1, 1)}
                 for i in numbers])]  # fmt: skip
            session.execute(insert(AssociationName), [{"association_id": a, "name": f"Association {a}",
                                                       "valid_from": dt.date(2010, 1, 1)} for a in associations])  # fmt: skip
            people = [row[0] for row in session.execute(
                insert(PersonRow).returning(PersonRow.id, sort_by_parameter_order=True),
                [person | {"full_name": f"Candidate {i}"} for i in numbers])]  # fmt: skip
            ids += [row[0] for row in session.execute(
                insert(Candidacy).returning(Candidacy.id, sort_by_parameter_order=True),
                [{"election_id": ELECTION_ID, "association_id": a, "person_id": p, "state": "nominated", "nominated_at": at,
                  "state_since": at, "updated_at": at, "version": 1}
                 for a, p in zip(associations, people, strict=True)])]  # fmt: skip
    return ids


def grow_to(db: Database, world: World, size: int) -> list[int]:
    """Candidacies added until the election has ``size`` (none if it has as many already), then ANALYZE."""
    missing = size - count_candidacies(db)
    ids = add_candidacies(db, world, missing) if missing > 0 else []
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("candidacy", "person", "association", "association_name"):
            connection.exec_driver_sql(f"ANALYZE {table}")
    return ids


def register_dozen(db: Database, world: World, ids: list[int]) -> int:
    """Eleven of ``ids`` marked registered set-based, with Kazakh names: the published list's rows besides the walked one."""
    chosen = ids[: len(REGISTERED_NAMES)]
    at = world.registration_time
    candidacy = cast(Table, Candidacy.__table__)
    person = cast(Table, PersonRow.__table__)
    with db.transaction() as session:
        session.execute(update(candidacy).where(candidacy.c.id.in_(chosen))
                        .values(state="registered", state_since=at, updated_at=at, version=candidacy.c.version + 1))  # fmt: skip
        found = session.execute(select(candidacy.c.id, candidacy.c.person_id).where(candidacy.c.id.in_(chosen)))
        people = {row[0]: row[1] for row in found}
        for candidacy_id, name in zip(chosen, REGISTERED_NAMES, strict=False):
            session.execute(update(person).where(person.c.id == people[candidacy_id]).values(full_name=name))
    return len(chosen)


def registered(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count(Candidacy.id)).where(Candidacy.election_id == ELECTION_ID,
                                                                        Candidacy.state == "registered")) or 0)  # fmt: skip


# The deadline table as a long election leaves it, by the row's number modulo 100: (kind, status,
# how many of the hundred). Most rows are closed (cancelled as their step was taken in time, or
# fired and moved on) or another role's; the clerk's own (D2) fired ones were answered since.
DEADLINE_MIX = (
    ("information_request_answer", "cancelled", 30), ("information_request_answer", "fired", 1),
    ("documents_check", "cancelled", 14), ("documents_check", "fired", 3),
    ("declaration_verification", "cancelled", 12), ("declaration_verification", "fired", 3),
    ("appeal_window", "fired", 17), ("court_review", "cancelled", 8), ("court_review", "fired", 2),
    ("information_request_answer", "cancelled", 10),
)  # fmt: skip
RULES = {"information_request_answer": "D2", "documents_check": "D7", "declaration_verification": "G4",
         "appeal_window": "G6", "court_review": "G6"}  # fmt: skip
# Pending, whatever the table's size: (kind, how many, due from now, spread); D2's are the clerk's.
PENDING = (("information_request_answer", 20, dt.timedelta(hours=6), dt.timedelta(days=2)),
           ("information_request_answer", 60, dt.timedelta(days=4), dt.timedelta(days=30)),
           ("documents_check", 60, dt.timedelta(hours=2), dt.timedelta(days=20)),
           ("declaration_verification", 60, dt.timedelta(days=1), dt.timedelta(days=30)))  # fmt: skip
FIRST_REQUEST = 10_000_000  # the bench's information requests, numbered apart from any the app makes
# Row n's candidacy: the election's, spread over them all (a prime stride).
SUBJECT = "(%(low)s::bigint + ({n} * 7919) %% (%(high)s::bigint - %(low)s::bigint + 1))"


def count_deadlines(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Deadline)) or 0)


def grow_deadlines(db: Database, size: int, *, at: dt.datetime) -> int:
    """Deadline rows added set-based (PostgreSQL's generate_series) until the table has ``size``,
    then ANALYZE; returns how many there are.

    The rows' subjects are the election's candidacies (all standing, as nominated): what keeps a
    row off the clerk's dashboard is what keeps it off a real one, its status and its kind, or for a
    fired D2 row, its information request answered since (each such row has its request, answered).
    The first call adds the pending rows (:data:`PENDING`), due from an hour to a month from ``at``
    (the D2 ones with their requests, unanswered).
    """
    buckets, first = [], 0
    for kind, status, share in DEADLINE_MIX:
        buckets.append((first, first + share, kind, status))
        first += share
    assert first == 100, first
    case_kind = " ".join(f"WHEN n %% 100 < {high} THEN '{kind}'" for _low, high, kind, _status in buckets)
    case_status = " ".join(f"WHEN n %% 100 < {high} THEN '{status}'" for _low, high, _kind, status in buckets)
    case_rule = " ".join(f"WHEN '{kind}' THEN '{rule}'" for kind, rule in RULES.items())
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        low, high = connection.exec_driver_sql("SELECT min(id), max(id) FROM candidacy").one()
        present = int(connection.exec_driver_sql("SELECT count(*) FROM deadline").scalar() or 0)
        if not connection.exec_driver_sql("SELECT 1 FROM deadline WHERE key LIKE 'bench-pending:%%' LIMIT 1").first():
            for index, (kind, count, soonest, spread) in enumerate(PENDING):
                connection.exec_driver_sql(
                    "INSERT INTO deadline (key, subject_type, subject_id, kind, rule, due_at, due_local, computed_from, "
                    "status, created_at) SELECT 'bench-pending:' || %(index)s::bigint || ':' || i, 'candidacy', "
                    f"({SUBJECT.format(n='i')})::text, %(kind)s::text, %(rule)s::text, "
                    "%(at)s::timestamptz + %(soonest)s::interval + %(spread)s::interval * i / %(count)s::bigint, "
                    "'', 'bench', 'pending', %(at)s::timestamptz FROM generate_series(1, %(count)s::bigint) AS i",
                    {"index": index, "low": low, "high": high, "kind": kind, "rule": RULES[kind], "at": at,
                     "soonest": soonest, "spread": spread, "count": count})  # fmt: skip
            # A pending D2 row waits for its request's answer: each has its request, unanswered.
            connection.exec_driver_sql(
                "INSERT INTO information_request (candidacy_id, organisation, subject, sent_at) "
                "SELECT subject_id::integer, 'Bench Bank', 'accounts', created_at FROM deadline "
                "WHERE key LIKE 'bench-pending:%%' AND kind = 'information_request_answer'")  # fmt: skip
            present = int(connection.exec_driver_sql("SELECT count(*) FROM deadline").scalar() or 0)
        start = int(connection.exec_driver_sql("SELECT count(*) FROM deadline WHERE key LIKE 'bench:%%'").scalar() or 0)
        missing = size - present
        for chunk in range(start, start + max(0, missing), 200_000):
            numbers = {"first": chunk + 1, "last": min(chunk + 200_000, start + missing), "low": low, "high": high,
                       "at": at, "request": FIRST_REQUEST}  # fmt: skip
            rows = (f"SELECT n, {SUBJECT.format(n='n')} AS candidacy, "
                    f"CASE {case_kind} END AS kind, CASE {case_status} END AS status, "
                    "%(at)s::timestamptz - interval '1 hour' * (1 + n %% 1440) AS due "
                    "FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n")  # fmt: skip
            connection.exec_driver_sql(
                "INSERT INTO information_request (id, candidacy_id, organisation, subject, sent_at, answered_at, answer) "
                "SELECT %(request)s::bigint + n, candidacy, 'Bench Bank', 'accounts', due - interval '4 days', "
                f"due + interval '1 day', 'answered' FROM ({rows}) AS r "
                "WHERE kind = 'information_request_answer' AND status = 'fired'", numbers)  # fmt: skip
            connection.exec_driver_sql(
                "INSERT INTO deadline (key, subject_type, subject_id, kind, rule, due_at, due_local, computed_from, status, "
                "created_at, fired_at, cancelled_at, outcome) "
                "SELECT 'bench:' || n || ':candidacy:' || candidacy || ':' || kind || ':b' || n || ':' "
                "|| (%(request)s::bigint + n), "
                f"'candidacy', candidacy::text, kind, CASE kind {case_rule} END, due, '', 'bench', status, "
                "due - interval '4 days', CASE WHEN status = 'fired' THEN due END, "
                "CASE WHEN status = 'cancelled' THEN due - interval '1 day' END, "
                f"CASE WHEN status = 'fired' THEN 'notified' END FROM ({rows}) AS r", numbers)  # fmt: skip
        for table in ("deadline", "information_request"):
            connection.exec_driver_sql(f"ANALYZE {table}")
    return count_deadlines(db)


# --- The server: gunicorn in its own process group ------------------------------------------------


class Server:
    """``gunicorn -w N bench.web_app:app`` on a spare port, its output in a file; stopped with its workers."""

    def __init__(self, url: str, workers: int, directory: Path):
        self.port = free_port()
        env = _clean_environment() | {
            "REGISTRAR_DATABASE_URL": url,
            "REGISTRAR_BROKER_URL": "",  # no broker, and create_app starts no sweep thread either
            # One key for both workers: a session cookie signed by one is read by the other.
            "FLASK_SECRET_KEY": secrets.token_urlsafe(32),
        }
        argv = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}", *_no_control_socket(),
                "bench.web_app:app"]  # fmt: skip
        self.child = Child("gunicorn", argv, env, directory / "gunicorn.log")
        self.workers = workers

    def start(self) -> None:
        self.child.start()

        def up() -> bool:
            if not self.child.running:
                raise RuntimeError(f"gunicorn exited at start:\n{self.child.tail()}")
            with contextlib.suppress(OSError):
                return fetch(self.port, "/bench/hello").status == 200
            return False

        try:
            wait_for(up, STARTUP_SECONDS, f"gunicorn on port {self.port}", every=0.1)
        except TimeoutError:
            self.stop()
            raise

    @property
    def group(self) -> int:
        return self.child.pid

    def stop(self) -> None:
        """SIGTERM (gunicorn lets its workers finish the request in hand), SIGKILL for whatever is left."""
        popen = self.child.popen
        if popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGTERM)
        with contextlib.suppress(Exception):
            popen.wait(15)
        self.child.kill()  # reaps the master and waits for the whole group to be gone


def _no_control_socket() -> list[str]:
    """Gunicorn 25 and later open a control socket at one path in $HOME: two runs at once (a test beside a
    benchmark) would take it from each other. Older versions have neither the socket nor the flag."""
    from gunicorn import config

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in config.KNOWN_SETTINGS) else []


# --- The client -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    cookies: dict[str, str]
    location: str
    seconds: float


def fetch(port: int, path: str, *, cookies: dict[str, str] | None = None, form: dict[str, str] | None = None) -> Response:
    """One request on a new connection, timed from connecting to the last byte read."""
    headers = {"Host": f"127.0.0.1:{port}"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST" if form is not None else "GET", path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    seconds = perf_counter() - started
    jar: dict[str, str] = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        jar |= {name: morsel.value for name, morsel in parsed.items()}
    return Response(response.status, content, jar, response.headers.get("Location", ""), seconds)


_CSRF = re.compile(rb'name="csrf_token"\s+value="([^"]+)"')


def log_in(port: int, login: str, password: str) -> dict[str, str]:
    """The session cookie of a login through the real form: GET /login for its CSRF token, POST it back."""
    page = fetch(port, "/login")
    match = _CSRF.search(page.body)
    if page.status != 200 or match is None:
        raise RuntimeError(f"GET /login: {page.status}, no csrf_token field in the form")
    cookies = dict(page.cookies)
    answer = fetch(port, "/login", cookies=cookies, form={"csrf_token": match.group(1).decode(), "login": login,
                                                          "password": password, "next": ""})  # fmt: skip
    cookies |= answer.cookies
    if answer.status not in (302, 303):
        raise RuntimeError(f"POST /login: {answer.status} (expected a redirect after logging in)")
    check = fetch(port, "/officer/", cookies=cookies)
    if check.status != 200:
        raise RuntimeError(f"GET /officer/ after logging in: {check.status} {check.location}")
    return cookies


@dataclass
class Sample:
    """Requests to one route: each latency, the wall time of the bursts, statuses and bytes."""

    route: str
    path: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    size: int = 0

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else math.inf

    @property
    def not_ok(self) -> int:
        return self.n - self.statuses[200]

    def quantile_ms(self, q: float) -> float:
        """Nearest rank: the smallest latency with at least ``q`` of the requests at or below it."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] if ordered else math.nan

    @property
    def p50_ms(self) -> float:
        return self.quantile_ms(0.50)

    @property
    def p99_ms(self) -> float:
        return self.quantile_ms(0.99)


def burst(port: int, sample: Sample, n: int, concurrency: int, cookies: dict[str, str] | None, *, timed: bool = True) -> None:
    """``n`` requests from ``concurrency`` threads, each sending its share one after another."""
    shares = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]

    def client(count: int) -> list[Response]:
        return [fetch(port, sample.path, cookies=cookies) for _ in range(count)]

    started = perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = [response for part in pool.map(client, [s for s in shares if s]) for response in part]
    if timed:
        sample.seconds += perf_counter() - started
        sample.latencies += [r.seconds for r in results]
        sample.statuses.update(r.status for r in results)
        sample.size += sum(len(r.body) for r in results)


def measure(port: int, routes: list[tuple[Sample, dict[str, str] | None]], args: argparse.Namespace) -> None:
    """Warm every route up, then time them interleaved in rounds."""
    for sample, cookies in routes:
        burst(port, sample, args.warmup, args.concurrency, cookies, timed=False)
    rounds = max(1, min(args.rounds, args.requests))
    for index in range(rounds):
        n = args.requests // rounds + (1 if index < args.requests % rounds else 0)
        for sample, cookies in routes:
            burst(port, sample, n, args.concurrency, cookies)


# --- Report ---------------------------------------------------------------------------------------


@dataclass
class Results:
    where: str = ""
    server: str = ""
    routes: list[Sample] = field(default_factory=list)
    candidacies: int = 0
    registered: int = 0
    by_size: list[tuple[int, Sample, Sample, Sample]] = field(default_factory=list)  # (candidacies, dashboard, hello, list)
    by_deadlines: list[tuple[int, Sample, Sample]] = field(default_factory=list)  # (deadline rows, dashboard, hello)
    deadline_candidacies: int = 0
    load: list[str] = field(default_factory=list)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.1f}"


def _kib(sample: Sample) -> str:
    return f"{sample.size / sample.n / 1024:,.1f}" if sample.n else "-"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(results: Results, args: argparse.Namespace) -> str:
    sizes = ",".join(str(s) for s in args.dashboard_sizes)
    deadlines = ",".join(str(s) for s in args.deadline_sizes)
    out = [f"python -m bench web --requests {args.requests} --candidacies {args.candidacies} --dashboard-sizes {sizes} "
           f"--deadline-sizes {deadlines} "
           f"--concurrency {args.concurrency} --workers {args.workers} --warmup {args.warmup} --rounds {args.rounds}", "",
           results.where, results.server, *results.load, ""]  # fmt: skip

    out.append(f"1. Routes with {results.candidacies:,} candidacies ({results.registered} registered), "
               f"{args.requests:,} requests each, interleaved in {args.rounds} rounds")  # fmt: skip
    hello = results.routes[0]
    rows = [[s.route, s.path, f"{s.n:,}", str(s.not_ok), _kib(s), f"{s.seconds:.2f}", f"{s.per_second:,.0f}", _ms(s.p50_ms),
             _ms(s.p99_ms), f"{s.per_second / hello.per_second:.0%}"] for s in results.routes]  # fmt: skip
    out.append(_table(["route", "path", "requests", "non-200", "KiB/response", "seconds", "req/s", "p50 ms", "p99 ms",
                       "req/s share of bare"], rows, {2, 3, 4, 5, 6, 7, 8, 9}))  # fmt: skip

    out += ["", f"2. The officer dashboard and the published list by candidacies in the election ({args.requests:,} "
            "requests each, the bare route interleaved)"]  # fmt: skip
    first = results.by_size[0][1] if results.by_size else None
    rows = []
    for size, dash, bare, listed in results.by_size:
        ratio = f"{dash.p50_ms / first.p50_ms:.2f}" if first is not None and first.p50_ms else "-"
        rows.append([f"{size:,}", f"{dash.n:,}", str(dash.not_ok), _kib(dash), f"{dash.per_second:,.0f}", _ms(dash.p50_ms),
                     _ms(dash.p99_ms), ratio, f"{bare.per_second:,.0f}", f"{dash.per_second / bare.per_second:.0%}",
                     _ms(listed.p50_ms), _ms(listed.p99_ms), f"{listed.per_second / bare.per_second:.0%}"])  # fmt: skip
    out.append(_table(["candidacies", "requests", "non-200", "KiB/response", "req/s", "p50 ms", "p99 ms",
                       "p50 / p50 at smallest", "bare req/s", "share of bare", "list p50 ms", "list p99 ms",
                       "list share of bare"], rows, set(range(13))))  # fmt: skip

    out += ["", f"3. The officer dashboard by rows in the deadline table, at {results.deadline_candidacies:,} candidacies "
            f"({args.requests:,} requests each, the bare route interleaved)"]  # fmt: skip
    lowest = results.by_deadlines[0][1] if results.by_deadlines else None
    rows = []
    for size, dash, bare in results.by_deadlines:
        ratio = f"{dash.p50_ms / lowest.p50_ms:.2f}" if lowest is not None and lowest.p50_ms else "-"
        rows.append([f"{size:,}", f"{dash.n:,}", str(dash.not_ok), _kib(dash), f"{dash.per_second:,.0f}", _ms(dash.p50_ms),
                     _ms(dash.p99_ms), ratio, f"{bare.per_second:,.0f}", f"{dash.per_second / bare.per_second:.0%}"])  # fmt: skip
    out.append(_table(["deadline rows", "requests", "non-200", "KiB/response", "req/s", "p50 ms", "p99 ms",
                       "p50 / p50 at smallest", "bare req/s", "share of bare"], rows, set(range(10))))  # fmt: skip

    out += ["", "Targets (from the issue), printed, not asserted:"]
    by_route = {s.route: s for s in results.routes}
    listed = by_route[LIST]
    share = listed.per_second / hello.per_second
    out.append(f"  published list >= {TARGET_SHARE:.0%} of the bare route's rate: {listed.per_second:,.0f} vs "
               f"{hello.per_second:,.0f} req/s = {share:.0%}: {_verdict(share >= TARGET_SHARE)}")  # fmt: skip
    for route in (LIST, STATUS, DASHBOARD):
        sample = by_route[route]
        context = "" if route == LIST else " (for context: the issue names the list)"
        out.append(f"  p99 < {TARGET_P99_MS:.0f} ms, {route}{context}: {_ms(sample.p99_ms)} ms: "
                   f"{_verdict(sample.p99_ms < TARGET_P99_MS)}")  # fmt: skip
    dash = by_route[DASHBOARD]
    out.append(f"  officer dashboard p50 <= {DASHBOARD_P50_MS:.0f} ms: {_ms(dash.p50_ms)} ms: "
               f"{_verdict(dash.p50_ms <= DASHBOARD_P50_MS)}")  # fmt: skip
    share = dash.per_second / hello.per_second
    out.append(f"  officer dashboard >= {DASHBOARD_SHARE:.0%} of the bare route's rate: {dash.per_second:,.0f} vs "
               f"{hello.per_second:,.0f} req/s = {share:.0%}: {_verdict(share >= DASHBOARD_SHARE)}")  # fmt: skip
    for axis, measured in (("candidacies", results.by_size), ("deadline rows", results.by_deadlines)):
        if len(measured) >= 2:
            (small, low, *_), (large, high, *_) = measured[0], measured[-1]
            factor = high.p50_ms / low.p50_ms
            out.append(f"  dashboard flat from {small:,} to {large:,} {axis} (p50 at {large:,} within {FLAT_FACTOR}x of "
                       f"p50 at {small:,}): {_ms(low.p50_ms)} -> {_ms(high.p50_ms)} ms, x{factor:.2f}: "
                       f"{_verdict(factor <= FLAT_FACTOR)}")  # fmt: skip
    samples = [*results.routes, *(d for _, d, _, _ in results.by_size), *(d for _, d, _ in results.by_deadlines)]
    failed = [s for s in samples if s.not_ok]
    if failed:
        out.append("  NOTE: some responses were not 200: "
                   + "; ".join(f"{s.route} {dict(s.statuses)}" for s in failed))  # fmt: skip
    return "\n".join(out)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- Run ------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    if args.requests < 1 or args.concurrency < 1 or args.workers < 1 or args.candidacies < 1 or args.rounds < 1:
        raise SystemExit("--requests, --candidacies, --concurrency, --workers and --rounds must be >= 1")
    results = Results()
    levels = sorted({*args.dashboard_sizes, args.candidacies})
    password = secrets.token_urlsafe(18)
    with fresh_database("postgresql", args.database_url) as (url, where), \
            tempfile.TemporaryDirectory(prefix="registrar_bench_web_") as directory:  # fmt: skip
        db = Database(url)
        server = Server(url, args.workers, Path(directory))
        try:
            _say(f"{where}: migrating, announcing, walking one candidacy to registered ...")
            db.upgrade()
            world = announce(db)
            walked = walk_one(world)
            accounts.create_user(db, OFFICER_LOGIN, OFFICER_ROLE, password, full_name="Bench Clerk", actor="bench")
            results.where = f"{_where(db, where)}; {os.cpu_count()} CPUs"
            _say(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{server.port} ...")
            server.start()
            results.server = (f"gunicorn, {args.workers} sync workers on 127.0.0.1:{server.port} (process group "
                              f"{server.group}); client: this process, {args.concurrency} threads, a new connection per "
                              f"request, {args.warmup} warm-up requests per route untimed")  # fmt: skip
            results.load.append(f"load average (1, 5, 15 min) at the start: {_load()}")
            cookies = log_in(server.port, OFFICER_LOGIN, password)
            dozen = False
            for level in levels:
                _say(f"growing the election to {level:,} candidacies set-based ...")
                added = grow_to(db, world, level)
                if not dozen and added:
                    register_dozen(db, world, added)
                    dozen = True
                if level == args.candidacies:
                    _say(f"timing the routes at {level:,} candidacies ...")
                    results.candidacies, results.registered = count_candidacies(db), registered(db)
                    results.routes = [Sample(HELLO, "/bench/hello"), Sample(LIST, f"/elections/{ELECTION_ID}/candidates"),
                                      Sample(STATUS, f"/candidacies/{walked}"), Sample(OFFICER_HELLO, "/bench/officer"),
                                      Sample(OFFICER_PAGE, "/bench/officer/page"), Sample(DASHBOARD, "/officer/")]  # fmt: skip
                    measure(server.port, [(s, cookies if s.route in OFFICERS else None) for s in results.routes], args)
                if level in args.dashboard_sizes:
                    _say(f"timing the dashboard and the list at {level:,} candidacies ...")
                    dash, bare = Sample(DASHBOARD, "/officer/"), Sample(HELLO, "/bench/hello")
                    listed = Sample(LIST, f"/elections/{ELECTION_ID}/candidates")
                    measure(server.port, [(bare, None), (dash, cookies), (listed, None)], args)
                    results.by_size.append((count_candidacies(db), dash, bare, listed))
            results.deadline_candidacies = count_candidacies(db)
            now = dt.datetime.now(dt.UTC)
            for rows in args.deadline_sizes:
                _say(f"growing the deadline table to {rows:,} rows set-based ...")
                present = grow_deadlines(db, rows, at=now)
                _say(f"timing the dashboard at {present:,} deadline rows ...")
                dash, bare = Sample(DASHBOARD, "/officer/"), Sample(HELLO, "/bench/hello")
                measure(server.port, [(bare, None), (dash, cookies)], args)
                results.by_deadlines.append((present, dash, bare))
            results.load.append(f"load average (1, 5, 15 min) at the end: {_load()}")
        except BaseException:
            if server.child.popen is not None:
                _say(f"gunicorn's log, the end:\n{server.child.tail(40)}")
            raise
        finally:
            server.stop()
            db.dispose()
    print(report(results, args), flush=True)
    return 0


__all__ = ["SUMMARY", "add_arguments", "run"]
