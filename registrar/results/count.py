"""The count (V3): the territorial commissions' protocols, and what those in force add up to.

:func:`submit_protocol` records a protocol in the counting phase of its round; a correction
is a new version with its reason, and the version it supersedes is kept. A round's figures
are the sum of its protocols in force (:func:`round_tally`), on the ballot fixed when its
voting opens (:func:`fix_ballot`). Every figure is an integer; every percentage is exact
(registrar.tally).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registrar import audit, machines, schemas, tally, territory
from registrar.actions import calendar_of, election_row, now, outbox_rows
from registrar.calendar import local_date
from registrar.db import Database
from registrar.errors import InvalidPayload, NotAllowed
from registrar.models import Candidacy, Election, ElectionResult, OutboxMessage, Protocol
from registrar.reasons import said
from registrar.rules import Rules
from registrar.rules_in_force import of_election

# The rounds' counting phases, and the phases in which each round's figures are final.
ROUND_COUNTING = {"counting": 1, "second_round_counting": 2}


# --- Reading the figures ----------------------------------------------------------------


def current_protocols(session: Session, election_id: str, round_: int) -> list[Protocol]:
    """The protocols in force for a round: each unit's latest version."""
    return list(
        session.scalars(
            select(Protocol)
            .where(Protocol.election_id == election_id, Protocol.round == round_, Protocol.superseded_at.is_(None))
            .order_by(Protocol.unit)
        )
    )


def missing_units(session: Session, election_id: str, round_: int) -> list[str]:
    """V3: the territorial units whose protocol for the round has not reached the CEC."""
    received = {p.unit for p in current_protocols(session, election_id, round_)}
    units = territory.of_election(session.get_one(Election, election_id))
    return [code for code in units.codes if code not in received]


def figures_of(protocol: Protocol) -> tally.Figures:
    return tally.Figures(
        voters_on_list=protocol.voters_on_list,
        ballots_issued=protocol.ballots_issued,
        ballots_cast=protocol.ballots_cast,
        invalid_ballots=protocol.invalid_ballots,
        votes={int(k): int(v) for k, v in protocol.votes.items()},
        against_all=protocol.against_all,
    )


def out_of_race(session: Session, ids: Sequence[int]) -> list[int]:
    """Candidacies no longer standing (withdrawn, deceased ...): V5 passes their place to the next."""
    if not ids:
        return []
    rows = session.execute(select(Candidacy.id, Candidacy.state).where(Candidacy.id.in_(ids))).all()
    return sorted(row.id for row in rows if row.state != "registered")


def round_tally(protocols: Sequence[Protocol], on_ballot: Sequence[int], rules: Rules,
                national: tally.Figures | None = None) -> tally.Tally:  # fmt: skip
    """V4: the national totals of a round's protocols in force, "against all" a valid vote where the
    election's V4.against_all_is_valid says so (else counted apart, outside the shares and the majority).

    ``national``: a past election's round whose results the public record gives as the CEC's
    national figures alone (no protocol of it is in the record): those, counted over no unit."""
    valid_against = bool(rules.V4.against_all_is_valid)
    if national is not None and not protocols:
        return dataclasses.replace(tally.total([national], on_ballot, against_all_is_valid=valid_against), units=0)
    return tally.total([figures_of(p) for p in protocols], on_ballot, against_all_is_valid=valid_against)


NATIONAL = "national"  # the key of an established result's tally that keeps the national figures it stood on


def national_figures(data: dict[str, Any] | None) -> tally.Figures | None:
    """The CEC's national figures of a round (a payload's ``national``, or the one an established
    result keeps), as the figures of one protocol; None where the round stands on its protocols.
    Ballots issued the record does not give are taken as those cast (the count's check, V3, then
    holds them to the same bound as the rest); invalid ones it does not give, as the ballots cast
    less the votes."""
    if not data:
        return None
    issued, invalid = data.get("ballots_issued"), data.get("invalid_ballots")
    votes = {int(k): int(v) for k, v in data["votes"].items()}
    if invalid is None:
        invalid = data["ballots_cast"] - sum(votes.values()) - (data.get("against_all") or 0)
    return tally.Figures(data["voters_on_list"], data["ballots_cast"] if issued is None else issued, data["ballots_cast"],
                         invalid, votes, data.get("against_all"))  # fmt: skip


def established_national(session: Session, election_id: str, round_: int) -> dict[str, Any] | None:
    """The national figures a round's established result stood on, where it stood on no protocol."""
    stored = session.scalar(select(ElectionResult.tally).where(ElectionResult.election_id == election_id,
                                                               ElectionResult.round == round_))  # fmt: skip
    return stored.get(NATIONAL) if isinstance(stored, dict) else None


def first_round_tally(session: Session, election: Election) -> tally.Tally:
    """The first round's totals (V5 takes the second round's pair from them, D5 the refunds' shares)."""
    national = national_figures(established_national(session, election.id, 1))
    return round_tally(current_protocols(session, election.id, 1), ballot(session, election, 1), of_election(election),
                       national)  # fmt: skip


