"""Helpers for the web and runtime tests: an election whose cut-offs are long past, a port nobody listens on."""

from __future__ import annotations

import datetime as dt
import socket

from sqlalchemy import select

from registrar import demo
from registrar.db import Database
from registrar.models import Deadline

PAST_ELECTION = "kz-2023"


def announce_past_election(db: Database) -> list[str]:
    """An election announced and held in 2023: its cut-offs (N2, G1, V2) are overdue deadline rows. Returns their keys."""
    demo.announce(db, PAST_ELECTION, "Presidential election 2023", dt.date(2023, 8, 24), dt.date(2023, 11, 25),
                  actor="test:commission")  # fmt: skip
    with db.reading() as session:
        pending = select(Deadline.key).where(Deadline.status == "pending", Deadline.subject_id == PAST_ELECTION)
        keys = list(session.scalars(pending))
    assert keys, "announcing an election records its cut-offs as deadlines"
    return keys


def statuses(db: Database, keys: list[str]) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(Deadline.status).where(Deadline.key.in_(keys))))


def closed_port() -> int:
    """A loopback port that was free a moment ago and that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
