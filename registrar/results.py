"""Election day and after: protocols (V3), results (V4), the second round (V5), a re-run (V6),
the President-elect (V7) and the refunds of election contributions (D5).

The election's path after the vote is the table :data:`registrar.machines.ELECTION_STEPS`;
:func:`perform_election` is its one way in, as :func:`registrar.actions.perform` is the
candidacy's::

    validate the payload  ->  lock the election, check the expected version
    ->  compute what the protocols decide (registrar.tally)  ->  fire the trigger (conditions)
    ->  write the decision and its records  ->  the deadlines follow the new phase
    ->  audit event  ->  outbox  ->  commit

Protocols are not decisions: :func:`submit_protocol` records one (a correction is a new
version with its reason, the earlier one is kept), in the counting phase of its round.
Every figure is an integer; every percentage is exact (registrar.tally).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registrar import audit, deadlines, machines, schemas, tally, territory
from registrar.actions import (
    announce_in,
    calendar_of,
    candidacy_recipients,
    deadline_view,
    election_row,
    now,
    one_action,
    outbox_rows,
)
from registrar.calendar import local_date, period_end, voting_hours
from registrar.conditions import ElectionContext, within_months
from registrar.db import Database
from registrar.errors import InvalidPayload, NotAllowed, StaleVersion
from registrar.models import (
    Appeal,
    Candidacy,
    Contribution,
    Election,
    ElectionDecision,
    ElectionResult,
    OutboxMessage,
    Protocol,
)
from registrar.rules import Rules, as_decimal
from registrar.rules_in_force import of_election

# The rounds' counting phases, and the phases in which each round's figures are final.
ROUND_COUNTING = {"counting": 1, "second_round_counting": 2}


@dataclass(frozen=True)
class ElectionOutcome:
    """What a decision on the election leaves: the new phase, the version to send next, what may follow."""

    election_id: str
    phase: str
    previous_phase: str
    version: int
    event_seq: int
    allowed: list[str] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"election": self.election_id, "phase": self.phase, "previous_phase": self.previous_phase,
                "version": self.version, "event": self.event_seq, "allowed": self.allowed,
                "deadlines": self.deadlines, **self.details}  # fmt: skip


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
    return [code for code in territory.current().codes if code not in received]


def figures_of(protocol: Protocol) -> tally.Figures:
    return tally.Figures(
        voters_on_list=protocol.voters_on_list,
        ballots_issued=protocol.ballots_issued,
        ballots_cast=protocol.ballots_cast,
        invalid_ballots=protocol.invalid_ballots,
        votes={int(k): int(v) for k, v in protocol.votes.items()},
        against_all=protocol.against_all,
    )


def _out_of_race(session: Session, ids: Sequence[int]) -> list[int]:
    """Candidacies no longer standing (withdrawn, deceased ...): V5 passes their place to the next."""
    if not ids:
        return []
    rows = session.execute(select(Candidacy.id, Candidacy.state).where(Candidacy.id.in_(ids))).all()
    return sorted(row.id for row in rows if row.state != "registered")


def round_tally(protocols: Sequence[Protocol], on_ballot: Sequence[int], rules: Rules) -> tally.Tally:
    """V4: the national totals of a round's protocols in force, "against all" a valid vote where the
    election's V4.against_all_is_valid says so (else counted apart, outside the shares and the majority)."""
    return tally.total([figures_of(p) for p in protocols], on_ballot,
                       against_all_is_valid=bool(rules.V4.against_all_is_valid))  # fmt: skip


def _first_round_tally(session: Session, election: Election) -> tally.Tally:
    return round_tally(current_protocols(session, election.id, 1), ballot(session, election, 1), of_election(election))


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
    first = _first_round_tally(session, election)
    try:
        return list(tally.runoff_pair(first, _out_of_race(session, [s.candidacy_id for s in first.candidates if s.candidacy_id])))
    except ValueError as err:
        raise NotAllowed("second_round", election.phase, str(err) if str(err).startswith("V5") else f"V5: {err}") from None


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
    correction: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """V3: a territorial commission's protocol reaches the CEC; with ``correction``, a new version with its reason."""
    at = at or now()
    try:
        with db.transaction() as session:
            return _submit(session, election_id, payload, actor=actor, at=at, correction=correction)
    except IntegrityError:
        # Two clerks sent the same unit's protocol at once: the second finds the first stored.
        raise InvalidPayload({"unit": ["this protocol was just recorded by someone else: reload and check it"]}) from None


