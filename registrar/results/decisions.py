"""The decisions on the election after the vote: its results (V4), the second round (V5), a
re-run (V6) and the President-elect (V7).

The election's path after the vote is the table :data:`registrar.machines.ELECTION_STEPS`;
:func:`perform_election` is its one way in, as :func:`registrar.actions.perform` is the
candidacy's::

    validate the payload  ->  lock the election, check the expected version
    ->  compute what the protocols decide (registrar.tally)  ->  fire the trigger (conditions)
    ->  write the decision and its records  ->  the deadlines follow the new phase
    ->  audit event  ->  outbox  ->  commit
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registrar import audit, deadlines, machines, metrics, schemas, tally
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
from registrar.models import Appeal, Candidacy, Election, ElectionDecision, ElectionResult, OutboxMessage, Protocol
from registrar.reasons import said
from registrar.results.count import (
    NATIONAL,
    ROUND_COUNTING,
    ballot,
    current_protocols,
    missing_units,
    national_figures,
    out_of_race,
    round_tally,
)
from registrar.rules import Rules, as_decimal
from registrar.rules_in_force import of_election


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


# --- Decisions on the election (V4-V7) ----------------------------------------------------------


def perform_election(
    db: Database, election_id: str, trigger: str, payload: dict[str, Any] | None = None, *, actor: str,
    expected_version: int | None = None, at: dt.datetime | None = None,
) -> ElectionOutcome:  # fmt: skip
    """Take one decision on the election, in one transaction; see the module docstring for the order."""
    at = at or now()
    version = select(Election.version).where(Election.id == election_id)
    with metrics.counted(trigger), one_action(db, version, expected_version) as session:
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
    data = schemas.load(machines.ELECTION_SCHEMAS[trigger], payload or {}, rules)
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
    winner = winner_of(session, ctx.election.id)
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


def winner_of(session: Session, election_id: str) -> int | None:
    """The candidacy the latest established round elected; None where it elected no one (or none is established)."""
    result = _latest_result(session, election_id)
    return result.winner_id if result is not None and result.outcome == "elected" else None


# What each decision computes before its conditions are checked.


def _count(ctx: ElectionContext) -> None:
    """V4/V5: what the protocols in force decide."""
    round_ = _round_of(ctx.phase)
    on_ballot = ballot(ctx.session, ctx.election, round_)
    received = current_protocols(ctx.session, ctx.election.id, round_)
    national = national_figures(ctx.data.get(NATIONAL))
    if national is not None:
        # A past election's results as its public record gives them: the CEC's national figures,
        # its territorial protocols not being in the record. They stand alone, and add up (V3).
        _national_errors(national, received, on_ballot, ctx.rules)
        ctx.missing_units = ()
    else:
        ctx.missing_units = tuple(missing_units(ctx.session, ctx.election.id, round_))
    counted = round_tally(received, on_ballot, ctx.rules, national)
    if round_ == 1:
        needed = as_decimal(ctx.rules.V4.majority_percent)
        ctx.verdict = tally.first_round(counted, percent_needed=needed, out_of_race=out_of_race(ctx.session, on_ballot))
    else:
        ctx.verdict = tally.second_round(counted)
    ctx.counted = counted


def _national_errors(national: tally.Figures, received: list[Protocol], on_ballot: list[int], rules: Rules) -> None:
    if received:
        raise InvalidPayload({NATIONAL: [said("national.protocols_received", count=len(received))]})
    errors = tally.protocol_errors(national, ballot=on_ballot, against_all_on_ballot=bool(rules.V4.against_all_on_ballot))
    if errors:
        raise InvalidPayload({f"{NATIONAL}.{key}": messages for key, messages in errors.items()})


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
    winner = winner_of(ctx.session, ctx.election.id)
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
        )
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
            tally=counted.as_dict() | ({NATIONAL: audit.jsonable(ctx.data[NATIONAL])} if ctx.data.get(NATIONAL) else {}),
            reason=verdict.reason,
            number=ctx.data["number"],
            decided_on=ctx.data["decided_on"],
            established_at=ctx.at,
        )
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
    winner = winner_of(ctx.session, ctx.election.id)
    _decision(ctx, candidacy_id=winner)
    return {"president": winner}


def _refuse_president(ctx: ElectionContext) -> dict[str, Any]:
    share, winner = ctx.violated, winner_of(ctx.session, ctx.election.id)
    details = {"president": winner, "violated_share": f"{share.numerator}/{share.denominator}"}
    _decision(ctx, candidacy_id=winner, details=details)
    return details


def _appeal_president(ctx: ElectionContext) -> dict[str, Any]:
    winner = winner_of(ctx.session, ctx.election.id)
    if winner is None:  # the machine only lets a refusal of an elected candidate be appealed
        raise NotAllowed("appeal_president_refusal", ctx.phase)
    ctx.session.add(Appeal(candidacy_id=winner, against="president_refused", case_number=ctx.data["case_number"],
                           filed_at=ctx.at))  # fmt: skip
    return {"president": winner}


def _court(outcome: str) -> Callable[[ElectionContext], dict[str, Any]]:
    def record(ctx: ElectionContext) -> dict[str, Any]:
        winner = winner_of(ctx.session, ctx.election.id)
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
    named = {key: data[key] for key in ("title", "titles") if data.get(key) is not None}  # as entered, or in each language
    announcement = named | {"id": data["id"], "kind": ctx.election.kind,
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
                                                       f"at {ctx.local(ctx.at):%Y-%m-%d %H:%M %z}")  # fmt: skip

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
