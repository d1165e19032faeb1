"""The public pages: elections, an election's calendar and published list, candidacy status pages, results.

Each view reads one of :mod:`registrar.public`'s read models and renders it; what the public
may see is decided there (rule G2), not here. The list and the results are also served as CSV
and JSON, the calendar as iCalendar, for the press and for calendar applications.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, jsonify, render_template
from flask_babel import format_date, format_decimal, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event
from markupsafe import Markup

from registrar import public
from registrar.errors import NotFound
from web import charts, database
from web.cache import cached

bp = Blueprint("public", __name__)


@bp.get("/")
@cached
def elections() -> str:
    return render_template("public/elections.html", elections=public.elections(database()))


@bp.get("/elections/<election_id>")
@cached
def election(election_id: str) -> str:
    view = public.election(database(), election_id)
    return render_template("public/election.html", view=view, listed=public.published_list(database(), election_id))


@bp.get("/elections/<election_id>/candidates")
@cached
def candidates(election_id: str) -> str:
    view = public.election(database(), election_id)
    return render_template("public/candidates.html", view=view, listed=public.published_list(database(), election_id))


@bp.get("/elections/<election_id>/candidates.json")
@cached
def candidates_json(election_id: str) -> Response:
    listed = public.published_list(database(), election_id)
    return jsonify({"election": election_id, "candidates": [public.as_json(item.candidate) for item in listed]})


@bp.get("/elections/<election_id>/candidates.csv")
@cached
def candidates_csv(election_id: str) -> Response:
    columns, listed = public.published_columns(database(), election_id), public.published_list(database(), election_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(columns)
    writer.writerows([getattr(item.candidate, name) for name in columns] for item in listed)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{election_id}-candidates.csv"'})  # fmt: skip


@bp.get("/candidacies/<int:candidacy_id>")
@cached
def candidacy(candidacy_id: int) -> str:
    return render_template("public/candidacy.html", status=public.candidacy_status(database(), candidacy_id))


@bp.get("/elections/<election_id>/results")
@cached
def results(election_id: str) -> str:
    view = public.results(database(), election_id)
    return render_template("public/results.html", results=view, charts={r.round: round_chart(view, r) for r in view.rounds})


@bp.get("/elections/<election_id>/results.json")
@cached
def results_json(election_id: str) -> Response:
    return jsonify(public.as_json(public.results(database(), election_id)))


@bp.get("/elections/<election_id>/results.csv")
@cached
def results_csv(election_id: str) -> Response:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(results_rows(public.results(database(), election_id)))
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{election_id}-results.csv"'})  # fmt: skip


NATIONAL = ("national", "Republic of Kazakhstan")


def results_rows(view: public.Results) -> list[list[Any]]:
    """The results as rows: per round, the national total, then one row per unit (its protocol in force).

    A column per candidate of any round (votes and percent of the valid votes), empty where the
    candidate was not on that round's ballot; percentages are text with two decimals.
    """
    candidates: dict[int, str] = {}
    for round_ in view.rounds:
        for c in round_.candidates:
            candidates.setdefault(c.candidacy_id, c.full_name)
    header: list[Any] = ["round", "voting_day", "status", "unit", "unit_name", "protocol_version", "voters_on_list",
                         "ballots_cast", "invalid_ballots", "valid", "turnout_percent"]  # fmt: skip
    for candidacy_id, name in candidates.items():
        header += [f"{name} ({candidacy_id}) votes", f"{name} ({candidacy_id}) percent"]
    header += ["against_all votes", "against_all percent", "void", "violations"]
    rows = [header]
    for round_ in view.rounds:
        if round_.status == "scheduled":
            continue
        lead = [round_.round, round_.voting_day.isoformat(), round_.status]
        totals = round_.totals
        national = [*lead, *NATIONAL, "", totals.voters_on_list, totals.ballots_cast, totals.invalid_ballots, totals.valid,
                           totals.turnout_percent]  # fmt: skip
        shares = {c.candidacy_id: c for c in round_.candidates}
        for candidacy_id in candidates:
            share = shares.get(candidacy_id)
            national += [share.votes, share.percent] if share else ["", ""]
        against = round_.against_all
        national += [against.votes, against.percent] if against else ["", ""]
        rows.append([*national, "", ""])
        for unit in round_.units:
            row = [*lead, unit.code, unit.name, unit.version, unit.voters_on_list, unit.ballots_cast, unit.invalid_ballots,
                          unit.valid, unit.turnout_percent]  # fmt: skip
            for candidacy_id in candidates:
                key = str(candidacy_id)
                row += [unit.votes[key], unit.percents[key]] if key in unit.votes else ["", ""]
            row += [unit.against_all, unit.against_all_percent] if unit.against_all is not None else ["", ""]
            rows.append([*row, str(unit.void).lower(), str(unit.violations).lower()])
    return rows


def round_chart(view: public.Results, round_: public.RoundResult) -> Markup | None:
    """The round's shares as a bar chart (the elected or the two leaders marked); none before any protocol."""
    if round_.status == "scheduled" or round_.protocols.received == 0:
        return None
    marked = set()
    if round_.outcome is not None:
        marked = {round_.outcome.winner} if round_.outcome.winner is not None else set(round_.outcome.leaders)
    bars = [charts.Bar(c.full_name, c.percent, share_text(c.percent, c.votes),
                       "highlight" if c.candidacy_id in marked else "candidate") for c in round_.candidates]  # fmt: skip
    if round_.against_all is not None:
        bars.append(charts.Bar(str(_("Against all")), round_.against_all.percent,
                               share_text(round_.against_all.percent, round_.against_all.votes), "against_all"))  # fmt: skip
    title = _("%(round)s, %(day)s: shares of the valid votes", round=ROUNDS.get(round_.round, str(round_.round)),
              day=format_day(round_.voting_day))  # fmt: skip
    description = _("Votes for each candidate and against all, as a share of the %(valid)s valid votes; "
                    "%(received)d of %(expected)d protocols counted.", valid=count(round_.totals.valid),
                    received=round_.protocols.received, expected=round_.protocols.expected)  # fmt: skip
    return charts.bar_chart(bars, title=title, description=description, id_prefix=f"chart-round-{round_.round}")


