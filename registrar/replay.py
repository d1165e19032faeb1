"""The records checked against the trail: ``registrar audit verify --records``.

A chain that verifies says the events are the ones appended; it says nothing of the tables beside
it. Whoever can write to the database can set a candidacy's state, a candidate's name or a
protocol's votes without an event, and the chain still verifies. So the trail is replayed: what
the events say each candidacy's state, its candidate's facts, its decisions and certificates, each
election's phase and each protocol version are, against what the tables hold. The first record
that differs is named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registrar import audit
from registrar.models import Candidacy, Certificate, Decision, Election, Person, Protocol
from registrar.records import REFUSED_AT_CLOSE

__all__ = ["Mismatch", "mismatches"]

# The candidate's facts as the nomination recorded them (Person's columns, but its id).
PERSON_FACTS = tuple(c.name for c in Person.__table__.c if c.name != "id")
ANY_DAY = "*"
PROTOCOL_FIGURES = ("voters_on_list", "ballots_issued", "ballots_cast", "invalid_ballots", "votes", "against_all",
                    "chair", "members_signed", "signed_on", "void", "violations")  # fmt: skip


@dataclass(frozen=True)
class Mismatch:
    record: str  # "candidacy 12", "protocol demo-2026/1/ABA v2" ...
    problem: str

    def __str__(self) -> str:
        return f"{self.record}: {self.problem}"


@dataclass
class Trail:
    """What the events say, gathered in one pass over the chain."""

    states: dict[int, str] = field(default_factory=dict)
    persons: dict[int, dict[str, Any]] = field(default_factory=dict)
    decisions: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    certificates: dict[str, int] = field(default_factory=dict)
    phases: dict[str, str] = field(default_factory=dict)
    protocols: dict[tuple[str, int, str, int], dict[str, Any]] = field(default_factory=dict)

    def read(self, event: Any) -> None:
        payload = event.payload if isinstance(event.payload, dict) else {}
        given = payload.get("data")
        data: dict[str, Any] = given if isinstance(given, dict) else {}
        if event.subject_type == "candidacy" and str(event.subject_id).isdigit():
            self._candidacy(int(event.subject_id), event, payload, data)
        elif event.subject_type == "election":
            self._election(str(event.subject_id), event, payload, data)

    def _candidacy(self, candidacy: int, event: Any, payload: dict[str, Any], data: dict[str, Any]) -> None:
        if event.to_state:
            self.states[candidacy] = event.to_state
        if event.action == "nominate" and isinstance(data.get("person"), dict):
            self.persons[candidacy] = data["person"]
        if "number" in data and "decided_on" in data and event.action != "record_medical_conclusion":
            self.decisions.setdefault(candidacy, []).append((event.action, str(data["number"]), str(data["decided_on"])))
        elif event.action == "refuse_incomplete":  # the closing of registration is the decision, dated its day
            self.decisions.setdefault(candidacy, []).append((event.action, REFUSED_AT_CLOSE, ANY_DAY))
        if isinstance(payload.get("certificate"), str):
            self.certificates[payload["certificate"]] = candidacy

    def _election(self, election: str, event: Any, payload: dict[str, Any], data: dict[str, Any]) -> None:
        phase = payload.get("phase")
        if event.to_state:
            self.phases[election] = event.to_state
        elif isinstance(phase, list) and len(phase) == 2 and isinstance(phase[1], str):
            self.phases[election] = phase[1]  # a deadline moved the election on (V1, V2)
        if event.action in ("submit_protocol", "correct_protocol"):
            key = (election, int(payload.get("round", 0)), str(payload.get("unit", "")), int(payload.get("version", 0)))
            self.protocols[key] = data


def mismatches(session: Session) -> Iterator[Mismatch]:
    """Every record that is not what the trail says, candidacies first."""
    trail = Trail()
    for event in audit._events(session):
        trail.read(event)
    yield from _candidacies(session, trail)
    yield from _elections(session, trail)
    yield from _protocols(session, trail)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _candidacies(session: Session, trail: Trail) -> Iterator[Mismatch]:
    seen: set[int] = set()
    for candidacy, person in session.execute(select(Candidacy, Person).join(Person).order_by(Candidacy.id)):
        seen.add(candidacy.id)
        record = f"candidacy {candidacy.id}"
        if candidacy.id not in trail.states:
            yield Mismatch(record, "no event of the trail made it")
            continue
        if trail.states[candidacy.id] != candidacy.state:
            yield Mismatch(record, f"its state is {candidacy.state!r}, the trail says {trail.states[candidacy.id]!r}")
        nominated = trail.persons.get(candidacy.id, {})
        for fact in PERSON_FACTS:
            if fact in nominated and _plain(getattr(person, fact)) != nominated[fact]:
                yield Mismatch(record, f"its candidate's {fact} is {_plain(getattr(person, fact))!r}, "
                                       f"the nomination recorded {nominated[fact]!r}")  # fmt: skip
    for made in sorted(set(trail.states) - seen):
        yield Mismatch(f"candidacy {made}", "the trail made it but the records have no such candidacy")
    stored: dict[int, list[tuple[str, str, str]]] = {}
    for row in session.scalars(select(Decision).order_by(Decision.id)):
        day = ANY_DAY if row.kind == "refuse_incomplete" else row.decided_on.isoformat()
        stored.setdefault(row.candidacy_id, []).append((row.kind, row.number, day))
    for decided in sorted(set(stored) | set(trail.decisions)):
        if sorted(stored.get(decided, [])) != sorted(trail.decisions.get(decided, [])):
            yield Mismatch(f"candidacy {decided}", f"its decisions are {sorted(stored.get(decided, []))}, "
                                                   f"the trail says {sorted(trail.decisions.get(decided, []))}")  # fmt: skip
    certificates = {row.number: row.candidacy_id for row in session.scalars(select(Certificate))}
    for number in sorted(set(certificates) | set(trail.certificates)):
        if certificates.get(number) != trail.certificates.get(number):
            yield Mismatch(f"certificate {number}", f"issued to candidacy {certificates.get(number)}, "
                                                    f"the trail says {trail.certificates.get(number)}")  # fmt: skip


def _elections(session: Session, trail: Trail) -> Iterator[Mismatch]:
    for election in session.scalars(select(Election).order_by(Election.id)):
        said = trail.phases.get(election.id)
        if said is None:
            yield Mismatch(f"election {election.id}", "no event of the trail announced it")
        elif said != election.phase:
            yield Mismatch(f"election {election.id}", f"its phase is {election.phase!r}, the trail says {said!r}")


def _protocols(session: Session, trail: Trail) -> Iterator[Mismatch]:
    seen = set()
    for row in session.scalars(select(Protocol).order_by(Protocol.id)):
        key = (row.election_id, row.round, row.unit, row.version)
        seen.add(key)
        record = f"protocol {row.election_id}/{row.round}/{row.unit} v{row.version}"
        said = trail.protocols.get(key)
        if said is None:
            yield Mismatch(record, "no event of the trail submitted it")
            continue
        for figure in PROTOCOL_FIGURES:
            if figure in said and _plain(getattr(row, figure)) != said[figure]:
                yield Mismatch(record, f"its {figure} is {_plain(getattr(row, figure))!r}, the trail says {said[figure]!r}")
    for election, round_, unit, version in sorted(set(trail.protocols) - seen):
        yield Mismatch(
            f"protocol {election}/{round_}/{unit} v{version}", "the trail submitted it but the records have no such protocol"
        )