def _submit(
    session: Session, election_id: str, payload: dict[str, Any], *, actor: str, at: dt.datetime, correction: bool
) -> dict[str, Any]:
    election = election_row(session, election_id, lock=True)
    rules = of_election(election)
    phase = machines.current_phase(election, calendar_of(election), at)
    round_ = ROUND_COUNTING.get(phase)
    if round_ is None:
        raise NotAllowed("submit_protocol", phase, f"protocols are received while the votes are counted (V3); "
                                                   f"the election is in the {phase!r} phase")  # fmt: skip
    try:
        data = schemas.load(schemas.ProtocolCorrectionSchema if correction else schemas.ProtocolSchema, payload, rules)
    except InvalidPayload as err:
        raise InvalidPayload(_vote_fields(err.errors)) from None
    unit = territory.current().unit(data["unit"])
    previous = session.scalar(
        select(Protocol).where(Protocol.election_id == election.id, Protocol.round == round_, Protocol.unit == unit.code,
                               Protocol.superseded_at.is_(None))
    )  # fmt: skip
    if correction and previous is None:
        raise InvalidPayload({"unit": [f"no protocol of {unit.name} is submitted yet: submit it first"]})
    if not correction and previous is not None:
        raise InvalidPayload({"unit": [f"the protocol of {unit.name} is already submitted (version {previous.version}); "
                                       "a correction is a new version with its reason"]})  # fmt: skip
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
        return {"signed_on": [f"cannot be before the vote on {voted_on.isoformat()}"]}
    if signed_on > today:
        return {"signed_on": [f"cannot be after the day the protocol is received ({today.isoformat()})"]}
    return {}


def _signature_errors(signed: int, members: int, rules: Rules) -> dict[str, list[str]]:
    """V3: signed by the chair and more than the configured share of the commission's members (a kind
    without V3 sets no share: only the commission's size bounds the signatures)."""
    if signed > members:
        return {"members_signed": [f"the commission has {members} members"]}
    if not rules.has("V3"):
        return {}
    numerator, denominator = rules.V3.signed_by_more_than
    if signed * denominator <= members * numerator:
        needed = members * numerator // denominator + 1
        return {"members_signed": [f"at least {needed} of the commission's {members} members must sign (V3)"]}
    return {}


