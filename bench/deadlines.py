"""Legal deadlines at scale: this engine's deadline rows and sweep, beside plain Celery ETA tasks.

In one run, on one fresh database (PostgreSQL: ``registrar_bench_<random>``, created and
dropped by the benchmark) and one redis-server the benchmark starts itself on a spare port
without persistence (``--save ""``; the machine's own Redis is never touched), it compares

(a) **this engine**: deadline rows in the database, fired by :func:`registrar.sweep.sweep`
    in set-based batches; in production by the ``workers.app`` Celery worker, whose beat
    ticks carry no data; and
(b) **plain Celery ETA**: one ``apply_async(eta=due_at)`` per deadline to a tiny Celery app
    (:mod:`bench.eta_app`) whose task applies the same effect to one deadline, in a real
    ``celery worker`` subprocess (prefork, one child per core, Celery's defaults).

The effect is the same for both: a due D2 information-request deadline (the organisation
did not answer in time) appends one hash-chained audit event naming the deadline and two
outbox rows (the CEC and the organisation), written by the sweep's own notice code.

Measured:

1. scheduling: deadlines recorded per second ((a) ``INSERT`` of deadline rows, set-based, in
   transactions of 10,000; for context, one row per transaction through
   ``deadlines.open_deadline`` as an officer's action records it; (b) ``apply_async`` calls);
2. worker memory (VmRSS from /proc, the worker's main process and its whole process group)
   with 0, ``--n`` and ``10 x --n`` deadlines pending. (a) holds nothing per pending
   deadline. (b) holds every pending task in the worker's memory: by default it stops at
   ``--n`` (1,000,000 ETA tasks take minutes to publish and gigabytes to hold); pass
   ``--eta-full`` to measure ``10 x --n`` too, within ``--eta-memory-mib`` and ``--eta-budget``;
3. a burst: ``--n`` D2 deadlines of candidacies created set-based, all due at one 18:00
   cut-off. (a) the time of ``sweep.sweep(db, cut_off)`` in this process until all fired,
   after an ``ANALYZE`` and a ``CHECKPOINT`` (untimed: recorded days before in life, the rows
   would have been analysed by autovacuum; with statistics that have not seen them,
   PostgreSQL sorts every due row at each batch's claim and reads every information request
   to find a few thousand; a checkpoint precedes any cut-off within five minutes); then the same
   burst (new rows, a later cut-off) swept by one and by two sweeper processes started together
   (spawned interpreters, each its own engine, connected before the start), ``--sweeper-rounds``
   rounds interleaved, the median printed; (b) the time from the ETA to the last effect
   committed by the worker: one transaction per deadline, about a hundred a second here, so
   the benchmark stops waiting after ``--eta-wait`` seconds and says how far it got;
4. faults, each on ``--fault-n`` deadlines falling due together: the worker SIGKILLed
   (with its pool) mid-burst and started again; the redis-server killed and started
   again empty. The effects per deadline are counted in the database: applied once,
   duplicated, lost; for (b) how many of the lost are still parked in Redis's unacked set,
   which Celery redelivers only after the transport's visibility timeout (an hour);
5. the set-based claim rate of the same database, the limit of any sweep: ``UPDATE deadline
   SET status='fired' WHERE id IN (SELECT id ... ORDER BY due_at, id LIMIT 1000 FOR UPDATE
   SKIP LOCKED)``, a transaction per batch, no effect applied;
6. with ``--growth 1000,10000,100000,1000000``, on a database of its own: one sweep of a batch
   of ``--growth-due`` due rows, and a tick with nothing due, as the pending (not due) rows
   grow to each level; three rounds each, the median printed.

The targets (from the issue) are printed with whether they are met, never asserted: 100,000
enforced in under 10 seconds on PostgreSQL; the burst at >= 0.5 x the bare claim rate of the
same run; two sweepers at >= 1.6 x one; worker memory flat in the number pending (within
10% or 16 MiB of the idle worker); zero duplicates and zero losses. ``--engine-only`` leaves
the ETA baseline out.

``--n 2000`` runs in about a minute and a half; the defaults (``--n 100000``) in about ten
minutes, most of it the ETA baseline (publishing 100,000 tasks one call each, then waiting
``--eta-wait`` for them to be applied) and recording the million pending rows of (a).
``--profile`` also runs a second burst of ``--n`` under cProfile and prints where its time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import math
import os
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text

from bench.transitions import DEFAULT_ADMIN_URL, ELECTION_ID, World, _cumulative, _pstats_text, _table, announce, fresh_database
from registrar import deadlines, sweep
from registrar.db import Database
from registrar.models import (
    Association,
    AssociationName,
    AuditEvent,
    AuditHead,
    Candidacy,
    Deadline,
    InformationRequest,
    OutboxMessage,
)
from registrar.models import Person as PersonRow

SUMMARY = "deadline rows and the set-based sweep beside plain Celery ETA tasks: scheduling, memory, a 18:00 burst, faults"
TARGET_SECONDS = 10.0  # the issue: 100,000 deadlines enforced in under 10 s on PostgreSQL
TARGET_N = 100_000
TARGET_CLAIM_SHARE = 0.5  # issue 15: the burst at >= half the bare claim rate of the same run
TARGET_SWEEPERS = 1.6  # issue 15: two sweepers at >= 1.6 x one
FLAT_SHARE, FLAT_MIB = 0.10, 16.0  # "flat": within 10% or 16 MiB of the idle worker
NOTICE = "deadline.information_request_answer"
ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60
SETTLE = 5.0  # seconds without a new effect after which the ETA worker is taken to have done what it will
TICK = 0.5  # seconds between the engine's beat ticks in this benchmark
CHUNK = 10_000  # deadline rows per INSERT transaction
# Recorded days ahead in life, a deadline has had its reminders by the time it falls due; rows
# recorded seconds before their due time here would otherwise be reminded first (24 h, 2 h leads).
REMINDED = 2 * 3600
ENGINE, ETA = "(a) engine: rows + sweep", "(b) Celery ETA tasks"
ONE, TWO = "(a) engine: one sweeper process", "(a) engine: two sweeper processes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=TARGET_N, help=f"deadlines in the burst and pending levels ({TARGET_N:,})")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql", help="database (postgresql)")
    parser.add_argument(
        "--database-url", default=DEFAULT_ADMIN_URL,
        help=f"PostgreSQL server on which registrar_bench_<random> is created and dropped ({DEFAULT_ADMIN_URL})",
    )  # fmt: skip
    parser.add_argument("--batch", type=int, default=5000, help="sweep batch: rows per transaction (5000)")
    parser.add_argument("--fault-n", type=int, default=None, help="deadlines in each fault scenario (--n / 2, at most 10000)")
    parser.add_argument("--eta-full", action="store_true", help="also hold 10 x --n ETA tasks in the worker (slow, GBs)")
    parser.add_argument("--eta-memory-mib", type=float, default=None,
                        help="stop feeding the ETA worker beyond this RSS (half the available memory)")  # fmt: skip
    parser.add_argument("--eta-budget", type=float, default=900, help="seconds the ETA worker may take to take in tasks (900)")
    parser.add_argument("--eta-wait", type=float, default=120,
                        help="seconds to wait for the ETA worker to apply the burst after its cut-off (120)")  # fmt: skip
    parser.add_argument("--watch", type=float, default=2.0,
                        help="seconds over which a worker's memory is read, its largest reading kept (2)")  # fmt: skip
    parser.add_argument("--settle", type=float, default=SETTLE,
                        help=f"seconds without a new effect before the ETA worker is taken as done ({SETTLE:.0f})")  # fmt: skip
    parser.add_argument("--sweeper-rounds", type=int, default=1,
                        help="rounds of the burst swept by one and by two sweeper processes, interleaved (1)")  # fmt: skip
    parser.add_argument("--growth", default="", metavar="LEVELS",
                        help="pending rows, comma-separated (1000,10000,100000,1000000): a batch timed at each")  # fmt: skip
    parser.add_argument("--growth-due", type=int, default=1000, help="due rows in the --growth batch (1000)")
    parser.add_argument("--engine-only", action="store_true", help="measure the engine only, not the Celery ETA baseline")
    parser.add_argument("--profile", action="store_true", help="also profile a second burst of the sweep (cProfile)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile (25)")


_STARTED = time.monotonic()


def _say(message: str) -> None:
    print(f"{time.monotonic() - _STARTED:6.1f}s {message}", file=sys.stderr, flush=True)


# --- Processes: our own redis-server and Celery workers -----------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    limit = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > limit:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Child:
    """A child process in its own process group (a kill takes its pool with it), output in a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    runs: int = 0

    def start(self) -> Child:
        self.runs += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.runs}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def this_run(self) -> str:
        text_ = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text_.rsplit(f"===== start #{self.runs}:", 1)[-1]

    def kill(self) -> None:
        """SIGKILL the whole group, as a machine losing power would, and reap it."""
        if self.popen is None:
            return
        group = self.popen.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.popen.wait(30)
        with contextlib.suppress(TimeoutError):
            wait_for(lambda: not group_alive(group), 10, f"{self.name}'s processes to die")
        self.popen = None

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.this_run().splitlines()[-lines:])


