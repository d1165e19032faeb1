"""What is read of an election after the vote: its results (V4-V7), the refunds of election
contributions (D5), and what an officer sees of the election.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registrar import deadlines, machines, tally, territory
from registrar.actions import calendar_of, deadline_view, election_row, now
from registrar.calendar import local_date
from registrar.db import Database
from registrar.errors import NotAllowed
from registrar.models import Candidacy, Contribution, Election, ElectionDecision, ElectionResult, Protocol
from registrar.results.count import (
    ROUND_COUNTING,
    ballot,
    current_protocols,
    established_national,
    figures_of,
    first_round_tally,
    missing_units,
    national_figures,
    round_tally,
)
from registrar.results.decisions import winner_of
from registrar.rules import Rules, as_decimal
from registrar.rules_in_force import of_election


def results(db: Database, election_id: str, *, at: dt.datetime | None = None) -> dict[str, Any]:
    """The results of an election as the public may read them (G2: names, associations, figures; no signatures)."""
    at = at or now()
    with db.reading() as session:
        election = election_row(session, election_id)
        rules = of_election(election)
        calendar = calendar_of(election)
        phase = machines.current_phase(election, calendar, at)
        units = territory.of_election(election)
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
            stated = established_national(session, election.id, round_)  # the CEC's figures an archive's result stood on
            national = national_figures(stated)
            counted = round_tally(in_force, on_ballot, rules, national)
            established = session.scalar(
                select(ElectionResult).where(ElectionResult.election_id == election.id, ElectionResult.round == round_)
            )
            rounds.append({
                "round": round_,
                "voting_day": day.isoformat(),
                "status": "established" if established is not None else "counting",
                "protocols": {"received": len(in_force), "expected": len(units.units)},
                # The CEC's national figures alone: a past election whose protocols are not in the public record.
                "national": national is not None and not in_force,
                "totals": _totals(counted) | _not_in_the_record(stated),
                "candidates": [{"candidacy_id": s.candidacy_id, **names.get(s.candidacy_id or 0, {}), "votes": s.votes,
                                "percent": tally.percent_text(s.percent)} for s in counted.candidates],
                "against_all": ({"votes": counted.against_all.votes, "percent": tally.percent_text(counted.against_all.percent)}
                                if counted.against_all is not None else None),
                "units": [_unit_row(p, units) for p in in_force],
                "outcome": ({"kind": established.outcome, "winner": established.winner_id, "leaders": established.leaders,
                             "reason": established.reason, "number": established.number,
                             "decided_on": established.decided_on.isoformat()} if established is not None else None),
            })  # fmt: skip
        rerun = session.scalar(select(Election.id).where(Election.rerun_of == election.id))
        winner = winner_of(session, election.id)
        decisions = list(session.scalars(select(ElectionDecision).where(ElectionDecision.election_id == election.id)
                                         .order_by(ElectionDecision.id)))  # fmt: skip
        status = _president_status(phase, [d.kind for d in decisions])
        return {
            "election": election.id,
            "title": election.titles,
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


def _not_in_the_record(national: dict[str, Any] | None) -> dict[str, Any]:
    """The national figures a past election's public record does not give: shown as not given (None)."""
    if not national:
        return {}
    return {name: None for name in ("ballots_issued", "invalid_ballots") if national.get(name) is None}


def _totals(counted: tally.Tally) -> dict[str, Any]:
    return {"units": counted.units, "voters_on_list": counted.voters_on_list, "ballots_issued": counted.ballots_issued,
            "ballots_cast": counted.ballots_cast, "invalid_ballots": counted.invalid_ballots, "valid": counted.valid,
            "turnout_percent": tally.percent_text(counted.turnout)}  # fmt: skip


def _unit_row(protocol: Protocol, units: territory.Territory) -> dict[str, Any]:
    unit = units.unit(protocol.unit)
    figures = figures_of(protocol)
    return {"code": unit.code, "name": unit.name, "commission": unit.commission, "version": protocol.version,
            "voters_on_list": figures.voters_on_list, "ballots_cast": figures.ballots_cast,
            "invalid_ballots": figures.invalid_ballots, "valid": figures.valid,
            "turnout_percent": tally.percent_text(tally.percent(figures.ballots_cast, figures.voters_on_list)),
            "votes": {str(k): v for k, v in sorted(figures.votes.items())}, "against_all": figures.against_all,
            "void": protocol.void, "violations": protocol.violations}  # fmt: skip


def _candidate_names(session: Session, election: Election, rules: Rules) -> dict[int, dict[str, str]]:
    # The association's name as it was when it nominated, in each language (registrar.names.InLanguages).
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
        counted = first_round_tally(session, election) if first is not None else None
        names = _candidate_names(session, election, rules)
        # An election declared void elected no one: its "winner" is refunded only on a share of the votes.
        voided = session.scalar(select(ElectionDecision.id).where(ElectionDecision.election_id == election.id,
                                                                  ElectionDecision.kind == "declare_void"))  # fmt: skip
        elected = None if voided is not None else winner_of(session, election.id)
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
            "title": election.titles,
            "phase": phase,
            "version": election.version,
            "allowed": machines.election_triggers_in(phase),
            "counting_round": round_,
            "missing_units": missing_units(session, election.id, round_) if round_ is not None else [],
            "second_round_day": election.second_round_day.isoformat() if election.second_round_day else None,
            "deadlines": [deadline_view(d) for d in deadlines.pending_for(session, "election", election.id)],
        }