def protocol_view(protocol: Protocol) -> dict[str, Any]:
    figures = figures_of(protocol)
    return {
        "id": protocol.id, "round": protocol.round, "unit": protocol.unit, "version": protocol.version,
        "voters_on_list": figures.voters_on_list, "ballots_issued": figures.ballots_issued,
        "ballots_cast": figures.ballots_cast, "invalid_ballots": figures.invalid_ballots, "valid": figures.valid,
        "votes": {str(k): v for k, v in sorted(figures.votes.items())}, "against_all": figures.against_all,
        "turnout_percent": str(tally.percent(figures.ballots_cast, figures.voters_on_list)),
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


# --- Decisions on the election (V4-V7) ----------------------------------------------------------


def perform_election(
    db: Database, election_id: str, trigger: str, payload: dict[str, Any] | None = None, *, actor: str,
    expected_version: int | None = None, at: dt.datetime | None = None,
) -> ElectionOutcome:  # fmt: skip
    """Take one decision on the election, in one transaction; see the module docstring for the order."""
    at = at or now()
    with one_action(db, select(Election.version).where(Election.id == election_id), expected_version) as session:
        return perform_election_in(session, election_id, trigger, payload, actor=actor, at=at, expected_version=expected_version)


def perform_election_in(
    session: Session, election_id: str, trigger: str, payload: dict[str, Any] | None = None, *, actor: str,
    at: dt.datetime, expected_version: int | None = None, cause: dict[str, Any] | None = None,
) -> ElectionOutcome:  # fmt: skip
    """:func:`perform_election` inside the caller's transaction (the deadline sweep's)."""
    election = election_row(session, election_id, lock=True)
    if expected_version is not None and election.version != expected_version:
        raise StaleVersion(expected_version, election.version)
    rules = of_election(election)
    calendar = calendar_of(election)
    phase = machines.current_phase(election, calendar, at)
    machines.election_step_for(trigger, phase)
    data = schemas.load(schemas.ELECTION_SCHEMAS[trigger], payload or {}, rules)
    ctx = ElectionContext(session, rules, calendar, election, at, phase, trigger, data)
    prepare = PREPARE.get(trigger)
    if prepare is not None:
        prepare(ctx)
    after = machines.fire_election(ctx, trigger)
    step = _step_to(trigger, phase, after)
    details = RECORDERS[trigger](ctx) if trigger in RECORDERS else {}
    deadlines.follow_phase(session, election.id, after, now=at)
    if after in ON_ENTER:
        ON_ENTER[after](ctx)
    session.flush()
    event = audit.append(session, at=at, actor=actor, action=trigger, subject_type="election", subject_id=election.id,
                         from_state=phase, to_state=after,
                         payload={"rule": step.rule, "data": data, **details, **(cause or {})})  # fmt: skip
    recipients = ["cec", *_president_elect_recipients(session, ctx)]
    message = {"election": election.id, "trigger": trigger, "from": phase, "to": after, "at": at.isoformat()}
    session.execute(insert(OutboxMessage), outbox_rows(event.seq, f"election.{trigger}", recipients, message, at))
    session.flush()
    return ElectionOutcome(
        election_id=election.id, phase=after, previous_phase=phase, version=election.version, event_seq=event.seq,
        allowed=machines.election_triggers_in(after),
        deadlines=[deadline_view(d) for d in deadlines.pending_for(session, "election", election.id)],
        details=details,
    )  # fmt: skip


def _step_to(trigger: str, phase: str, dest: str) -> machines.ElectionStep:
    return next(s for s in machines.ELECTION_STEPS if s.trigger == trigger and phase in s.source and s.dest == dest)


def _president_elect_recipients(session: Session, ctx: ElectionContext) -> list[str]:
    winner = _winner(session, ctx.election.id)
    if winner is None:
        return []
    candidacy = session.get(Candidacy, winner)
    return candidacy_recipients(candidacy.association_id, candidacy.id)[1:] if candidacy is not None else []


def _round_of(phase: str) -> int:
    return ROUND_COUNTING[phase]


def _latest_result(session: Session, election_id: str) -> ElectionResult | None:
    return session.scalar(
        select(ElectionResult).where(ElectionResult.election_id == election_id).order_by(ElectionResult.round.desc())
    )


def _winner(session: Session, election_id: str) -> int | None:
    result = _latest_result(session, election_id)
    return result.winner_id if result is not None and result.outcome == "elected" else None


# What each decision computes before its conditions are checked.


def _count(ctx: ElectionContext) -> None:
    """V4/V5: what the protocols in force decide."""
    round_ = _round_of(ctx.phase)
    on_ballot = ballot(ctx.session, ctx.election, round_)
    ctx.missing_units = tuple(missing_units(ctx.session, ctx.election.id, round_))
    counted = round_tally(current_protocols(ctx.session, ctx.election.id, round_), on_ballot, ctx.rules)
    if round_ == 1:
        needed = as_decimal(ctx.rules.V4.majority_percent)
        ctx.verdict = tally.first_round(counted, percent_needed=needed, out_of_race=_out_of_race(ctx.session, on_ballot))
    else:
        ctx.verdict = tally.second_round(counted)
    ctx.counted = counted


def electing_round(session: Session, election_id: str) -> tuple[int, list[Protocol]]:
    """V7: the round whose units count for a refusal (the latest established, else the first), and its
    protocols in force."""
    result = _latest_result(session, election_id)
    round_ = result.round if result is not None else 1
    return round_, current_protocols(session, election_id, round_)


def _violations(ctx: ElectionContext) -> None:
    """V7: the share of units whose vote was void or violated, in the round that elected."""
    _, in_force = electing_round(ctx.session, ctx.election.id)
    ctx.violated = tally.violated_share(p.void or p.violations for p in in_force)


def _president_elect(ctx: ElectionContext) -> None:
    """V7: the candidacy the results elected, as it stands now."""
    winner = _winner(ctx.session, ctx.election.id)
    ctx.president_elect = ctx.session.get(Candidacy, winner) if winner is not None else None


PREPARE: dict[str, Callable[[ElectionContext], None]] = {
    "establish_results": _count,
    "refuse_president": _violations,
    "register_president": _president_elect,
}


# What each decision writes; the dict returned goes into the audit event and the outcome.


def _decision(ctx: ElectionContext, *, body: str = "CEC", candidacy_id: int | None = None,
              details: dict[str, Any] | None = None) -> None:  # fmt: skip
    ctx.session.add(
        ElectionDecision(
            election_id=ctx.election.id,
            kind=ctx.trigger,
            body=body,
            number=ctx.data.get("number", ""),
            decided_on=ctx.data.get("decided_on") or local_date(ctx.at, ctx.rules),
            candidacy_id=candidacy_id,
            reason=ctx.data.get("reason", ""),
            details=audit.jsonable(details or {}),
            recorded_at=ctx.at,
        )  # fmt: skip
    )


def _establish(ctx: ElectionContext) -> dict[str, Any]:
    counted: tally.Tally = ctx.counted
    verdict = ctx.verdict
    round_ = _round_of(ctx.phase)
    ctx.session.add(
        ElectionResult(
            election_id=ctx.election.id,
            round=round_,
            outcome=verdict.outcome,
            winner_id=verdict.winner,
            leaders=list(verdict.leaders),
            tally=counted.as_dict(),
            reason=verdict.reason,
            number=ctx.data["number"],
            decided_on=ctx.data["decided_on"],
            established_at=ctx.at,
        )  # fmt: skip
    )
    details = {"round": round_, "outcome": verdict.outcome, "winner": verdict.winner, "leaders": list(verdict.leaders),
               "reason": verdict.reason}  # fmt: skip
    _decision(ctx, candidacy_id=verdict.winner, details=details)
    return details


def _call_second_round(ctx: ElectionContext) -> dict[str, Any]:
    """V5: the day, its hours (V2), and the two on the ballot (fixed when its voting opens)."""
    day: dt.date = ctx.data["voting_day"]
    opens, closes = voting_hours(day, ctx.rules)
    election = ctx.election
    election.second_round_day, election.second_round_opens_at, election.second_round_closes_at = day, opens, closes
    pair = ballot(ctx.session, election, 2)
    source = f"CEC resolution {ctx.data['number']} of {ctx.data['decided_on'].isoformat()}"
    for kind, moment in (("second_round_voting_opens", opens), ("second_round_voting_closes", closes)):
        deadlines.open_election_deadline(ctx.session, election.id, kind, moment, calendar=ctx.calendar,
                                         computed_from=source, now=ctx.at)  # fmt: skip
    deadlines.count_deadlines(ctx.session, election.id, closes, 2, rules=ctx.rules, calendar=ctx.calendar, now=ctx.at)
    details = {"round": 2, "voting_day": day.isoformat(), "candidates": pair}
    _decision(ctx, details=details)
    return details


def _declare_void(ctx: ElectionContext) -> dict[str, Any]:
    _decision(ctx)
    return {}


def _register_president(ctx: ElectionContext) -> dict[str, Any]:
    winner = _winner(ctx.session, ctx.election.id)
    _decision(ctx, candidacy_id=winner)
    return {"president": winner}


def _refuse_president(ctx: ElectionContext) -> dict[str, Any]:
    share, winner = ctx.violated, _winner(ctx.session, ctx.election.id)
    details = {"president": winner, "violated_share": f"{share.numerator}/{share.denominator}"}
    _decision(ctx, candidacy_id=winner, details=details)
    return details


def _appeal_president(ctx: ElectionContext) -> dict[str, Any]:
    winner = _winner(ctx.session, ctx.election.id)
    if winner is None:  # the machine only lets a refusal of an elected candidate be appealed
        raise NotAllowed("appeal_president_refusal", ctx.phase)
    ctx.session.add(Appeal(candidacy_id=winner, against="president_refused", case_number=ctx.data["case_number"],
                           filed_at=ctx.at))  # fmt: skip
    return {"president": winner}


def _court(outcome: str) -> Callable[[ElectionContext], dict[str, Any]]:
    def record(ctx: ElectionContext) -> dict[str, Any]:
        winner = _winner(ctx.session, ctx.election.id)
        appeal = ctx.session.scalar(
            select(Appeal).where(Appeal.candidacy_id == winner, Appeal.against == "president_refused",
                                 Appeal.outcome.is_(None)).order_by(Appeal.id.desc())
        )  # fmt: skip
        if appeal is not None:
            appeal.outcome, appeal.decided_at = outcome, ctx.at
        _decision(ctx, body="Supreme Court", candidacy_id=winner, details={"outcome": outcome})
        return {"president": winner, "appeal": outcome}

    return record


def _call_rerun(ctx: ElectionContext) -> dict[str, Any]:
    """V6: a new election at the same polling stations, with the same voter registers; its milestones are
    the CEC's (V1): the computed ones rarely fit two months, and the calendar names those to set."""
    data = ctx.data
    announcement = {"id": data["id"], "title": data["title"], "kind": ctx.election.kind,
                    "announced_on": data["decided_on"].isoformat(), "election_day": data["election_day"].isoformat(),
                    "resolutions": [r | {"adopted_on": r["adopted_on"].isoformat()} for r in data["resolutions"]]}  # fmt: skip
    rerun = announce_in(ctx.session, announcement, actor=f"{ctx.election.id}:call_rerun", at=ctx.at, rerun_of=ctx.election)
    details = {"rerun": rerun}
    _decision(ctx, details=details)
    return details


RECORDERS: dict[str, Callable[[ElectionContext], dict[str, Any]]] = {
    "establish_results": _establish,
    "call_second_round": _call_second_round,
    "declare_void": _declare_void,
    "register_president": _register_president,
    "refuse_president": _refuse_president,
    "appeal_president_refusal": _appeal_president,
    "uphold_president_appeal": _court("upheld"),
    "dismiss_president_appeal": _court("dismissed"),
    "call_rerun": _call_rerun,
}


# The deadlines a phase opens (those it closes are deadlines.AFTER_VOTE's open_in). A kind whose file
# leaves the deadline's rule out (no V5, V6 or V7) sets no such period: the phase opens none.


def _open(kind: str, days: Callable[[Rules], int], what: str) -> Callable[[ElectionContext], None]:
    def open_(ctx: ElectionContext) -> None:
        if not ctx.rules.has(deadlines.AFTER_VOTE[kind].rule):
            return
        n = days(ctx.rules)
        deadlines.open_election_deadline(ctx.session, ctx.election.id, kind, period_end(ctx.at, n, ctx.rules),
                                         calendar=ctx.calendar, now=ctx.at,
                                         computed_from=f"{n} days ({deadlines.AFTER_VOTE[kind].rule}) from {what} "
                                                       f"at {ctx.local(ctx.at)}")  # fmt: skip

    return open_


def _second_round_due(ctx: ElectionContext) -> None:
    if not ctx.rules.has("V5"):
        return
    months = int(ctx.rules.V5.second_round_within_months)
    latest = within_months(ctx.election.election_day, months)
    deadlines.open_election_deadline(ctx.session, ctx.election.id, "second_round_due", period_end(latest, 0, ctx.rules),
                                     calendar=ctx.calendar, now=ctx.at,
                                     computed_from=f"{months} months (V5) from the first round on "
                                                   f"{ctx.election.election_day.isoformat()}")  # fmt: skip


def _rerun_due(ctx: ElectionContext) -> None:
    if not ctx.rules.has("V6"):
        return
    months = int(ctx.rules.V6.rerun_within_months)
    since = local_date(ctx.at, ctx.rules)
    deadlines.open_election_deadline(ctx.session, ctx.election.id, "rerun_due",
                                     period_end(within_months(since, months), 0, ctx.rules), calendar=ctx.calendar,
                                     now=ctx.at, computed_from=f"{months} months (V6) from {since.isoformat()}")  # fmt: skip


ON_ENTER: dict[str, Callable[[ElectionContext], None]] = {
    "elected": _open("president_registration_due", lambda r: int(r.V7.registration_days), "the results"),
    "second_round_due": _second_round_due,
    "president_refused": _open("president_appeal_window", lambda r: int(r.V7.appeal_days), "the refusal"),
    "president_appealed": _open("president_court_review", lambda r: int(r.V7.court_review_days), "the appeal"),
    "void": _rerun_due,
    "no_winner": _rerun_due,
    "refusal_final": _rerun_due,
}


# --- Reading the results -------------------------------------------------------------------------


def _percent_text(value: Decimal) -> str:
    return f"{value:.2f}"


def results(db: Database, election_id: str, *, at: dt.datetime | None = None) -> dict[str, Any]:
    """The results of an election as the public may read them (G2: names, associations, figures; no signatures)."""
    at = at or now()
    with db.reading() as session:
        election = election_row(session, election_id)
        rules = of_election(election)
        calendar = calendar_of(election)
        phase = machines.current_phase(election, calendar, at)
        units = territory.current()
        names = _candidate_names(session, election, rules)
        rounds = []
        for round_, day in ((1, election.election_day), (2, election.second_round_day)):
            if day is None:
                continue
            in_force = current_protocols(session, election.id, round_)
            try:
                on_ballot = ballot(session, election, round_)
            except NotAllowed:
                on_ballot = []
            counted = round_tally(in_force, on_ballot, rules)
            established = session.scalar(
                select(ElectionResult).where(ElectionResult.election_id == election.id, ElectionResult.round == round_)
            )
            rounds.append({
                "round": round_,
                "voting_day": day.isoformat(),
                "status": "established" if established is not None else "counting",
                "protocols": {"received": len(in_force), "expected": len(units.units)},
                "totals": _totals(counted),
                "candidates": [{"candidacy_id": s.candidacy_id, **names.get(s.candidacy_id or 0, {}), "votes": s.votes,
                                "percent": _percent_text(s.percent)} for s in counted.candidates],
                "against_all": ({"votes": counted.against_all.votes, "percent": _percent_text(counted.against_all.percent)}
                                if counted.against_all is not None else None),
                "units": [_unit_row(p, units) for p in in_force],
                "outcome": ({"kind": established.outcome, "winner": established.winner_id, "leaders": established.leaders,
                             "reason": established.reason, "number": established.number,
                             "decided_on": established.decided_on.isoformat()} if established is not None else None),
            })  # fmt: skip
        rerun = session.scalar(select(Election.id).where(Election.rerun_of == election.id))
        winner = _winner(session, election.id)
        decisions = list(session.scalars(select(ElectionDecision).where(ElectionDecision.election_id == election.id)
                                         .order_by(ElectionDecision.id)))  # fmt: skip
        status = _president_status(phase, [d.kind for d in decisions])
        return {
            "election": election.id,
            "title": election.title,
            "phase": phase,
            "rounds": rounds,
            "president": ({"candidacy_id": winner, **names.get(winner, {}), "status": status}
                          if winner is not None and status is not None else None),
            "rerun": rerun,
            "rerun_of": election.rerun_of,
            "decisions": [
                {"kind": d.kind, "body": d.body, "number": d.number, "decided_on": d.decided_on.isoformat(),
                 "reason": d.reason}
                for d in decisions
            ],
        }  # fmt: skip


# What each decision makes of the President-elect, for the phases that no longer say it (a re-run called).
_PRESIDENT_AFTER = {"establish_results": "elected", "refuse_president": "refused", "uphold_president_appeal": "elected",
                    "dismiss_president_appeal": "refused", "declare_void": None}  # fmt: skip


def _president_status(phase: str, decisions: Sequence[str]) -> str | None:
    """What became of the President-elect; None once the election is declared void (V6: no one was elected),
    also after the re-run it leads to is called, which, after a final refusal, still shows the refusal."""
    by_phase = {"elected": "elected", "president_registered": "registered", "president_refused": "refused",
                "president_appealed": "appealed", "refusal_final": "refused", "void": None}  # fmt: skip
    if phase in by_phase:
        return by_phase[phase]
    last = next((kind for kind in reversed(decisions) if kind in _PRESIDENT_AFTER), None)
    return _PRESIDENT_AFTER[last] if last is not None else "elected"


def _totals(counted: tally.Tally) -> dict[str, Any]:
    return {"units": counted.units, "voters_on_list": counted.voters_on_list, "ballots_issued": counted.ballots_issued,
            "ballots_cast": counted.ballots_cast, "invalid_ballots": counted.invalid_ballots, "valid": counted.valid,
            "turnout_percent": _percent_text(counted.turnout)}  # fmt: skip


def _unit_row(protocol: Protocol, units: territory.Territory) -> dict[str, Any]:
    unit = units.unit(protocol.unit)
    figures = figures_of(protocol)
    return {"code": unit.code, "name": unit.name, "commission": unit.commission, "version": protocol.version,
            "voters_on_list": figures.voters_on_list, "ballots_cast": figures.ballots_cast,
            "invalid_ballots": figures.invalid_ballots, "valid": figures.valid,
            "turnout_percent": _percent_text(tally.percent(figures.ballots_cast, figures.voters_on_list)),
            "votes": {str(k): v for k, v in sorted(figures.votes.items())}, "against_all": figures.against_all,
            "void": protocol.void, "violations": protocol.violations}  # fmt: skip


def _candidate_names(session: Session, election: Election, rules: Rules) -> dict[int, dict[str, str]]:
    rows = session.scalars(select(Candidacy).where(Candidacy.election_id == election.id))
    return {c.id: {"full_name": c.person.full_name, "association": c.association.name_on(local_date(c.nominated_at, rules))}
            for c in rows}  # fmt: skip


def refunds(db: Database, election_id: str) -> list[dict[str, Any]]:
    """D5: whose election contribution is refunded, and how much (on the grounds D5.refund_on names:
    the winner, a share of the first round's valid votes of at least D5.refund_vote_share_percent, a
    candidate who died)."""
    with db.reading() as session:
        election = election_row(session, election_id)
        rules = of_election(election)
        if not rules.has("D5"):
            return []  # no contribution is paid, so none is refunded
        paid = {candidacy: amount for candidacy, amount in session.execute(
            select(Contribution.candidacy_id, Contribution.amount).join(Candidacy)
            .where(Candidacy.election_id == election.id)
        )}  # fmt: skip
        deceased = list(session.scalars(
            select(Candidacy.id).where(Candidacy.election_id == election.id, Candidacy.state == "deceased")
        ))  # fmt: skip
        first = session.scalar(select(ElectionResult).where(ElectionResult.election_id == election.id, ElectionResult.round == 1))
        counted = _first_round_tally(session, election) if first is not None else None
        names = _candidate_names(session, election, rules)
        # An election declared void elected no one: its "winner" is refunded only on a share of the votes.
        voided = session.scalar(select(ElectionDecision.id).where(ElectionDecision.election_id == election.id,
                                                                  ElectionDecision.kind == "declare_void"))  # fmt: skip
        elected = None if voided is not None else _winner(session, election.id)
        listed = tally.refunds(paid, tally=counted, elected=elected, deceased=deceased,
                               share_percent=as_decimal(rules.D5.refund_vote_share_percent),
                               refund_on=rules.D5.refund_on)  # fmt: skip
        return [{"candidacy_id": r.candidacy_id, **names.get(r.candidacy_id, {}), "amount": r.amount,
                 "reasons": list(r.reasons)} for r in listed]  # fmt: skip


def show_election(db: Database, election_id: str, *, at: dt.datetime | None = None) -> dict[str, Any]:
    """What an officer sees on an election after the vote: phase, version, what may be decided, the protocols
    still missing, the deadlines, the decisions."""
    at = at or now()
    with db.reading() as session:
        election = election_row(session, election_id)
        phase = machines.current_phase(election, calendar_of(election), at)
        round_ = ROUND_COUNTING.get(phase)
        return {
            "election": election.id,
            "title": election.title,
            "phase": phase,
            "version": election.version,
            "allowed": machines.election_triggers_in(phase),
            "counting_round": round_,
            "missing_units": missing_units(session, election.id, round_) if round_ is not None else [],
            "second_round_day": election.second_round_day.isoformat() if election.second_round_day else None,
            "deadlines": [deadline_view(d) for d in deadlines.pending_for(session, "election", election.id)],
        }


__all__ = [
    "ElectionOutcome",
    "ballot",
    "electing_round",
    "fix_ballot",
    "missing_units",
    "perform_election",
    "perform_election_in",
    "protocols",
    "refunds",
    "results",
    "show_election",
    "submit_protocol",
]