def group_alive(group: int) -> bool:
    """Whether a process of ``group`` still runs: a zombie (a killed pool child that init has not
    reaped yet, 1.8 s in some sandboxes) does nothing and is not counted."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            state, _, pgrp = stat[stat.rfind(")") + 2 :].split(maxsplit=3)[:3]
            if int(pgrp) == group and state not in "ZX":
                return True
    return False


def _stat(pid: str) -> tuple[int, int] | None:
    """(ppid, process group) from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    return int(fields[1]), int(fields[2])


def _vmrss_kib(pid: int | str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib(child: Child) -> tuple[float, float, int]:
    """(main process, whole process group, processes) VmRSS in MiB."""
    group = child.pid
    members = [entry for entry in os.listdir("/proc") if entry.isdigit() and (_stat(entry) or (0, 0))[1] == group]
    total = sum(_vmrss_kib(pid) for pid in members)
    return _vmrss_kib(group) / 1024, total / 1024, len(members)


def steady_rss(child: Child, seconds: float) -> tuple[float, float, int]:
    """The largest reading over a few seconds of the worker's ticks (a sweep's batch comes and goes)."""
    best = rss_mib(child)
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        time.sleep(0.25)
        now = rss_mib(child)
        best = (max(best[0], now[0]), max(best[1], now[1]), max(best[2], now[2]))
    return best


class RedisServer:
    """A redis-server of our own on a spare port, without persistence: a restart comes back empty."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(directory)]  # fmt: skip
        self.process = Child("redis", argv, dict(os.environ), directory / "redis.log")
        import redis

        self.client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except Exception:
            return False

    def start(self) -> None:
        self.process.start()
        wait_for(self.ping, STARTUP_SECONDS, f"redis-server on port {self.port}")

    def restart(self) -> None:
        """Kill it (nothing is saved: every queued and unacknowledged message is gone) and start it again."""
        self.process.kill()
        self.client.connection_pool.disconnect()
        self.start()

    def queued(self) -> int:
        return int(self.client.llen("celery"))

    def unacked(self) -> int:
        return int(self.client.hlen("unacked"))

    def stop(self) -> None:
        self.process.kill()


# --- The world: an election, candidacies and information requests, set-based --------------------


@dataclass
class Requests:
    """Unanswered information requests: (request id, candidacy id), all sent at ``sent_at``."""

    ids: list[tuple[int, int]]
    sent_at: dt.datetime


@dataclass
class Bench:
    db: Database
    world: World
    candidacies: list[int]
    cut_off: dt.datetime  # one 18:00 local, when the burst falls due
    directory: Path
    redis: RedisServer
    args: argparse.Namespace
    made: int = 0

    @property
    def url(self) -> str:
        return self.db.engine.url.render_as_string(hide_password=False)

    def requests(self, count: int, sent_at: dt.datetime) -> Requests:
        """``count`` information requests to banks, spread over the candidacies, set-based."""
        rows = [{"candidacy_id": self.candidacies[(self.made + i) % len(self.candidacies)],
                 "organisation": f"Bank {self.made + i}", "subject": "accounts of the candidate", "sent_at": sent_at}
                for i in range(count)]  # fmt: skip
        self.made += count
        ids: list[tuple[int, int]] = []
        with self.db.transaction() as session:
            table = cast(Table, InformationRequest.__table__)
            for chunk in _chunks(rows, CHUNK):
                statement = insert(table).returning(table.c.id, table.c.candidacy_id, sort_by_parameter_order=True)
                ids += [(r[0], r[1]) for r in session.execute(statement, list(chunk))]
        return Requests(ids, sent_at)

    def deadline_rows(self, requests: Requests, due_at: dt.datetime, tag: str) -> list[dict[str, Any]]:
        """The D2 rows of ``requests``, due at ``due_at``: the columns ``open_deadline`` fills."""
        zone = self.world.calendar.zone
        sent = requests.sent_at.astimezone(dt.UTC).isoformat()
        return [
            {"key": f"candidacy:{candidacy}:information_request_answer:{sent}:{request}", "subject_type": "candidacy",
             "subject_id": str(candidacy), "kind": "information_request_answer", "rule": "D2", "due_at": due_at,
             "due_local": due_at.astimezone(zone).isoformat(), "computed_from": tag, "status": "pending",
             "created_at": requests.sent_at, "reminded_lead_seconds": REMINDED}
            for request, candidacy in requests.ids
        ]  # fmt: skip

    def eta_payloads(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"key": r["key"], "subject_id": r["subject_id"], "due_at": r["due_at"].isoformat(), "due_local": r["due_local"]}
                for r in rows]  # fmt: skip


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def insert_deadlines(db: Database, rows: list[dict[str, Any]]) -> float:
    """Record deadline rows set-based, a transaction per ``CHUNK``; returns the seconds it took."""
    started = time.perf_counter()
    for chunk in _chunks(rows, CHUNK):
        with db.transaction() as session:
            session.execute(insert(Deadline), list(chunk))
    return time.perf_counter() - started


def create_candidacies(db: Database, world: World, count: int) -> list[int]:
    """``count`` nominated candidacies, each of its own national association (N5), inserted set-based."""
    at = world.nomination_time
    person = {key: value for key, value in _person().items()}
    with db.transaction() as session:
        associations = [row[0] for row in session.execute(
            insert(Association).returning(Association.id, sort_by_parameter_order=True),
            [{"registration_number": f"BD-{i:07d}", "kind": "national", "registered_on": dt.date(2010, 1, 1)}
             for i in range(count)])]  # fmt: skip
        session.execute(insert(AssociationName), [{"association_id": a, "name": f"Association {a}",
                                                   "valid_from": dt.date(2010, 1, 1)} for a in associations])  # fmt: skip
        people = [row[0] for row in session.execute(
            insert(PersonRow).returning(PersonRow.id, sort_by_parameter_order=True),
            [person | {"full_name": f"Candidate {i}"} for i in range(count)])]  # fmt: skip
        ids = [row[0] for row in session.execute(
            insert(Candidacy).returning(Candidacy.id, sort_by_parameter_order=True),
            [{"election_id": ELECTION_ID, "association_id": a, "person_id": p, "state": "nominated", "nominated_at": at,
              "state_since": at, "updated_at": at, "version": 1}
             for a, p in zip(associations, people, strict=True)])]  # fmt: skip
    return ids


def _person() -> dict[str, Any]:
    from registrar import demo

    raw = demo.person("Candidate", dt.date(2029, 11, 25))
    return raw | {"birth_date": dt.date.fromisoformat(raw["birth_date"]),
                  "resident_since": dt.date.fromisoformat(raw["resident_since"])}  # fmt: skip


# --- Counting effects -----------------------------------------------------------------------------


def last_seq(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(AuditHead.last_seq).where(AuditHead.id == 1)) or 0)


@dataclass
class Effects:
    """What became of a set of deadlines, counted in the database."""

    deadlines: int
    once: int = 0
    duplicated: int = 0
    extra_effects: int = 0
    lost: int = 0
    outbox: int = 0
    parked: int | None = None  # (b) messages still in Redis's unacked set
    seconds: float | None = None  # from due to the last effect
    note: str = ""
    cut_short: bool = False  # the benchmark stopped waiting: the rest are late, not known lost


def count_effects(db: Database, keys: Sequence[str], since: int) -> Effects:
    key = AuditEvent.payload["deadline"].as_string()
    with db.reading() as session:
        rows = session.execute(
            select(key, func.count()).where(AuditEvent.seq > since, AuditEvent.action == NOTICE).group_by(key)
        ).all()
        outbox = session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.event_seq > since)) or 0
    counts: Counter[str] = Counter({k: c for k, c in rows})
    per = [counts.get(k, 0) for k in keys]
    return Effects(len(keys), once=sum(1 for c in per if c == 1), duplicated=sum(1 for c in per if c > 1),
                   extra_effects=sum(c - 1 for c in per if c > 1), lost=sum(1 for c in per if c == 0),
                   outbox=int(outbox))  # fmt: skip


def fired(db: Database, tag: str) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count(Deadline.id)).where(Deadline.computed_from == tag,
                                                                         Deadline.status == "fired")) or 0)  # fmt: skip


def pending(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count(Deadline.id)).where(Deadline.status == "pending")) or 0)


def wait_progress(count: Callable[[], int], target: int, *, settle: float, cap: float, every: float = 0.1) -> tuple[int, float]:
    """Poll ``count`` until it reaches ``target``, stalls for ``settle`` s or ``cap`` s pass: (count, seconds to last change)."""
    started = time.monotonic()
    value, changed = count(), started
    while value < target:
        now = time.monotonic()
        if now - changed > settle or now - started > cap:
            break
        time.sleep(every)
        latest = count()
        if latest != value:
            value, changed = latest, time.monotonic()
    return value, changed - started


# --- Results ------------------------------------------------------------------------------------


@dataclass
class Rate:
    engine: str
    what: str
    n: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else math.inf


@dataclass
class Memory:
    engine: str
    pending: int
    main_mib: float | None
    group_mib: float | None
    processes: int = 0
    note: str = ""


@dataclass
class Growth:
    """A sweep at one level of pending rows: its batch of due rows, and a tick with nothing due."""

    pending: int
    due: int
    batch_seconds: list[float]
    idle_seconds: list[float]


@dataclass
class Results:
    where: str = ""
    rates: list[Rate] = field(default_factory=list)
    memory: list[Memory] = field(default_factory=list)
    burst: dict[str, Effects] = field(default_factory=dict)
    faults: list[tuple[str, str, Effects]] = field(default_factory=list)
    claim: Rate | None = None
    sweepers: dict[int, list[float]] = field(default_factory=dict)  # sweeper processes: seconds of each round
    head_waits: dict[str, float] = field(default_factory=dict)  # seconds the sweeper processes queued for the head
    growth: list[Growth] = field(default_factory=list)
    spent: dict[str, tuple[float, float, float | None]] = field(default_factory=dict)  # wall, our CPU, the server's
    notes: list[str] = field(default_factory=list)
    profile: str = ""


# --- (a) the engine -------------------------------------------------------------------------------


def engine_children(bench: Bench, batch: int | None = None) -> tuple[Child, Child]:
    env = _clean_environment() | {
        "REGISTRAR_DATABASE_URL": bench.url, "REGISTRAR_BROKER_URL": bench.redis.url,
        "REGISTRAR_SWEEP_INTERVAL_SECONDS": str(TICK), "REGISTRAR_SWEEP_BATCH": str(batch or bench.args.batch),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }  # fmt: skip
    worker = [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--loglevel=INFO", "--concurrency=1",
              "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "bench-sweeper@%h"]  # fmt: skip
    beat = [sys.executable, "-m", "celery", "-A", "workers.app", "beat", "--loglevel=INFO",
            "--schedule", str(bench.directory / "beat-schedule")]  # fmt: skip
    return (Child("engine-worker", worker, env, bench.directory / "engine-worker.log"),
            Child("engine-beat", beat, env, bench.directory / "engine-beat.log"))  # fmt: skip


def _clean_environment() -> dict[str, str]:
    """Our environment without settings of our own caller's Registrar or Celery, which would point elsewhere."""
    return {key: value for key, value in os.environ.items() if not key.startswith(("REGISTRAR_", "CELERY_", "BENCH_ETA_"))}


def started(child: Child, marker: str) -> Child:
    child.start()
    try:
        wait_for(lambda: marker in child.this_run() or not child.running, STARTUP_SECONDS, f"{child.name} to start")
    except TimeoutError:
        child.kill()
        raise
    if not child.running:
        raise RuntimeError(f"{child.name} exited at start:\n{child.tail()}")
    return child


def measure_engine(bench: Bench, results: Results) -> None:
    db, args, n = bench.db, bench.args, bench.args.n
    cut_off = bench.cut_off

    # 1. Scheduling: the burst's rows, set-based; then one per transaction as an officer's action does.
    _say(f"[engine] creating {n:,} information requests (untimed) ...")
    burst_requests = bench.requests(n, cut_off - dt.timedelta(days=4))
    burst_rows = bench.deadline_rows(burst_requests, cut_off, "bench:burst")
    worker, beat = engine_children(bench)
    try:
        running = True
        try:
            started(worker, " ready.")
            started(beat, "beat: Starting...")
            wait_for(lambda: "sweep_deadlines" in worker.this_run(), 30, "the first sweep tick")
            results.memory.append(Memory(ENGINE, pending(db), *steady_rss(worker, args.watch)))
        except (RuntimeError, TimeoutError) as err:
            running = False
            results.notes.append(f"the engine's worker (workers.app) could not be measured: {err}\n{worker.tail()}")
            worker.kill()
        _say(f"[engine] recording {n:,} deadline rows set-based ...")
        seconds = insert_deadlines(db, burst_rows)
        results.rates.append(Rate(ENGINE, f"INSERT deadline rows, set-based ({CHUNK:,} a transaction)", n, seconds))
        if running:
            results.memory.append(Memory(ENGINE, pending(db), *steady_rss(worker, min(args.watch, 3 * TICK))))
        more = 10 * n - n
        if more > 0:
            _say(f"[engine] recording {more:,} more pending deadlines (later cut-offs) ...")
            rows = pending_rows(bench, more)  # never due in the run: they only need keys of their own
            seconds = insert_deadlines(db, rows)
            results.rates.append(Rate(ENGINE, f"INSERT deadline rows, set-based, {more:,} more", more, seconds))
            del rows
            if running:
                results.memory.append(Memory(ENGINE, pending(db), *steady_rss(worker, min(args.watch, 3 * TICK))))
        if running and not worker.running:
            results.notes.append(f"the engine's worker died during the memory phase:\n{worker.tail()}")
    finally:
        beat.kill()
        worker.kill()

    single = min(n, 1000)
    _say(f"[engine] recording {single:,} deadlines one per transaction (deadlines.open_deadline) ...")
    results.rates.append(one_per_transaction(bench, single))

    # 3. The burst: every one of them falls due at the same 18:00. Recorded days before in life,
    # the table's statistics would be fresh by then (autovacuum analyses after 10% new rows).
    analyze(db)
    _say(f"[engine] sweeping the {n:,} deadlines due at {cut_off.isoformat()} ...")
    since = last_seq(db)
    clock = Clock(db)
    report = sweep.sweep(db, cut_off, batch=args.batch)
    results.spent["the burst"] = spent = clock.spent()
    seconds = spent[0]
    effects = count_effects(db, [r["key"] for r in burst_rows], since)
    effects.seconds = seconds
    effects.note = f"{report.batches} batches of {args.batch}; fired {report.total:,} (incl. the election's own)"
    results.burst[ENGINE] = effects

    # 5. The limit: claiming alone, set-based, no effect.
    _say(f"[engine] bare set-based claims of {n:,} rows ...")
    claim_day = cut_off + dt.timedelta(days=1)
    claim_rows = bench.deadline_rows(bench.requests(n, claim_day - dt.timedelta(days=4)), claim_day, "bench:claim")
    insert_deadlines(db, claim_rows)
    analyze(db)
    clock = Clock(db)
    results.claim = claim_rate(db, claim_day, args.batch)
    results.spent["the bare claims"] = clock.spent()

    # The burst again, swept by one and by two sweeper processes started together, interleaved.
    for round_ in range(args.sweeper_rounds):
        for processes in (1, 2):
            day = cut_off + dt.timedelta(days=3 + 2 * round_ + processes - 1)
            _say(f"[engine] round {round_ + 1}: {n:,} deadlines swept by {processes} sweeper process(es) ...")
            rows = bench.deadline_rows(bench.requests(n, day - dt.timedelta(days=4)), day, f"bench:sweepers-{round_}-{processes}")
            insert_deadlines(db, rows)
            analyze(db)
            since = last_seq(db)
            seconds, cpu, server, waited = swept_by(bench.url, day, args.batch, processes)
            what = f"{processes} sweeper process{'es' if processes > 1 else ''}, round {round_ + 1}"
            results.spent[what] = (seconds, cpu, server)
            results.head_waits[what] = waited
            effects = count_effects(db, [r["key"] for r in rows], since)
            effects.seconds = seconds
            del rows
            results.sweepers.setdefault(processes, []).append(seconds)
            row = ONE if processes == 1 else TWO
            previous = results.burst.get(row)
            if previous is not None:  # the rounds add up; the time kept is each round's, its median printed
                effects = Effects(previous.deadlines + effects.deadlines, previous.once + effects.once,
                                  previous.duplicated + effects.duplicated, previous.extra_effects + effects.extra_effects,
                                  previous.lost + effects.lost, previous.outbox + effects.outbox)  # fmt: skip
            results.burst[row] = effects
    for processes, row in ((1, ONE), (2, TWO)):
        if row in results.burst:
            times = results.sweepers[processes]
            results.burst[row].seconds = _median(times)
            results.burst[row].deadlines = n  # a round's; the counts below add up every round
            results.burst[row].note = f"median of {len(times)}: " + ", ".join(f"{t:.2f}" for t in times) + " s"

    if args.profile:
        _say(f"[engine] profiling a second burst of {n:,} ...")
        results.profile = profile_burst(bench, n)


class Clock:
    """Wall time, this process's CPU time and the database server's since it was made: the
    server's is its backends' for this database, read from /proc (PostgreSQL on this machine;
    else None), so that a time is split into what Python did and what the server did for it."""

    def __init__(self, db: Database):
        self.db = db
        self.started = time.perf_counter(), time.process_time(), self._server()

    def _server(self) -> float | None:
        if self.db.dialect != "postgresql":
            return None
        with self.db.engine.connect() as connection:
            pids = connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
            ticks = 0
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    return None  # another machine's server, or not ours to read
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def spent(self) -> tuple[float, float, float | None]:
        wall, cpu, server = self.started
        now = self._server()
        return (time.perf_counter() - wall, time.process_time() - cpu,
                None if now is None or server is None else now - server)  # fmt: skip


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def swept_by(url: str, now: dt.datetime, batch: int, processes: int) -> tuple[float, float, float | None, float]:
    """Seconds for ``processes`` sweeper processes, started together, to fire what is due at ``now``;
    then, summed over them, their CPU seconds in the sweep, their backends' (None: not readable)
    and their seconds waiting for the audit head's lock.

    Each is a fresh interpreter (spawned) with its own engine, connected before the start, as
    Celery workers on one machine are; the time runs from the start to the last one's end.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    ready, done, go = context.Queue(), context.Queue(), context.Event()
    children = [context.Process(target=_sweeper, args=(url, now.isoformat(), batch, ready, go, done)) for _ in range(processes)]
    for child in children:
        child.start()
    try:
        for _ in children:
            ready.get(timeout=STARTUP_SECONDS)
        started_at = time.perf_counter()  # CLOCK_MONOTONIC: the same clock in every process
        go.set()
        ended = [done.get(timeout=3600) for _ in children]
    finally:
        for child in children:
            child.join(30)
            if child.is_alive():
                child.kill()
    failed = [e for e in ended if isinstance(e, str)]
    if failed:
        raise RuntimeError(f"a sweeper process failed: {failed[0]}")
    servers = [e[2] for e in ended]
    server = None if None in servers else sum(servers)
    return max(e[0] for e in ended) - started_at, sum(e[1] for e in ended), server, sum(e[3] for e in ended)


def _backend_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sweeper(url: str, now: str, batch: int, ready: Any, go: Any, done: Any) -> None:
    from registrar import audit

    db = Database(url)
    waited = 0.0
    locked_head = audit.locked_head

    def timed(session: Any) -> tuple[int, str]:  # how long this sweeper queued for the chain's tip
        nonlocal waited
        started = time.perf_counter()
        try:
            return locked_head(session)
        finally:
            waited += time.perf_counter() - started

    audit.locked_head = timed
    try:
        with db.engine.connect() as connection:  # the pool's one connection, made before the start
            backend = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        ready.put(os.getpid())
        go.wait()
        cpu, server = time.process_time(), _backend_cpu(backend)
        sweep.sweep(db, dt.datetime.fromisoformat(now), batch=batch)
        ended, after = time.perf_counter(), _backend_cpu(backend)
        done.put((ended, time.process_time() - cpu, None if server is None or after is None else after - server, waited))
    except Exception as err:  # told to the parent, which raises it
        done.put(f"{type(err).__name__}: {err}")
        raise
    finally:
        db.dispose()


def pending_rows(bench: Bench, count: int, start: int = 0) -> list[dict[str, Any]]:
    """``count`` pending D2 rows due 30 to 330 days after the cut-off: never due in the run."""
    rows = []
    for i in range(start, start + count):
        candidacy = bench.candidacies[i % len(bench.candidacies)]
        due = bench.cut_off + dt.timedelta(days=30 + i % 300)
        rows.append({"key": f"candidacy:{candidacy}:information_request_answer:{due.isoformat()}:pending-{i}",
                     "subject_type": "candidacy", "subject_id": str(candidacy), "kind": "information_request_answer",
                     "rule": "D2", "due_at": due, "due_local": due.isoformat(), "computed_from": "bench:pending",
                     "status": "pending", "created_at": bench.cut_off})  # fmt: skip
    return rows


def measure_growth(args: argparse.Namespace, levels: list[int], results: Results) -> None:
    """A sweep batch of ``--growth-due`` due rows (and a tick with nothing due) as the pending rows grow,
    on a database of its own: each level's rows are added to the last, then three rounds are timed."""
    with fresh_database(args.backend, args.database_url) as (url, where):
        db = Database(url)
        try:
            _say(f"[growth] {where}: setting up ...")
            world, candidacies, cut_off = setup(db, max(args.growth_due, 10))
            bench = Bench(db, world, candidacies, cut_off, Path(tempfile.gettempdir()), cast(RedisServer, None), args)
            have, day = 0, 0
            for level in sorted(levels):
                if level > have:
                    _say(f"[growth] recording pending rows up to {level:,} ...")
                    for start in range(have, level, 100_000):
                        insert_deadlines(db, pending_rows(bench, min(100_000, level - start), start))
                    have = level
                batch_seconds, idle_seconds = [], []
                for _ in range(3):
                    day += 1
                    moment = cut_off + dt.timedelta(days=day / 10)  # before every pending row's due time
                    rows = bench.deadline_rows(bench.requests(args.growth_due, moment - dt.timedelta(days=4)), moment,
                                               "bench:growth")  # fmt: skip
                    insert_deadlines(db, rows)
                    analyze(db)
                    started_at = time.perf_counter()
                    report = sweep.sweep(db, moment, batch=args.growth_due)
                    batch_seconds.append(time.perf_counter() - started_at)
                    started_at = time.perf_counter()
                    sweep.sweep(db, moment)
                    idle_seconds.append(time.perf_counter() - started_at)
                    if report.total != args.growth_due:
                        results.notes.append(f"growth at {level:,}: {report.total:,} fired of {args.growth_due:,}")
                results.growth.append(Growth(pending(db), args.growth_due, batch_seconds, idle_seconds))
        finally:
            db.dispose()


def analyze(db: Database) -> None:
    """Tables and statistics as autovacuum would have them, and a checkpoint just taken.

    The vacuum takes out what an earlier measurement of the run fired: its dead rows' entries
    in the pending rows' index would be read by the claims of every later one, where in life
    autovacuum has cleaned them between two cut-offs.
    The checkpoint makes the burst pay for the first write of every page after it (full-page
    images in the WAL), as at any cut-off in life (a checkpoint every 5 minutes by default);
    without it the time depends on when the server last happened to checkpoint.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE deadline, information_request, candidacy")
        if db.dialect == "postgresql":
            connection.exec_driver_sql("CHECKPOINT")


def one_per_transaction(bench: Bench, count: int) -> Rate:
    """How an officer's action records a D2 deadline: ``deadlines.open_deadline`` inside its own transaction."""
    world, db = bench.world, bench.db
    requests = bench.requests(count, bench.cut_off + dt.timedelta(days=20))
    started_at = time.perf_counter()
    for request, candidacy in requests.ids:
        with db.transaction() as session:
            deadlines.open_deadline(session, "information_request_answer", candidacy, started_at=requests.sent_at,
                                    rules=world.rules, calendar=world.calendar, now=requests.sent_at,
                                    key_suffix=f":{request}")  # fmt: skip
    return Rate(ENGINE, "deadlines.open_deadline, one transaction each (context)", count, time.perf_counter() - started_at)


def claim_rate(db: Database, now: dt.datetime, batch: int) -> Rate:
    lock = "FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""
    statement = text(
        "UPDATE deadline SET status = 'fired', fired_at = :now, outcome = 'claimed' WHERE id IN ("
        f"SELECT id FROM deadline WHERE status = 'pending' AND due_at <= :now ORDER BY due_at, id LIMIT :batch {lock})"
    )
    claimed, started_at = 0, time.perf_counter()
    while True:
        with db.engine.begin() as connection:
            done = connection.execute(statement, {"now": now.astimezone(dt.UTC) if lock else _sqlite_time(now), "batch": batch})
        if not done.rowcount:
            break
        claimed += done.rowcount
    what = f"bare claim: UPDATE ... WHERE id IN (SELECT ... LIMIT {batch}{' ' + lock if lock else ''})"
    return Rate(ENGINE, what, claimed, time.perf_counter() - started_at)


def _sqlite_time(moment: dt.datetime) -> str:
    # What UTCDateTime stores on SQLite: naive UTC, "YYYY-MM-DD HH:MM:SS.ffffff".
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def engine_faults(bench: Bench, results: Results, k: int) -> None:
    db = bench.db
    bench.redis.client.flushall()
    # At least ten batches in a burst, so that the kill lands between two of them.
    batch = min(bench.args.batch, max(1, k // 10))
    worker, beat = engine_children(bench, batch)
    try:
        started(worker, " ready.")
        started(beat, "beat: Starting...")

        # The worker SIGKILLed mid-burst (with its pool child), then started again.
        tag = "bench:fault-kill"
        due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
        rows = bench.deadline_rows(bench.requests(k, due - dt.timedelta(days=4)), due, tag)
        since = last_seq(db)
        insert_deadlines(db, rows)
        _say(f"[engine] fault: SIGKILL the worker mid-burst of {k:,} ...")
        # The audit head's counter moves with every committed batch; counting rows by tag would scan them all.
        wait_for(lambda: last_seq(db) - since >= max(1, k // 4), 120, "a quarter of the burst to fire", every=0.02)
        at_kill = last_seq(db) - since
        worker.kill()
        started(worker, " ready.")
        wait_progress(lambda: last_seq(db) - since, k, settle=60, cap=300)
        got = fired(db, tag)
        effects = count_effects(db, [r["key"] for r in rows], since)
        effects.seconds = (dt.datetime.now(dt.UTC) - due).total_seconds() if got >= k else None
        when = "after the whole burst" if at_kill >= k else f"with {at_kill:,} fired"
        effects.note = f"batches of {batch:,}; killed {when}; {got:,} rows fired in the end"
        results.faults.append((ENGINE, "worker SIGKILL mid-burst, restart", effects))

        # Redis killed and started again empty, before the deadlines fall due.
        tag = "bench:fault-redis"
        due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
        rows = bench.deadline_rows(bench.requests(k, due - dt.timedelta(days=4)), due, tag)
        since = last_seq(db)
        insert_deadlines(db, rows)
        _say(f"[engine] fault: restart redis-server (no persistence) with {k:,} deadlines pending ...")
        time.sleep(1)
        bench.redis.restart()
        wait_progress(lambda: last_seq(db) - since, k, settle=60, cap=300)
        got = fired(db, tag)
        effects = count_effects(db, [r["key"] for r in rows], since)
        effects.seconds = (dt.datetime.now(dt.UTC) - due).total_seconds() if got >= k else None
        effects.note = f"{got:,} rows fired after the restart"
        results.faults.append((ENGINE, "redis-server restart, empty", effects))
        if not worker.running or not beat.running:
            results.notes.append(f"engine processes died during the faults:\n{worker.tail()}\n{beat.tail()}")
    finally:
        beat.kill()
        worker.kill()


# --- (b) Celery ETA tasks ----------------------------------------------------------------------


class EtaWorker:
    """The baseline's ``celery worker`` (prefork, a child per core) and a publisher on the same Redis."""

    def __init__(self, bench: Bench):
        self.bench = bench
        self.ready = bench.directory / "eta-ready"
        env = _clean_environment() | {"BENCH_ETA_BROKER": bench.redis.url, "BENCH_ETA_DATABASE": bench.url,
                                  "BENCH_ETA_READY": str(self.ready),
                                  "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}  # fmt: skip
        argv = [sys.executable, "-m", "celery", "-A", "bench.eta_app", "worker", "--loglevel=WARNING",
                f"--concurrency={os.cpu_count() or 1}", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", "bench-eta@%h"]  # fmt: skip
        self.child = Child("eta-worker", argv, env, bench.directory / "eta-worker.log")
        os.environ["BENCH_ETA_BROKER"] = bench.redis.url
        from bench import eta_app

        eta_app.app.conf.broker_url = bench.redis.url
        self.task = eta_app.enforce_deadline
        self.per_task = 1 / 500  # seconds to publish one task and have it taken in; calibrated by measure_eta

    def start(self) -> None:
        self.ready.unlink(missing_ok=True)
        self.child.start()
        wait_for(lambda: self.ready.exists() or not self.child.running, STARTUP_SECONDS, "the ETA worker to start")
        if not self.child.running:
            raise RuntimeError(f"the ETA worker exited at start:\n{self.child.tail()}")

    def fresh(self) -> None:
        """A new worker on an empty broker."""
        self.child.kill()
        self.bench.redis.client.flushall()
        self.start()

    def publish(self, payloads: Sequence[dict[str, Any]], eta: dt.datetime, *, stop: Callable[[int], bool] | None = None) -> Rate:
        started_at = time.perf_counter()
        sent = 0
        for payload in payloads:
            self.task.apply_async(args=[payload], eta=eta)
            sent += 1
            if stop is not None and sent % 10_000 == 0 and stop(sent):
                break
        return Rate(ETA, "apply_async(eta=due_at), one call per deadline", sent, time.perf_counter() - started_at)

    def held(self, count: int) -> bool:
        """The worker has taken ``count`` tasks off the queue and keeps them, unacknowledged, until their ETA."""
        redis = self.bench.redis
        return redis.queued() == 0 and redis.unacked() >= count

    def wait_held(self, count: int, timeout: float) -> float:
        started_at = time.perf_counter()
        wait_for(lambda: self.held(count) or not self.child.running, timeout, f"the ETA worker to take {count:,} tasks",
                 every=0.1)  # fmt: skip
        if not self.child.running:
            raise RuntimeError(f"the ETA worker died:\n{self.child.tail()}")
        return time.perf_counter() - started_at

    def stop(self) -> None:
        self.child.kill()


def measure_eta(bench: Bench, results: Results) -> None:
    db, args, n = bench.db, bench.args, bench.args.n
    eta = EtaWorker(bench)
    try:
        bench.redis.client.flushall()
        eta.start()
        results.memory.append(Memory(ETA, 0, *steady_rss(eta.child, args.watch)))

        # Calibrate: how fast tasks are published and taken in, to set the cut-off far enough ahead.
        calibration = min(n, 1000)
        requests = bench.requests(calibration, bench.cut_off)
        payloads = bench.eta_payloads(bench.deadline_rows(requests, bench.cut_off, "bench:eta-calibration"))
        sent = eta.publish(payloads, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        taken = eta.wait_held(calibration, args.eta_budget)
        eta.per_task = (sent.seconds + taken) / calibration
        per_task = eta.per_task
        eta.fresh()

        # 1-3. Publish the burst, all due at one instant far enough ahead to hold them all first.
        lead = 1.25 * per_task * n + 5.0  # taking in runs beside publishing
        _say(f"[eta] creating {n:,} information requests (untimed), publishing {n:,} ETA tasks due in {lead:.0f} s ...")
        requests = bench.requests(n, dt.datetime.now(dt.UTC))
        due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lead)
        keys_rows = bench.deadline_rows(requests, due, "bench:eta-burst")
        payloads = bench.eta_payloads(keys_rows)
        since = last_seq(db)
        rate = eta.publish(payloads, due)
        results.rates.append(rate)
        remaining = (due - dt.datetime.now(dt.UTC)).total_seconds()
        try:
            eta.wait_held(n, max(remaining - 2.5, 0.1))
            left = (due - dt.datetime.now(dt.UTC)).total_seconds()
            main, group, processes = steady_rss(eta.child, min(args.watch, max(left - 0.5, 0)))
            results.memory.append(Memory(ETA, n, main, group, processes, "all held in the worker until their ETA"))
        except TimeoutError:
            main, group, processes = rss_mib(eta.child)
            results.memory.append(Memory(ETA, n, main, group, processes,
                                         f"only {eta.bench.redis.unacked():,} held when they fell due"))  # fmt: skip
        _say(f"[eta] waiting for the {n:,} tasks to fall due and be applied ...")
        wait_for(lambda: dt.datetime.now(dt.UTC) >= due, lead + 5, "the cut-off")
        applied, _ = wait_progress(lambda: last_seq(db) - since, n, settle=30, cap=args.eta_wait, every=0.2)
        lateness = (dt.datetime.now(dt.UTC) - due).total_seconds()
        if applied < n:
            eta.stop()  # so that what is counted stays still; the faults start a fresh worker
            applied = last_seq(db) - since
        effects = count_effects(db, [r["key"] for r in keys_rows], since)
        effects.parked = bench.redis.unacked()
        if applied >= n:
            effects.seconds = lateness
            effects.note = f"all {applied:,} applied"
        else:
            effects.cut_short = True
            pace = applied / lateness if lateness > 0 else 0.0
            guess = f"all would take ~{n / pace:,.0f} s" if pace else "none applied"
            effects.note = f"stopped waiting after {lateness:.0f} s (--eta-wait): {applied:,} applied, {pace:,.0f}/s; {guess}"
        results.burst[ETA] = effects

        if args.eta_full:
            eta_full_memory(bench, eta, results)
        else:
            note = f"not measured without --eta-full (publishing alone would take ~{10 * n / rate.per_second:,.0f} s)"
            results.memory.append(Memory(ETA, 10 * n, None, None, 0, note))
        eta_faults(bench, eta, results, args.fault_n)
    finally:
        eta.stop()


def eta_full_memory(bench: Bench, eta: EtaWorker, results: Results) -> None:
    args, n = bench.args, bench.args.n
    budget_mib = args.eta_memory_mib or _available_mib() / 2
    eta.fresh()
    total = 10 * n
    _say(f"[eta] holding up to {total:,} ETA tasks (stops beyond {budget_mib:,.0f} MiB or {args.eta_budget:.0f} s) ...")
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    started_at = time.monotonic()
    stopped = ""

    def stop(sent: int) -> bool:
        nonlocal stopped
        _, group, _ = rss_mib(eta.child)
        if group > budget_mib:
            stopped = f"stopped at {sent:,}: the worker's RSS passed {budget_mib:,.0f} MiB"
        elif time.monotonic() - started_at > args.eta_budget:
            stopped = f"stopped at {sent:,}: the budget of {args.eta_budget:.0f} s ran out"
        return bool(stopped)

    rows = []
    for i in range(total):  # the payloads only need to be told apart; they never fall due in the run
        rows.append({"key": f"pending-{i}", "subject_id": str(bench.candidacies[0]), "due_at": far.isoformat(),
                     "due_local": far.isoformat()})  # fmt: skip
    sent = eta.publish(rows, far, stop=stop)
    del rows
    try:
        eta.wait_held(sent.n, max(args.eta_budget - (time.monotonic() - started_at), 10))
        note = stopped or "all held in the worker"
    except TimeoutError:
        note = (stopped + "; " if stopped else "") + f"{bench.redis.unacked():,} taken in within the budget"
    results.memory.append(Memory(ETA, sent.n, *steady_rss(eta.child, bench.args.watch), note=note))
    results.rates.append(Rate(ETA, f"apply_async(eta=due_at), {sent.n:,} in a row", sent.n, sent.seconds))


def _available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 4096.0


def eta_faults(bench: Bench, eta: EtaWorker, results: Results, k: int) -> None:
    db = bench.db

    def schedule(tag: str) -> tuple[list[str], dt.datetime, int]:
        eta.fresh()
        requests = bench.requests(k, dt.datetime.now(dt.UTC))
        probe = time.perf_counter()
        lead = 1.25 * eta.per_task * k + 5.0
        due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lead)
        rows = bench.deadline_rows(requests, due, tag)
        since = last_seq(db)
        eta.publish(bench.eta_payloads(rows), due)
        with contextlib.suppress(TimeoutError):
            eta.wait_held(k, max((due - dt.datetime.now(dt.UTC)).total_seconds() - 0.5, 0.1))
        _say(f"[eta] {tag}: {k:,} published and held in {time.perf_counter() - probe:.1f} s")
        return [r["key"] for r in rows], due, since

    # The worker SIGKILLed mid-burst (with its pool), then started again.
    _say(f"[eta] fault: SIGKILL the worker mid-burst of {k:,} ...")
    keys, due, since = schedule("bench:eta-kill")
    wait_for(lambda: last_seq(db) - since >= max(1, k // 4), 120 + k / 100, "a quarter of the ETA burst", every=0.02)
    at_kill = last_seq(db) - since
    eta.child.kill()
    eta.start()
    wait_progress(lambda: last_seq(db) - since, k, settle=bench.args.settle, cap=bench.args.eta_budget)
    effects = count_effects(db, keys, since)
    effects.parked = bench.redis.unacked()
    effects.seconds = (dt.datetime.now(dt.UTC) - due).total_seconds() if effects.once + effects.duplicated >= k else None
    effects.note = f"killed with {at_kill:,} applied; waited until {bench.args.settle:.0f} s without progress"
    results.faults.append((ETA, "worker SIGKILL mid-burst, restart", effects))

    # Redis killed and started again empty, while the worker holds the tasks.
    _say(f"[eta] fault: restart redis-server (no persistence) with {k:,} ETA tasks pending ...")
    keys, due, since = schedule("bench:eta-redis")
    bench.redis.restart()
    wait_for(lambda: dt.datetime.now(dt.UTC) >= due, 600, "the ETA")
    wait_progress(lambda: last_seq(db) - since, k, settle=bench.args.settle, cap=bench.args.eta_budget)
    effects = count_effects(db, keys, since)
    effects.parked = bench.redis.unacked()
    effects.seconds = (dt.datetime.now(dt.UTC) - due).total_seconds() if effects.once + effects.duplicated >= k else None
    effects.note = f"waited until {bench.args.settle:.0f} s without progress after the ETA"
    results.faults.append((ETA, "redis-server restart, empty", effects))


# --- Profile ------------------------------------------------------------------------------------

STAGES: tuple[tuple[str, str, str], ...] = (
    ("sweep() total", "registrar/sweep.py", "sweep"),
    ("  _claim (SELECT ... FOR UPDATE SKIP LOCKED)", "registrar/sweep.py", "_claim"),
    ("  _apply", "registrar/sweep.py", "_apply"),
    ("    _notify", "registrar/sweep.py", "_notify"),
    ("      _facts (candidacies, requests)", "registrar/sweep.py", "_facts"),
    ("      audit.append_many", "registrar/audit.py", "append_many"),
    ("        audit.jsonable (payload round trip)", "registrar/audit.py", "jsonable"),
    ("        audit._body (canonical JSON)", "registrar/audit.py", "_body"),
    ("        audit._chained (SHA-256)", "registrar/audit.py", "_chained"),
    ("      _tell (INSERT outbox)", "registrar/sweep.py", "_tell"),
    ("      _message (outbox dicts)", "registrar/sweep.py", "_message"),
    ("    _mark (UPDATE deadline)", "registrar/sweep.py", "_mark"),
    ("  remind (reminders)", "registrar/sweep.py", "remind"),
    ("  Session.execute (all SQL)", "sqlalchemy/orm/session.py", "execute"),
    ("    driver execute (psycopg)", "psycopg/cursor.py", "execute"),
    ("    driver executemany (psycopg)", "psycopg/cursor.py", "executemany"),
    ("  SessionTransaction.commit", "sqlalchemy/orm/session.py", "commit"),
    ("    json.dumps", "json/__init__.py", "dumps"),
    ("    json.loads", "json/__init__.py", "loads"),
)


def profile_burst(bench: Bench, n: int) -> str:
    day = bench.cut_off + dt.timedelta(days=2)
    rows = bench.deadline_rows(bench.requests(n, day - dt.timedelta(days=4)), day, "bench:profile")
    insert_deadlines(bench.db, rows)
    analyze(bench.db)
    profiler = cProfile.Profile()
    started_at = time.perf_counter()
    profiler.enable()
    report = sweep.sweep(bench.db, day, batch=bench.args.batch)
    profiler.disable()
    seconds = time.perf_counter() - started_at
    stats = pstats.Stats(profiler)
    total, _ = _cumulative(stats, "registrar/sweep.py", "sweep")
    lines = [f"cProfile of sweep() firing {report.total:,} D2 deadlines ({seconds:.2f} s under the profiler):", "",
             f"  {'stage':<48} {'seconds':>8} {'share':>7} {'calls':>9}"]  # fmt: skip
    for label, where, name in STAGES:
        spent, calls = _cumulative(stats, where, name)
        if calls:
            lines.append(f"  {label:<48} {spent:>8.2f} {spent / total if total else 0:>7.1%} {calls:>9,}")
    lines += ["", f"Top {bench.args.top} functions by own time:", _pstats_text(stats, "tottime", bench.args.top)]
    return "\n".join(lines)


# --- Report ---------------------------------------------------------------------------------------


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def report(results: Results, args: argparse.Namespace) -> str:
    n = args.n
    out = [f"python -m bench deadlines --backend {args.backend} --n {n} --batch {args.batch} --fault-n {args.fault_n}"
           + (" --eta-full" if args.eta_full else ""), "", results.where, ""]  # fmt: skip

    out.append("1. Scheduling: deadlines recorded per second")
    out.append(_table(["engine", "how", "n", "seconds", "per second"],
                      [[r.engine, r.what, f"{r.n:,}", f"{r.seconds:.2f}", f"{r.per_second:,.0f}"] for r in results.rates],
                      {2, 3, 4}))  # fmt: skip

    out += ["", "2. Worker memory (VmRSS) by deadlines pending"]
    out.append(_table(["engine", "pending", "main process MiB", "process group MiB", "processes", "note"],
                      [[m.engine, f"{m.pending:,}", _mib(m.main_mib), _mib(m.group_mib), str(m.processes or "-"), m.note]
                       for m in results.memory], {1, 2, 3, 4}))  # fmt: skip

    out += ["", f"3. Burst: {n:,} D2 deadlines due at one 18:00 cut-off, time from the cut-off until all applied"]
    rows = []
    one, two = results.burst.get(ONE), results.burst.get(TWO)
    if one is not None and two is not None and one.seconds and two.seconds:
        two.note += (f"; x{one.seconds / two.seconds:.2f} one sweeper's rate (target >= {TARGET_SWEEPERS}: "
                     f"{'met' if one.seconds / two.seconds >= TARGET_SWEEPERS else 'NOT met'})")  # fmt: skip
    for engine, e in results.burst.items():
        rate = f"{e.deadlines / e.seconds:,.0f}" if e.seconds else "-"
        missing = f"{e.lost:,}" + (" (late)" if e.cut_short else "")
        rows.append([engine, f"{e.deadlines:,}", _seconds(e.seconds), rate, f"{e.once:,}", f"{e.duplicated:,}", missing,
                     f"{e.outbox:,}", e.note])  # fmt: skip
    out.append(_table(["engine", "deadlines", "seconds", "per second", "applied once", "duplicated", "not applied",
                       "outbox rows", "note"], rows, {1, 2, 3, 4, 5, 6, 7}))  # fmt: skip

    out += ["", "4. Faults: effects per deadline counted in the database"]
    rows = []
    for engine, fault, e in results.faults:
        rows.append([engine, fault, f"{e.deadlines:,}", f"{e.once:,}", f"{e.duplicated:,}", f"{e.lost:,}",
                     "-" if e.parked is None else f"{e.parked:,}", _seconds(e.seconds), e.note])  # fmt: skip
    out.append(_table(["engine", "fault", "deadlines", "applied once", "duplicated", "lost", "parked in Redis",
                       "s after due, all applied", "note"], rows, {2, 3, 4, 5, 6, 7}))  # fmt: skip
    out.append("   'parked in Redis': unacknowledged messages Celery redelivers only after the visibility timeout (1 h);")
    out.append("   they are counted as lost here, being absent from the database when the run ends.")

    if results.claim is not None:
        claim = results.claim
        out += ["", "5. The limit: set-based claims alone on the same database (no effect applied)"]
        sweep_rate = results.burst.get(ENGINE)
        share = ""
        if sweep_rate is not None and sweep_rate.seconds:
            share = f"{sweep_rate.deadlines / sweep_rate.seconds / claim.per_second:.2f}"
        out.append(_table(["what", "rows", "seconds", "rows per second", "sweep with effects / bare claims"],
                          [[claim.what, f"{claim.n:,}", f"{claim.seconds:.2f}", f"{claim.per_second:,.0f}", share or "-"]],
                          {1, 2, 3, 4}))  # fmt: skip
    if results.spent:
        out.append("   Where the time went: wall seconds, CPU seconds in Python (the sweeper processes' summed) and in")
        out.append("   the database server (the backends', from /proc, when the server runs here):")
        for what, (wall, cpu, server) in results.spent.items():
            waited = f"; {results.head_waits[what]:.2f} s waiting for the audit head's lock" if what in results.head_waits else ""
            out.append(f"     {what}: {wall:.2f} s wall, {cpu:.2f} s in Python, " + ("-" if server is None else f"{server:.2f} s")
                       + f" in the server{waited}")  # fmt: skip

    if results.growth:
        out += ["", "6. Growth: one sweep batch of due rows as the pending (not due) rows grow; medians of 3"]
        smallest = _median(results.growth[0].batch_seconds)
        grown = []
        for g in results.growth:
            batch = _median(g.batch_seconds)
            tick = _median(g.idle_seconds)
            grown.append([f"{g.pending:,}", f"{g.due:,}", f"{batch * 1000:,.1f}", f"{batch / g.due * 1e6:,.1f}",
                          f"{g.due / batch:,.0f}", f"{tick * 1000:,.1f}", f"{batch / smallest:.2f}"])  # fmt: skip
        out.append(_table(["pending rows", "due rows", "batch ms", "us per due row", "per second", "idle tick ms",
                           "x the smallest level"], grown, {0, 1, 2, 3, 4, 5, 6}))  # fmt: skip

    out += ["", "Targets (from the issue), printed, not asserted:"]
    burst = results.burst.get(ENGINE)
    if burst is not None and burst.seconds is not None:
        scaled = burst.seconds * TARGET_N / n
        verdict = "met" if scaled < TARGET_SECONDS and burst.once == n else "NOT met"
        where = "" if args.backend == "postgresql" else f" (the target is for PostgreSQL; this is {args.backend})"
        extra = "" if n == TARGET_N else f", {scaled:.2f} s scaled to {TARGET_N:,}"
        out.append(
            f"  {TARGET_N:,} enforced in < {TARGET_SECONDS:.0f} s: {n:,} in {burst.seconds:.2f} s{extra}: {verdict}{where}"
        )
    if burst is not None and burst.seconds and results.claim is not None:
        of_claims = burst.deadlines / burst.seconds / results.claim.per_second
        verdict = "met" if of_claims >= TARGET_CLAIM_SHARE else "NOT met"
        out.append(f"  the burst at >= {TARGET_CLAIM_SHARE} x the bare claim rate: {burst.deadlines / burst.seconds:,.0f}/s "
                   f"against {results.claim.per_second:,.0f}/s, {of_claims:.2f}: {verdict}")  # fmt: skip
    if one is not None and two is not None and one.seconds and two.seconds:
        ratio = one.seconds / two.seconds
        out.append(f"  two sweepers at >= {TARGET_SWEEPERS} x one: {two.seconds:.2f} s against {one.seconds:.2f} s, "
                   f"x{ratio:.2f}: {'met' if ratio >= TARGET_SWEEPERS else 'NOT met'}")  # fmt: skip
    eta_burst = results.burst.get(ETA)
    if eta_burst is not None:
        eta_time = f"{eta_burst.seconds:.2f} s" if eta_burst.seconds is not None else f"not all applied ({eta_burst.note})"
        out.append(f"    (the ETA baseline: {eta_time})")
    for engine in (ENGINE, ETA):
        levels = [m for m in results.memory if m.engine == engine and m.group_mib is not None]
        if len(levels) >= 2:
            idle, most = levels[0], max(levels, key=lambda m: m.pending)
            growth = most.group_mib - idle.group_mib  # type: ignore[operator]
            flat = growth <= max(FLAT_MIB, FLAT_SHARE * idle.group_mib)  # type: ignore[operator]
            out.append(
                f"  memory flat in the number pending: {engine}: {idle.group_mib:,.1f} MiB at {idle.pending:,}, "
                f"{most.group_mib:,.1f} MiB at {most.pending:,} ({growth:+,.1f} MiB): "
                f"{'met' if flat else 'NOT met'}"
            )
    for engine in (ENGINE, ETA):
        scenarios = [e for name, _, e in results.faults if name == engine]
        for row in (engine, ONE, TWO) if engine == ENGINE else (engine,):
            if eng_burst := results.burst.get(row):
                scenarios.append(eng_burst)
        if scenarios:
            duplicated = sum(e.duplicated for e in scenarios)
            lost = sum(e.lost for e in scenarios if not e.cut_short)
            verdict = "met" if duplicated == 0 and lost == 0 else "NOT met"
            out.append(f"  zero duplicates and zero losses: {engine}: {duplicated:,} duplicated, {lost:,} lost "
                       f"(burst and faults): {verdict}")  # fmt: skip
    if results.notes:
        out += ["", "Notes:", *(f"  {note}" for note in results.notes)]
    if results.profile:
        out += ["", "=== profile: the engine's sweep ===", results.profile]
    return "\n".join(out)


# --- Run ------------------------------------------------------------------------------------------


def setup(db: Database, n: int) -> tuple[World, list[int], dt.datetime]:
    db.upgrade()
    world = announce(db)
    candidacies = create_candidacies(db, world, max(1, n // 10))
    # 18:00 local, five days into nomination: after nothing but N2's own cut-off could fall due.
    day = world.calendar.local(world.calendar.nomination_opens).date() + dt.timedelta(days=5)
    cut_off = dt.datetime.combine(day, dt.time(18), tzinfo=world.calendar.zone)
    return world, candidacies, cut_off


def _where(db: Database, where: str) -> str:
    if db.dialect != "postgresql":
        return f"sqlite: {where}"
    with db.engine.connect() as connection:
        version = connection.exec_driver_sql("SHOW server_version").scalar()
        settings = ", ".join(f"{name}={connection.exec_driver_sql(f'SHOW {name}').scalar()}"
                             for name in ("fsync", "synchronous_commit", "shared_buffers"))  # fmt: skip
    return f"postgresql: {where}; PostgreSQL {version}, {settings}"


def run(args: argparse.Namespace) -> int:
    if args.n < 10:
        raise SystemExit("--n must be >= 10")
    args.fault_n = args.fault_n or min(max(args.n // 2, 10), 10_000)
    results = Results()
    with fresh_database(args.backend, args.database_url) as (url, where), \
            tempfile.TemporaryDirectory(prefix="registrar_bench_deadlines_") as directory:  # fmt: skip
        db = Database(url)
        redis = RedisServer(Path(directory))
        try:
            _say(f"[{args.backend}] {where}: migrating, announcing, {max(1, args.n // 10):,} candidacies set-based ...")
            world, candidacies, cut_off = setup(db, args.n)
            redis.start()
            results.where = (f"{_where(db, where)}\nredis-server {redis.url} (--save \"\", the benchmark's own); "
                             f"cut-off {world.calendar.local(cut_off).isoformat()} ({cut_off.astimezone(dt.UTC):%H:%M} UTC); "
                             f"{os.cpu_count()} CPUs; ETA worker: prefork, {os.cpu_count()} children")  # fmt: skip
            bench = Bench(db, world, candidacies, cut_off, Path(directory), redis, args)
            try:
                measure_engine(bench, results)
                _say(f"[engine] faults with {args.fault_n:,} deadlines ...")
                engine_faults(bench, results, args.fault_n)
            except (RuntimeError, TimeoutError) as err:
                results.notes.append(f"the engine's worker could not be measured: {err}")
            if not args.engine_only:
                measure_eta(bench, results)
        finally:
            redis.stop()
            db.dispose()
    if args.growth:
        measure_growth(args, [int(level) for level in args.growth.split(",")], results)
    print(report(results, args), flush=True)
    return 0


__all__ = ["SUMMARY", "add_arguments", "run"]
