"""What the CEC's printed papers state: the registration certificate (G2) and its resolutions on a
candidacy (registration, refusal, cancellation: G2, G3) and on the election (the results of a
round V4/V5, the President's registration V7 ...), each with its number and date, read from the
records the decisions wrote. The words and the layout are the web's (web/printables.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registrar.calendar import local_date
from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import Candidacy, Certificate, Decision, Election, ElectionDecision, ElectionResult
from registrar.rules_in_force import of_election

# The CEC's own resolutions; a court's judgment or a candidate's statement is not printed here.
CANDIDACY_RESOLUTIONS = ("register", "refuse", "refuse_incomplete", "cancel_registration")
ELECTION_RESOLUTIONS = ("establish_results", "call_second_round", "declare_void", "register_president",
                        "refuse_president", "call_rerun")  # fmt: skip


def _candidate(candidacy: Candidacy) -> dict[str, Any]:
    # The association by the name it nominated under, and the election's title: each an InLanguages,
    # printed in the language of the page.
    nominated_on = local_date(candidacy.nominated_at, of_election(candidacy.election))
    return {"candidacy": candidacy.id, "person": candidacy.person.full_name, "birth_date": candidacy.person.birth_date,
            "association": candidacy.association.named_on(nominated_on), "election": candidacy.election.titles,
            "election_id": candidacy.election_id, "election_day": candidacy.election.election_day}  # fmt: skip


def certificate(db: Database, candidacy_id: int) -> dict[str, Any]:
    """G2: the registration certificate in force (or the last one, marked revoked), and the resolution it follows."""
    with db.reading() as session:
        row = session.scalar(select(Certificate).where(Certificate.candidacy_id == candidacy_id).order_by(Certificate.id.desc()))
        candidacy = session.get(Candidacy, candidacy_id)
        if row is None or candidacy is None:
            raise NotFound(f"candidacy {candidacy_id} has no registration certificate")
        resolution = session.scalar(select(Decision).where(Decision.candidacy_id == candidacy_id, Decision.kind == "register")
                                    .order_by(Decision.id.desc()))  # fmt: skip
        return {"number": row.number, "issued_at": row.issued_at, "revoked_at": row.revoked_at,
                "resolution": _resolution_ref(resolution), **_candidate(candidacy)}  # fmt: skip


def _resolution_ref(row: Decision | None) -> dict[str, Any] | None:
    return None if row is None else {"id": row.id, "number": row.number, "decided_on": row.decided_on}


def resolution(db: Database, decision_id: int) -> dict[str, Any]:
    """A CEC resolution on a candidacy: its kind, number, date, grounds and the candidate it concerns."""
    with db.reading() as session:
        row = session.get(Decision, decision_id)
        if row is None or row.kind not in CANDIDACY_RESOLUTIONS:
            raise NotFound(f"no CEC resolution {decision_id} on a candidacy")
        candidacy = session.get(Candidacy, row.candidacy_id)
        assert candidacy is not None  # a foreign key
        return {"id": row.id, "kind": row.kind, "number": row.number, "decided_on": row.decided_on,
                "grounds": list(row.grounds), "reason": row.reason, **_candidate(candidacy)}  # fmt: skip


def election_resolution(db: Database, decision_id: int) -> dict[str, Any]:
    """A CEC resolution on the election: its kind, number, date, and for the results the round's figures."""
    with db.reading() as session:
        row = session.get(ElectionDecision, decision_id)
        if row is None or row.kind not in ELECTION_RESOLUTIONS or row.body != "CEC":
            raise NotFound(f"no CEC resolution {decision_id} on an election")
        election = session.get(Election, row.election_id)
        assert election is not None
        names = {c.id: c.person.full_name for c in session.scalars(select(Candidacy).where(Candidacy.election_id == election.id))}
        figures: dict[str, Any] | None = None
        if row.kind == "establish_results":
            round_ = row.details.get("round", 1)
            result = session.scalar(
                select(ElectionResult).where(ElectionResult.election_id == election.id, ElectionResult.round == round_)
            )
            if result is not None:
                figures = {"round": result.round, "outcome": result.outcome, **result.tally,
                           "candidates": [line | {"person": names.get(line["candidacy_id"], "")}
                                          for line in result.tally.get("candidates", [])]}  # fmt: skip
        return {"id": row.id, "kind": row.kind, "number": row.number, "decided_on": row.decided_on, "reason": row.reason,
                "details": dict(row.details), "election": election.titles, "election_id": election.id,
                "election_day": election.election_day, "person": names.get(row.candidacy_id) if row.candidacy_id else None,
                "figures": figures}  # fmt: skip


def resolutions_of(db: Database, candidacy_id: int | None = None, election_id: str | None = None) -> list[dict[str, Any]]:
    """The CEC's resolutions on a candidacy or an election (id, kind, number, date), the first first."""
    with db.reading() as session:
        if candidacy_id is not None:
            rows: Any = session.scalars(
                select(Decision).where(Decision.candidacy_id == candidacy_id, Decision.kind.in_(CANDIDACY_RESOLUTIONS))
                .order_by(Decision.id)
            )  # fmt: skip
        else:
            rows = session.scalars(select(ElectionDecision).where(ElectionDecision.election_id == election_id,
                                                                  ElectionDecision.body == "CEC",
                                                                  ElectionDecision.kind.in_(ELECTION_RESOLUTIONS))
                                   .order_by(ElectionDecision.id))  # fmt: skip
        return [{"id": r.id, "kind": r.kind, "number": r.number, "decided_on": r.decided_on} for r in rows]
