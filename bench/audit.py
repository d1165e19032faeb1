"""``python -m bench audit``: what `audit verify` costs as the chain grows, full and from a checkpoint.

Per backend, on a fresh database: ``--events`` audit events (default 100,000) are appended in
transactions of 5,000 (untimed) and the head signed; then ``--after`` more (default 1,000). Timed,
in the same run, best of ``--rounds``:

- the bare read: every event's row selected in seq order through the engine, nothing computed
  (the floor of any verify that reads the chain);
- the full verify (`registrar audit verify`): every event read and its hash recomputed;
- the incremental verify (`--since-checkpoint`): the ``--after`` events past the signed
  checkpoint.

It prints the rate of each, the full verify's ratio to the bare read, and what a full verify of
10,000,000 events would take at the rate measured (the chain is read in pages of 5,000 events, so
its memory does not grow with it). Never asserted; the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bench.transitions import fresh_database
from registrar import audit, checkpoints
from registrar.db import Database
from registrar.models import AuditEvent
from registrar.settings import Settings

SUMMARY = "audit verify, full and from the newest signed checkpoint, beside a bare read of the chain"
TEN_MILLION = 10_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--after", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")


def _append(db: Database, n: int) -> None:
    at = dt.datetime(2029, 10, 1, tzinfo=dt.UTC)
    for start in range(0, n, 5000):
        entries = [audit.Entry(at + dt.timedelta(seconds=start + i), "bench", "note", "election", "bench-2029",
                               {"n": start + i, "text": "протокол"}) for i in range(min(5000, n - start))]  # fmt: skip
        with db.transaction() as session:
            audit.append_many(session, entries)


def _best(rounds: int, body: Callable[[], None]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        body()
        times.append(time.perf_counter() - started)
    return min(times)


def _bare_read(db: Database) -> None:
    with db.engine.connect() as connection:
        for _ in connection.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)).yield_per(5000):
            pass


def measure(backend: str, args: argparse.Namespace) -> list[str]:
    with fresh_database(backend, args.database_url) as (url, where), tempfile.TemporaryDirectory() as keys:
        db = Database(url)
        try:
            db.upgrade()
            settings = Settings(audit_key_file=str(Path(keys) / "audit.key"),
                                audit_checkpoints_file=str(Path(keys) / "checkpoints.jsonl"))  # fmt: skip
            _append(db, args.events)
            checkpoints.checkpoint(db, settings, force=True)
            _append(db, args.after)
            key = checkpoints.public_key(settings.audit_key_file)
            kept = checkpoints.kept(settings.audit_checkpoints_file)
            total = args.events + args.after

            def verify(incremental: bool) -> None:
                with db.reading() as session:
                    verdict = checkpoints.verify(session, key, kept, incremental=incremental)
                assert verdict.ok and verdict.events == total, verdict.problem

            bare = _best(args.rounds, lambda: _bare_read(db))
            full = _best(args.rounds, lambda: verify(False))
            since = _best(args.rounds, lambda: verify(True))
        finally:
            db.dispose()
    rate = total / full
    return [
        f"{backend} ({where}): {total:,} events, {args.after:,} after the newest signed checkpoint",
        f"  bare read of the chain   {bare:8.3f} s  {total / bare:12,.0f} events/s",
        f"  full verify              {full:8.3f} s  {rate:12,.0f} events/s  = {bare / full:.2f} x the bare read",
        f"  verify --since-checkpoint{since:8.3f} s  ({args.after:,} events recomputed)",
        f"  a full verify of {TEN_MILLION:,} events at this rate: {TEN_MILLION / rate:,.0f} s "
        f"({TEN_MILLION / rate / 60:.1f} min)",
    ]


def run(args: argparse.Namespace) -> int:
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        print("\n".join(measure(backend, args)), flush=True)
    return 0