def ballot(session: Session, election: Election, round_: int) -> list[int]:
    """The candidacies on a round's ballot: fixed when its voting opens (:func:`fix_ballot`); before that,
    round 1's registered candidates, or round 2's two leaders of round 1 still in the race (V5)."""
    if round_ == 1:
        if election.ballot is not None:
            return [int(i) for i in election.ballot]
        return list(
            session.scalars(
                select(Candidacy.id)
                .where(Candidacy.election_id == election.id, Candidacy.state == "registered")
                .order_by(Candidacy.id)
            )
        )
    if election.second_round_ballot is not None:
        return [int(i) for i in election.second_round_ballot]
    first = first_round_tally(session, election)
    try:
        return list(tally.runoff_pair(first, out_of_race(session, [s.candidacy_id for s in first.candidates if s.candidacy_id])))
    except ValueError as err:
        why = str(err) if str(err).startswith("V5") else f"V5: {err}"
        raise NotAllowed("second_round", election.phase, why, message="not_allowed.runoff", params={"detail": why}) from None


def fix_ballot(session: Session, election: Election, round_: int) -> list[int]:
    """Fix a round's ballot when its voting opens: the protocols count votes for exactly these."""
    ids = ballot(session, election, round_)
    if round_ == 1 and election.ballot is None:
        election.ballot = ids
    elif round_ == 2 and election.second_round_ballot is None:
        election.second_round_ballot = ids
    return ids


# --- Protocols (V3) ---------------------------------------------------------------------------