def count(value: int) -> str:
    """A count as the reader's language groups its digits (12 100 000, 12,100,000)."""
    return str(format_number(value))


def percent(value: str) -> str:
    """An exact percentage ("51.23") as the reader's language writes it (51,23%), from its text, never a float."""
    return f"{format_decimal(Decimal(value), format='#,##0.00')}%"


def share_text(value: str, votes: int) -> str:
    return _("%(percent)s, %(votes)s votes", percent=percent(value), votes=count(votes))


def format_day(day: Any) -> str:
    return str(format_date(day))


@bp.get("/elections/<election_id>/calendar.ics")
def calendar_ics(election_id: str) -> Response:
    view = public.election(database(), election_id)
    return Response(ics(view).to_ical(), mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{election_id}.ics"'})  # fmt: skip


def ics(view: public.ElectionView) -> Calendar:
    """The election's calendar as iCalendar: one event per milestone (instants in UTC, days as all-day events)."""
    feed = Calendar()
    feed.add("prodid", "-//Registrar//election calendar//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", view.election.title)
    feed.add("x-wr-timezone", view.zone)
    seen: dict[str, int] = {}
    for milestone in view.timeline.milestones:
        # A decision may be taken twice (a refusal, annulled by the court, then taken again): each its own event.
        seen[milestone.name] = seen.get(milestone.name, 0) + 1
        repeat = f".{seen[milestone.name]}" if seen[milestone.name] > 1 else ""
        event = Event()
        event.add("uid", f"{view.election.id}.{milestone.name}{repeat}@registrar")
        event.add("summary", f"{view.election.title}: {MILESTONES.get(milestone.name, milestone.name)}")
        event.add("dtstart", milestone.local.date() if milestone.is_date else milestone.at)
        event.add("dtstamp", view.timeline.now)
        description = _("Rule %(rule)s", rule=milestone.rule)
        if milestone.resolution and milestone.kind == "decision":
            description += ". " + _("Decision No. %(number)s", number=milestone.resolution)
        elif milestone.resolution:
            description += ". " + _("Set by CEC resolution %(number)s", number=milestone.resolution)
        event.add("description", description)
        feed.add_component(event)
    return feed


@bp.errorhandler(NotFound)
def not_found(error: NotFound) -> tuple[str, int]:
    return render_template("public/404.html", message=str(error)), 404


# --- Words for the pages --------------------------------------------------------------------
# The machine's names (states, triggers, milestones) in words people read; any template may
# use them (registered for the whole app below), the officer's pages too.

MILESTONES = {
    "announced_on": _l("Election announced"),
    "declarations_as_of": _l("Assets in the declarations valued as of"),
    "nomination_opens": _l("Nomination opens"),
    "nomination_closes": _l("Nomination closes"),
    "registration_opens": _l("Registration opens"),
    "registration_closes": _l("Registration closes"),
    "voting_opens": _l("Voting opens"),
    "voting_closes": _l("Voting closes"),
    # After the vote: the deadlines (V3-V7) ...
    "protocols_due": _l("Protocols of the territorial commissions due"),
    "results_due": _l("Results due from the CEC"),
    "second_round_due": _l("Latest day for the second round"),
    "second_round_voting_opens": _l("Second round: voting opens"),
    "second_round_voting_closes": _l("Second round: voting closes"),
    "second_round_protocols_due": _l("Second round: protocols due"),
    "second_round_results_due": _l("Second round: results due from the CEC"),
    "president_registration_due": _l("Registration of the President-elect due"),
    "president_appeal_window": _l("Appeal against the refusal to register the President-elect may be filed until"),
    "president_court_review": _l("The Supreme Court decides the appeal by"),
    "rerun_due": _l("Latest day for the re-run"),
    # ... and the decisions taken.
    "results_established": _l("Results established by the CEC"),
    "second_round_results_established": _l("Second round: results established by the CEC"),
    "second_round_called": _l("Second round called by the CEC"),
    "declared_void": _l("Election declared void by the CEC"),
    "president_registered": _l("President registered by the CEC"),
    "president_refused": _l("The CEC refused to register the President-elect"),
    "president_appeal_filed": _l("Appeal against the refusal filed with the Supreme Court"),
    "president_appeal_upheld": _l("The Supreme Court annulled the refusal"),
    "president_appeal_dismissed": _l("The Supreme Court dismissed the appeal: the refusal is final"),
    "president_refusal_final": _l("No appeal within the time allowed: the refusal is final"),
    "rerun_called": _l("Re-run called by the CEC"),
}
PHASES = {
    "announced": _l("Announced"),
    "nomination": _l("Nomination"),
    "registration": _l("Registration"),
    "campaign": _l("Campaign"),
    "voting": _l("Voting"),
    "counting": _l("Counting"),
    "elected": _l("President-elect named"),
    "second_round_due": _l("Second round to be called"),
    "second_round": _l("Second round campaign"),
    "second_round_voting": _l("Second round voting"),
    "second_round_counting": _l("Second round counting"),
    "president_registered": _l("President registered"),
    "president_refused": _l("Registration of the President-elect refused"),
    "president_appealed": _l("Refusal appealed to the Supreme Court"),
    "void": _l("Election declared void"),
    "no_winner": _l("No winner"),
    "refusal_final": _l("Refusal final"),
    "rerun_called": _l("Re-run called"),
}
STATES = {
    "nominated": _l("Nominated"),
    "declarations_filed": _l("Declarations filed"),
    "medical_check": _l("Medical examination"),
    "documents_submitted": _l("Documents submitted"),
    "registered": _l("Registered"),
    "refused": _l("Registration refused"),
    "registration_cancelled": _l("Registration cancelled"),
    "appealed": _l("Appealed to the Supreme Court"),
    "withdrawn": _l("Withdrawn"),
    "revoked": _l("Nomination revoked"),
    "refused_final": _l("Refusal final"),
    "cancelled_final": _l("Cancellation final"),
    "deceased": _l("Deceased"),
}
ACTIONS = {
    "nominate": _l("Nominated by a national public association"),
    "file_declarations": _l("Declarations of assets and liabilities filed"),
    "start_medical_check": _l("Referred for the medical examination"),
    "submit_documents": _l("Registration documents submitted"),
    "register": _l("Registered by the Central Election Commission"),
    "refuse": _l("Registration refused by the Central Election Commission"),
    "refuse_incomplete": _l("Registration refused: documents incomplete when registration closed"),
    "cancel_registration": _l("Registration cancelled by the Central Election Commission"),
    "appeal": _l("Appeal filed with the Supreme Court"),
    "uphold_appeal": _l("Appeal upheld by the Supreme Court"),
    "dismiss_appeal": _l("Appeal dismissed by the Supreme Court"),
    "close_appeal_window": _l("No appeal within the time allowed: the decision is final"),
    "withdraw": _l("The candidate withdrew"),
    "revoke_nomination": _l("The association revoked the nomination"),
    "record_death": _l("The candidate's death was recorded"),
}
BY = {
    "clerk": _l("CEC staff"),
    "commission": _l("Central Election Commission"),
    "court": _l("Supreme Court"),
    "revenue": _l("State revenue authorities"),
    "candidate": _l("The candidate"),
    "association": _l("The nominating association"),
    "system": _l("By law, when the time ran out"),
}
FIELDS = {
    "full_name": _l("Full name"),
    "birth_year": _l("Year of birth"),
    "position": _l("Position"),
    "place_of_work": _l("Place of work"),
    "place_of_residence": _l("Place of residence"),
}

# The grounds of a refusal or cancellation (G3, G4, G5), by their rules-file names.
GROUNDS = {
    "nomination_rules_broken": _l("the nomination procedure was violated"),
    "documents_missing": _l("required documents were not submitted"),
    "requirements_not_met": _l("the candidate does not meet the requirements of the law"),
    "false_declaration": _l("false information in the declarations"),
    "campaign_before_registration": _l("campaigning before registration"),
    "official_position_used": _l("use of an official position"),
}


# After the vote: rounds, what a round's status and outcome are, the decisions on the election.
ROUNDS = {1: _l("First round"), 2: _l("Second round")}
ROUND_STATUSES = {
    "scheduled": _l("The vote has not closed yet"),
    "counting": _l("Counting: the CEC has not established the results yet"),
    "established": _l("Results established"),
    "void": _l("The election was declared void"),
}
OUTCOMES = {
    "elected": _l("Elected"),
    "second_round": _l("A second round between the two leaders"),
    "no_winner": _l("No winner"),
    "undecided": _l("Undecided"),
    "void": _l("Void"),
}
DECISIONS = {
    "establish_results": _l("Results established"),
    "call_second_round": _l("Second round called"),
    "declare_void": _l("Election declared void"),
    "register_president": _l("President registered"),
    "refuse_president": _l("Registration of the President-elect refused"),
    "uphold_president_appeal": _l("Refusal annulled by the Supreme Court"),
    "dismiss_president_appeal": _l("Appeal dismissed by the Supreme Court"),
    "call_rerun": _l("Re-run called"),
}
BODIES = {"CEC": _l("Central Election Commission"), "Supreme Court": _l("Supreme Court")}
PRESIDENT_STATUSES = {
    "elected": _l("President-elect"),
    "registered": _l("President, registered by the CEC"),
    "refused": _l("President-elect: registration refused"),
    "appealed": _l("President-elect: the refusal is before the Supreme Court"),
}


def _label(table: dict[str, Any]) -> Any:
    return lambda name: table.get(name, (name or "").replace("_", " "))


@bp.app_context_processor
def words() -> dict[str, Any]:
    return {
        "milestone_label": _label(MILESTONES),
        "phase_label": _label(PHASES),
        "state_label": _label(STATES),
        "action_label": _label(ACTIONS),
        "by_label": _label(BY),
        "field_label": _label(FIELDS),
        "ground_label": _label(GROUNDS),
        "round_label": lambda number: ROUNDS.get(number, str(number)),
        "round_status_label": _label(ROUND_STATUSES),
        "outcome_label": _label(OUTCOMES),
        "decision_label": _label(DECISIONS),
        "body_label": _label(BODIES),
        "president_label": _label(PRESIDENT_STATUSES),
        "has_results": public.has_results,
    }


@bp.app_template_filter("number")
def _number(value: int) -> str:
    return count(value)


@bp.app_template_filter("percent")
def _percent(value: str) -> str:
    return percent(value)
