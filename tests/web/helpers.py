"""Helpers for the web and runtime tests: an election whose cut-offs are long past, a port nobody listens on,
an election held with its protocols."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from registrar import actions, demo, results, sweep, territory
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.models import Deadline, ElectionDecision, Protocol

PAST_ELECTION = "kz-2023"


def announce_past_election(db: Database) -> list[str]:
    """An election announced and held in 2023: its cut-offs (N2, G1, V2) are overdue deadline rows. Returns their keys."""
    demo.announce(db, PAST_ELECTION, "Presidential election 2023", dt.date(2023, 8, 24), dt.date(2023, 11, 25),
                  actor="test:commission")  # fmt: skip
    # Any status: a runner already sweeping may have fired them between the announcement and this read.
    with db.reading() as session:
        keys = list(session.scalars(select(Deadline.key).where(Deadline.subject_id == PAST_ELECTION)))
    assert keys, "announcing an election records its cut-offs as deadlines"
    return keys


def statuses(db: Database, keys: list[str]) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(Deadline.status).where(Deadline.key.in_(keys))))


def protocol_secrets(db: Database) -> set[str]:
    """What the protocols and the decisions on an election hold that is not public: the chairs' names,
    a correction's reason, a decision's reasons (free text)."""
    with db.reading() as session:
        texts = {*session.scalars(select(Protocol.chair)), *session.scalars(select(Protocol.reason)),
                 *session.scalars(select(ElectionDecision.reason))}  # fmt: skip
    return {text for text in texts if len(text) >= 6}


def closed_port() -> int:
    """A loopback port that was free a moment ago and that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- An election held: candidates registered, the vote over, protocols as the test wants ----------

# Each unit's protocol in the helpers below: 10,000 voters, 7,000 ballots cast, 100 invalid, so
# 6,900 valid votes per unit and 138,000 in the 20 units; the votes are the test's.
UNIT_VOTERS, UNIT_CAST, UNIT_INVALID = 10_000, 7_000, 100
CHAIR = "Chair Zhanibekova-Confidential"  # a protocol's chair: never on a public page


@dataclass
class Held:
    """An election whose vote closed in the past (so its count is open now), with its candidacies."""

    db: Database
    id: str
    calendar: ElectionCalendar
    candidacies: list[int]

    @property
    def counted_at(self) -> dt.datetime:
        return self.calendar.voting_closes + dt.timedelta(hours=3)

    def protocol(self, unit: str, votes: list[int], against: int, *, cast: int = UNIT_CAST, invalid: int = UNIT_INVALID,
                 ballot: list[int] | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
        """A protocol that adds up when ``votes`` (in the order of ``ballot``) and ``against`` make the valid votes."""
        ballot = ballot if ballot is not None else self.candidacies
        return {"unit": unit, "voters_on_list": UNIT_VOTERS, "ballots_issued": cast, "ballots_cast": cast,
                "invalid_ballots": invalid, "votes": {str(i): v for i, v in zip(ballot, votes, strict=True)},
                "against_all": against, "chair": CHAIR, "members_signed": 5,
                "signed_on": self.calendar.local(self.calendar.voting_closes).date().isoformat(), **extra}  # fmt: skip

    def submit_all(self, votes: list[int], against: int, *, at: dt.datetime | None = None, units: int = 20,
                   **extra: Any) -> None:  # fmt: skip
        at = at or self.counted_at
        for unit in territory.current().units[:units]:
            results.submit_protocol(self.db, self.id, self.protocol(unit.code, votes, against, **extra), actor="test:clerk",
                                    at=at)  # fmt: skip

    def decide(self, trigger: str, at: dt.datetime, **payload: Any) -> results.ElectionOutcome:
        day = self.calendar.local(at).date().isoformat()
        return results.perform_election(self.db, self.id, trigger, {"number": f"R-{trigger[:6]}", "decided_on": day,
                                                                    **payload}, actor="test:commission", at=at)  # fmt: skip


def hold_election(db: Database, election_id: str, election_day: dt.date, names: list[str]) -> Held:
    """An election on ``election_day`` (in the past) with ``names`` registered and voting opened (the ballot fixed)."""
    calendar = demo.announce(db, election_id, f"Presidential election {election_id}", election_day - dt.timedelta(days=93),
                             election_day, actor="test:commission")  # fmt: skip
    at = dt.datetime.combine(calendar.announced_on, dt.time(11), tzinfo=calendar.zone)
    ids = []
    for index, name in enumerate(names):
        association = actions.register_association(
            db, {"registration_number": f"{election_id}-{index}", "name": f"Association {name}", "kind": "national",
                 "registered_on": "2010-01-01"}, actor="test:ministry", at=at)  # fmt: skip
        nominated_at = calendar.nomination_opens + dt.timedelta(days=3, hours=index)
        outcome = actions.nominate(
            db, election_id,
            {"association_id": association, "person": demo.person(name, election_day),
             "decision": demo.decision(calendar.local(nominated_at).date() - dt.timedelta(days=1))},
            actor="test:clerk", at=nominated_at,
        )  # fmt: skip
        demo.walk(db, outcome.candidacy_id, "registered", calendar.registration_opens + dt.timedelta(days=2, hours=index))
        ids.append(outcome.candidacy_id)
    sweep.sweep(db, calendar.voting_opens + dt.timedelta(minutes=1))  # V2: voting opens, the ballot is fixed
    return Held(db, election_id, calendar, ids)