def submit_protocol(
    db: Database, election_id: str, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None,
    correction: bool = False, acting_for: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """V3: a territorial commission's protocol reaches the CEC; with ``correction``, a new version with its reason.

    ``acting_for``: the unit of a territorial commission's officer, who sends that commission's own
    protocol and no other's (V3: each commission signs and sends its own); None for the CEC's staff,
    who record each protocol as it arrives. "" (an officer whose account names no unit) acts for none."""
    at = at or now()
    try:
        with db.transaction() as session:
            return _submit(session, election_id, payload, actor=actor, at=at, correction=correction,
                           acting_for=acting_for)  # fmt: skip
    except IntegrityError:
        # Two clerks sent the same unit's protocol at once: the second finds the first stored.
        raise InvalidPayload({"unit": [said("protocol.just_recorded")]}) from None


def _submit(
    session: Session, election_id: str, payload: dict[str, Any], *, actor: str, at: dt.datetime, correction: bool,
    acting_for: str | None,
) -> dict[str, Any]:  # fmt: skip
    election = election_row(session, election_id, lock=True)
    rules = of_election(election)
    phase = machines.current_phase(election, calendar_of(election), at)
    round_ = ROUND_COUNTING.get(phase)
    if round_ is None:
        raise NotAllowed("submit_protocol", phase, message="not_allowed.protocols", params={"phase": phase})
    try:
        data = schemas.load(schemas.ProtocolCorrectionSchema if correction else schemas.ProtocolSchema, payload, rules)
    except InvalidPayload as err:
        raise InvalidPayload(_vote_fields(err.errors)) from None
    unit = territory.of_election(election).unit(data["unit"])  # the schema checked it is one of the election's
    if acting_for is not None and unit.code != acting_for:
        # V3: each commission sends its own protocol; an officer of none (no unit on its account) sends none.
        mine = said("protocol.not_your_unit", unit=unit.code, region=acting_for) if acting_for else None
        raise InvalidPayload({"unit": [mine or said("protocol.no_unit_of_yours")]})
    previous = session.scalar(
        select(Protocol).where(Protocol.election_id == election.id, Protocol.round == round_, Protocol.unit == unit.code,
                               Protocol.superseded_at.is_(None))
    )  # fmt: skip
    if correction and previous is None:
        raise InvalidPayload({"unit": [said("protocol.none_yet", unit=unit.code)]})
    if not correction and previous is not None:
        raise InvalidPayload({"unit": [said("protocol.already_submitted", unit=unit.code, version=previous.version)]})
    figures = tally.Figures(data["voters_on_list"], data["ballots_issued"], data["ballots_cast"], data["invalid_ballots"],
                            {int(k): v for k, v in data["votes"].items()}, data["against_all"])  # fmt: skip
    on_ballot = fix_ballot(session, election, round_)
    errors = tally.protocol_errors(figures, ballot=on_ballot, against_all_on_ballot=bool(rules.V4.against_all_on_ballot))
    errors.update(_signature_errors(data["members_signed"], unit.members, rules))
    voted_on = election.election_day if round_ == 1 else election.second_round_day
    errors.update(_signing_day_errors(data["signed_on"], voted_on, local_date(at, rules)))
    if errors:
        raise InvalidPayload(errors)
    if previous is not None:
        previous.superseded_at = at
        session.flush()
    protocol = Protocol(
        election_id=election.id, round=round_, unit=unit.code, version=previous.version + 1 if previous else 1,
        voters_on_list=figures.voters_on_list, ballots_issued=figures.ballots_issued, ballots_cast=figures.ballots_cast,
        invalid_ballots=figures.invalid_ballots, votes={str(k): v for k, v in sorted(figures.votes.items())},
        against_all=figures.against_all, chair=data["chair"], members_signed=data["members_signed"], members=unit.members,
        signed_on=data["signed_on"], void=data["void"], violations=data["violations"], reason=data.get("reason", ""),
        submitted_at=at, submitted_by=actor,
    )  # fmt: skip
    session.add(protocol)
    session.flush()
    action = "correct_protocol" if correction else "submit_protocol"
    event = audit.append(session, at=at, actor=actor, action=action, subject_type="election", subject_id=election.id,
                         payload={"rule": "V3", "round": round_, "unit": unit.code, "version": protocol.version,
                                  "data": data})  # fmt: skip
    message = {"election": election.id, "round": round_, "unit": unit.code, "version": protocol.version,
               "at": at.isoformat()}  # fmt: skip
    session.execute(insert(OutboxMessage), outbox_rows(event.seq, f"election.{action}", ["cec", f"commission:{unit.code}"],
                                                       message, at))  # fmt: skip
    return protocol_view(protocol)


def _vote_fields(errors: dict[str, Any]) -> dict[str, Any]:
    """A candidate's votes are one field, ``votes.<id>``, whether the schema (a negative count) or the
    sums (registrar.tally: not on the ballot) find the fault, so a form links every error the same way."""
    nested = errors.get("votes")
    if not isinstance(nested, dict):
        return errors
    flat = {key: messages for key, messages in errors.items() if key != "votes"}
    for candidacy, faults in nested.items():
        parts = faults.values() if isinstance(faults, dict) else [faults]  # marshmallow: {"key": [...], "value": [...]}
        flat[f"votes.{candidacy}"] = [message for part in parts for message in part]
    return flat


def _signing_day_errors(signed_on: dt.date, voted_on: dt.date | None, today: dt.date) -> dict[str, list[str]]:
    """V3: the commission signs the protocol once the votes are counted, so never before its round's vote,
    and before it sends it, so never after the day it reaches the CEC."""
    if voted_on is not None and signed_on < voted_on:
        return {"signed_on": [said("protocol.signed_before_vote", voted_on=voted_on)]}
    if signed_on > today:
        return {"signed_on": [said("protocol.signed_after_receipt", today=today)]}
    return {}


def _signature_errors(signed: int, members: int, rules: Rules) -> dict[str, list[str]]:
    """V3: signed by the chair and more than the configured share of the commission's members (a kind
    without V3 sets no share: only the commission's size bounds the signatures)."""
    if signed > members:
        return {"members_signed": [said("protocol.more_signatures_than_members", members=members)]}
    if not rules.has("V3"):
        return {}
    numerator, denominator = rules.V3.signed_by_more_than
    if signed * denominator <= members * numerator:
        needed = members * numerator // denominator + 1
        return {"members_signed": [said("protocol.too_few_signatures", needed=needed, members=members)]}
    return {}


def protocol_view(protocol: Protocol) -> dict[str, Any]:
    figures = figures_of(protocol)
    return {
        "id": protocol.id, "round": protocol.round, "unit": protocol.unit, "version": protocol.version,
        "voters_on_list": figures.voters_on_list, "ballots_issued": figures.ballots_issued,
        "ballots_cast": figures.ballots_cast, "invalid_ballots": figures.invalid_ballots, "valid": figures.valid,
        "votes": {str(k): v for k, v in sorted(figures.votes.items())}, "against_all": figures.against_all,
        "turnout_percent": tally.percent_text(tally.percent(figures.ballots_cast, figures.voters_on_list)),
        "chair": protocol.chair, "members_signed": protocol.members_signed, "members": protocol.members,
        "signed_on": protocol.signed_on.isoformat(), "void": protocol.void, "violations": protocol.violations,
        "reason": protocol.reason, "submitted_at": protocol.submitted_at.isoformat(),
        "superseded_at": protocol.superseded_at.isoformat() if protocol.superseded_at else None,
    }  # fmt: skip


def protocols(db: Database, election_id: str, round_: int | None = None, *, history: bool = False) -> list[dict[str, Any]]:
    """The protocols of an election (one round, or all), in force or, with ``history``, every version."""
    with db.reading() as session:
        election_row(session, election_id)
        query = select(Protocol).where(Protocol.election_id == election_id)
        if round_ is not None:
            query = query.where(Protocol.round == round_)
        if not history:
            query = query.where(Protocol.superseded_at.is_(None))
        return [protocol_view(p) for p in session.scalars(query.order_by(Protocol.round, Protocol.unit, Protocol.version))]
