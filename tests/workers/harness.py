"""The harness: real Celery processes on a real Redis, sweeping a real database; a PostgreSQL of our own.

Every test gets its own ``redis-server`` on a spare port (never the machine's 6379): the tests
kill and restart it, and a shared queue would let another test session's worker take our ticks.
Workers and beat run as separate ``python -m celery`` processes, each in its own process group,
so a test can SIGKILL one with its pool children and teardown can make sure none is left.
A test that restarts PostgreSQL does it to a cluster of its module's own (:class:`PostgresServer`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, insert, select

from bench.deadlines import group_alive
from registrar import actions, audit, demo
from registrar.db import Database
from registrar.models import AuditEvent, Deadline, InformationRequest, OutboxMessage
from registrar.rules import for_kind
from tests.ports import BIND_ATTEMPTS, free_port

ROOT = Path(__file__).resolve().parents[2]
ELECTION_ID = "kz-workers"
STARTUP_SECONDS = 60
SWEEP_INTERVAL = 0.5  # seconds between beat ticks in these tests


# --- waiting ------------------------------------------------------------------------------


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str, logs: Callable[[], str] = lambda: "",
               every: float = 0.05) -> Any:  # fmt: skip
    """Poll ``condition`` until it is truthy; fail naming ``what`` (and the processes' logs) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}", pytrace=False)
        time.sleep(every)


# Ports for our own servers come from a band below Linux's ephemeral range (32768-60999), so no
# outgoing connection and no bind to port 0 can be handed one; each pytest-xdist worker draws
# from its own slice of the band, and a server that still finds its port taken (another test
# session on the machine drew it) is started again on another one.
# --- processes ----------------------------------------------------------------------------


@dataclass
class Process:
    """One child process (and whatever it forks), with its output in a file."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str]
    cwd: Path = ROOT
    popen: subprocess.Popen[bytes] | None = None
    runs: int = 0

    def start(self) -> Process:
        assert not self.running, f"{self.name} is already running"
        self.runs += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== {self.name}: start #{self.runs}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: a kill takes the pool children with it
            )  # fmt: skip
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def this_run(self) -> str:
        """The output since the last start."""
        return self.log().rsplit(f"===== {self.name}: start #{self.runs}:", 1)[-1]

    def signal(self, signum: int) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole group, as a machine losing power would, and reap it."""
        self.signal(signal.SIGKILL)
        self._reap()

    def stop(self, grace: float = 20) -> None:
        """SIGTERM (Celery's warm shutdown), then SIGKILL whatever is left after ``grace`` seconds."""
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(grace)
        self.kill()

    def _reap(self) -> None:
        assert self.popen is not None
        self.popen.wait(30)
        group = self.popen.pid
        # The leader is gone; its pool children may take a moment to die with it (their zombies,
        # which init reaps late, do not count).
        for _ in range(200):
            if not group_alive(group):
                return
            time.sleep(0.05)
        pytest.fail(f"{self.name}: processes of group {group} survived SIGKILL", pytrace=False)


class RedisServer:
    """A redis-server of our own, without persistence: a restart comes back empty."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)", pytrace=False)
        self.binary, self.directory = binary, directory
        self._use(free_port())

    def _use(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.directory)]  # fmt: skip
        self.process = Process("redis", argv, self.directory / "redis.log", dict(os.environ))

    def start(self) -> None:
        """Start it; when its port was taken between choosing and binding, start it on another one."""
        for _ in range(BIND_ATTEMPTS):
            if self._started():
                return
            self._use(free_port())
        pytest.fail(f"redis-server found {BIND_ATTEMPTS} ports taken\n{self.process.log()}", pytrace=False)

    def _started(self) -> bool:
        """Start on ``self.port`` and wait for PONG; False when the port turned out to be taken."""
        self.process.start()
        wait_until(lambda: self.ping() or not self.process.running, timeout=STARTUP_SECONDS,
                   what=f"redis-server on port {self.port}", logs=self.process.log)  # fmt: skip
        if self.process.running:
            return True
        self.process.kill()  # reap it
        if "Address already in use" in self.process.this_run():
            return False
        pytest.fail(f"redis-server exited at start on port {self.port}\n{self.process.log()}", pytrace=False)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *words: str) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection:
            connection.sendall(" ".join(words).encode() + b"\r\n")
            return connection.recv(8192)

    def run_id(self) -> bytes:
        """The server's random id, new at every start."""
        found = re.search(rb"run_id:(\w+)", self.command("INFO", "server"))
        assert found, "redis-server did not report its run_id"
        return found.group(1)

    def restart(self) -> None:
        """Kill it (nothing is saved, so the queue is lost) and start a fresh one on the same port."""
        before = self.run_id()
        self.process.kill()
        if not self._started():  # the clients know this port: a restart cannot move
            pytest.fail(f"port {self.port} was taken while redis-server restarted\n{self.process.log()}", pytrace=False)
        assert self.run_id() != before, "the same redis-server answered after the restart"


class PostgresServer:
    """A PostgreSQL cluster of our own (initdb into a temporary folder), which a test may stop, kill and restart.

    Never the machine's server on 5432: a restart there would cut every other test session off.
    Trust authentication on 127.0.0.1 only, no Unix socket, and no fsync (a test cluster need not
    survive the machine crashing; ``-m immediate`` is a crash of the server alone, which it does
    survive: what was committed is in the WAL it replays at the next start). initdb and the
    migrations take about 2 s, so a module shares one cluster (tests/workers/conftest.py). PostgreSQL refuses
    to run as root, so as root the binaries run as the ``postgres`` account.
    """

    DATABASE = "registrar"

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.owner = _unprivileged_owner()
        self.directory = Path(tempfile.mkdtemp(prefix="registrar-pg-"))  # not under pytest's 0700 folders
        if self.owner is not None:
            shutil.chown(self.directory, self.owner)
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.port = 0
        self.starts = 0
        run = self._run([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                         "--no-sync", "--no-instructions"])  # fmt: skip
        if run.returncode != 0:
            pytest.fail(f"initdb failed\n{run.stdout}{run.stderr}", pytrace=False)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.DATABASE}"

    def _run(self, argv: list[str], timeout: float = STARTUP_SECONDS) -> subprocess.CompletedProcess[str]:
        if self.owner is not None:
            argv = ["runuser", "-u", self.owner, "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=self.directory, check=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def create(self) -> None:
        """Start on a spare port (another one if it was taken), create the database and migrate it."""
        for _ in range(BIND_ATTEMPTS):
            self.port = free_port()
            if self._started():
                break
        else:
            pytest.fail(f"postgres found {BIND_ATTEMPTS} ports taken\n{self.log()}", pytrace=False)
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{self.DATABASE}"')
        database = Database(self.url)
        database.upgrade()
        database.dispose()

    def _started(self) -> bool:
        """``pg_ctl start`` on ``self.port``, waiting until it accepts connections; False when the port was taken."""
        self.starts += 1
        # fsync off: a kill of the server alone keeps what it wrote in the OS's cache. Never
        # synchronous_commit off here: a commit would be acknowledged before its WAL is written,
        # and an immediate stop then loses actions their callers were told were stored (it did).
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60")  # fmt: skip
        log_size = self.log_path.stat().st_size if self.log_path.exists() else 0
        run = self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-w", "-t",
                         str(STARTUP_SECONDS), "-o", options, "start"])  # fmt: skip
        if run.returncode == 0:
            return True
        if "Address already in use" in self.log()[log_size:]:
            return False
        pytest.fail(f"postgres did not start on port {self.port}\n{run.stdout}{run.stderr}\n{self.log()[-3000:]}", pytrace=False)

    def start(self) -> None:
        """Start again on the same port: the clients' URLs and pools know it."""
        if not self._started():
            pytest.fail(f"port {self.port} was taken while postgres was down\n{self.log()[-3000:]}", pytrace=False)

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast`` (sessions ended, a clean shutdown) or ``-m immediate`` (as a crash of the server)."""
        run = self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
        if run.returncode != 0 and self.running:
            pytest.fail(f"pg_ctl stop -m {mode} failed\n{run.stdout}{run.stderr}", pytrace=False)

    def restart(self, mode: str = "immediate", down: float = 0.0) -> None:
        """Stop (by default as a crash), stay down ``down`` seconds, start on the same port."""
        self.stop(mode)
        time.sleep(down)
        self.start()

    @property
    def running(self) -> bool:
        return self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"], timeout=10).returncode == 0

    def accepting(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2) as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def remove(self) -> None:
        if self.data.exists():
            self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.directory, ignore_errors=True)


def _postgres_bin() -> Path:
    """The folder of initdb and pg_ctl: REGISTRAR_TEST_PG_BIN, else the PATH's, else Debian's newest."""
    named = os.environ.get("REGISTRAR_TEST_PG_BIN")
    found = shutil.which("initdb")
    candidates = [Path(named)] if named else []
    candidates += [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    pytest.fail("initdb and pg_ctl are not installed (apt-get install postgresql)", pytrace=False)


def _unprivileged_owner() -> str | None:
    """Whom the server runs as: ourselves, unless we are root (then ``postgres``, else ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.fail("running as root and there is no unprivileged account for postgres to run as", pytrace=False)


@dataclass
class Celery:
    """Start workers and beat for ``workers.app`` against one broker and one database."""

    directory: Path
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    def worker(self, name: str = "w1", *, concurrency: int = 1) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--loglevel=INFO",
                f"--concurrency={concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"{name}@%h"]  # fmt: skip
        process = Process(name, argv, self.directory / f"{name}.log", self.env)
        self.processes.append(process)
        return process

    def beat(self, name: str = "beat") -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "workers.app", "beat", "--loglevel=INFO",
                "--schedule", str(self.directory / f"{name}-schedule")]  # fmt: skip
        process = Process(name, argv, self.directory / f"{name}.log", self.env)
        self.processes.append(process)
        return process

    def started(self, process: Process) -> Process:
        """Start ``process`` and wait until it is consuming (a worker) or scheduling (beat)."""
        process.start()
        marker = " ready." if "worker" in process.argv else "beat: Starting..."
        wait_until(lambda: marker in process.this_run() or not process.running, timeout=STARTUP_SECONDS,
                   what=f"{process.name} to start", logs=self.logs)  # fmt: skip
        assert process.running, f"{process.name} exited at start\n{self.logs()}"
        return process

    def logs(self, lines: int = 60) -> str:
        parts = []
        for process in self.processes:
            tail = process.log().splitlines()[-lines:]
            parts.append(f"----- {process.name} ({process.log_path}) -----\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.popen is not None:
                process.kill()


# --- the election and its deadlines ---------------------------------------------------------


@dataclass
class Election:
    db: Database
    candidacies: list[int]

    def information_requests_due(self, due_times: list[dt.datetime]) -> list[str]:
        """D2 deadlines of the real candidacies, due at ``due_times``: one request each, sent four days before.

        Inserted as rows (the action would put every due at local midnight): the sweep reads
        rows, and this gives each deadline its own moment. Returns the deadline keys.
        """
        rules = for_kind("presidential")
        with self.db.transaction() as session:
            # fmt: off
            requests = [
                InformationRequest(candidacy_id=self.candidacies[i % len(self.candidacies)], organisation=f"Bank {i}",
                                   subject="accounts of the candidate", sent_at=due - dt.timedelta(days=4))
                for i, due in enumerate(due_times)
            ]
            # fmt: on
            session.add_all(requests)
            session.flush()
            # fmt: off
            rows = [
                {"key": f"candidacy:{r.candidacy_id}:information_request_answer:{r.sent_at.astimezone(dt.UTC).isoformat()}"
                        f":{r.id}",
                 "subject_type": "candidacy", "subject_id": str(r.candidacy_id), "kind": "information_request_answer",
                 "rule": "D2", "due_at": due, "due_local": due.astimezone(rules.zone).isoformat(),
                 "computed_from": "test: a request sent four days before", "status": "pending",
                 "created_at": r.sent_at}
                for r, due in zip(requests, due_times, strict=True)
            ]
            # fmt: on
            session.execute(insert(Deadline), rows)
        return [row["key"] for row in rows]

    def information_requests_sent(self, count: int) -> list[str]:
        """D2 deadlines opened by the real action, five days ago, so they are due now."""
        sent = dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
        for i in range(count):
            actions.perform(self.db, self.candidacies[i % len(self.candidacies)], "send_information_request",
                            {"organisation": f"Tax office {i}", "subject": "the candidate's property"},
                            actor="test:clerk", at=sent + dt.timedelta(minutes=i))  # fmt: skip
        with self.db.reading() as session:
            keys = list(session.scalars(select(Deadline.key).where(Deadline.key.like("%:information_request_answer:%"))))
        assert len(keys) == count
        assert all(due <= dt.datetime.now(dt.UTC) for due in self.due_times(keys).values())
        return keys

    def due_times(self, keys: list[str]) -> dict[str, dt.datetime]:
        with self.db.reading() as session:
            rows = session.execute(select(Deadline.key, Deadline.due_at).where(Deadline.key.in_(keys)))
            return {key: due_at for key, due_at in rows}


def present_election(db: Database, candidacies: int = 12) -> Election:
    """An election whose registration is under way today (as in the demo), with nominated candidacies."""
    rules = for_kind("presidential")
    today = dt.datetime.now(rules.zone).date()
    election_day = today + dt.timedelta(days=42)
    announced = election_day - dt.timedelta(days=120)
    calendar = demo.announce(db, ELECTION_ID, "Presidential election (workers test)", announced, election_day,
                             actor="test:commission")  # fmt: skip
    registered = dt.datetime.combine(announced, dt.time(11), tzinfo=rules.zone)
    ids = []
    for i in range(candidacies):
        association = actions.register_association(
            db, {"registration_number": f"W-{i:03d}", "name": f"Association {i}", "kind": "national",
                 "registered_on": "2010-01-01"}, actor="test:ministry", at=registered)  # fmt: skip
        at = calendar.nomination_opens + dt.timedelta(days=2, hours=i)
        outcome = actions.nominate(
            db, ELECTION_ID,
            {"association_id": association, "person": demo.person(f"Candidate {i}", election_day),
             "decision": demo.decision(calendar.local(at).date() - dt.timedelta(days=1))},
            actor="test:clerk", at=at,
        )  # fmt: skip
        ids.append(outcome.candidacy_id)
    return Election(db, ids)


# --- what the sweep did -----------------------------------------------------------------------


REMINDER = "deadline.reminder"


@dataclass
class Effects:
    events_by_deadline: dict[str, list[int]]  # deadline key -> the seqs of the effect events it caused
    reminders: Counter[tuple[str, float]]  # (deadline key, lead hours) -> reminder events
    outbox_by_event: Counter[int]
    fired: set[str]

    def count(self, key: str) -> int:
        return len(self.events_by_deadline.get(key, []))


def effects(db: Database) -> Effects:
    """The audit events the sweep caused, by deadline: its effect apart from its reminders."""
    events: dict[str, list[int]] = {}
    reminders: Counter[tuple[str, float]] = Counter()
    with db.reading() as session:
        for seq, action, payload in session.execute(
            select(AuditEvent.seq, AuditEvent.action, AuditEvent.payload).order_by(AuditEvent.seq)
        ):
            if not isinstance(payload, dict) or "deadline" not in payload:
                continue
            if action == REMINDER:
                reminders[payload["deadline"], payload.get("lead_hours")] += 1
            else:
                events.setdefault(payload["deadline"], []).append(seq)
        rows = session.execute(select(OutboxMessage.event_seq, func.count()).group_by(OutboxMessage.event_seq))
        outbox = Counter({seq: count for seq, count in rows})
        fired = set(session.scalars(select(Deadline.key).where(Deadline.status == "fired")))
    return Effects(events, reminders, outbox, fired)


def fired_count(db: Database, keys: list[str]) -> int:
    with db.reading() as session:
        fired = session.scalar(select(func.count()).where(Deadline.status == "fired", Deadline.key.in_(keys)))
        return int(fired or 0)


def assert_each_applied_once(db: Database, keys: list[str]) -> Effects:
    """Every deadline in ``keys`` fired, its effect is one audit event with the same outbox rows; none lost.

    No deadline at all (the election's own included) had its effect applied twice or a
    reminder sent twice for one lead, and the audit chain is intact.
    """
    seen = effects(db)
    lost = [key for key in keys if key not in seen.fired]
    assert not lost, f"{len(lost)} of {len(keys)} due deadlines never fired, e.g. {lost[:3]}"
    counts = Counter(seen.count(key) for key in keys)
    assert counts == Counter({1: len(keys)}), f"audit events per deadline (events: deadlines): {dict(counts)}"
    repeated = {key: seqs for key, seqs in seen.events_by_deadline.items() if len(seqs) > 1}
    assert not repeated, f"deadlines whose effect was applied more than once: {list(repeated.items())[:3]}"
    reminded_twice = [reminder for reminder, count in seen.reminders.items() if count > 1]
    assert not reminded_twice, f"reminders sent more than once for the same lead: {reminded_twice[:3]}"
    per_event = Counter(seen.outbox_by_event[seen.events_by_deadline[key][0]] for key in keys)
    assert len(per_event) == 1 and 0 not in per_event, f"outbox rows per deadline event (rows: events): {dict(per_event)}"
    with db.reading() as session:
        verdict = audit.verify(session)
    assert verdict.ok, verdict.problem
    return seen
