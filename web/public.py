"""The public pages: elections, an election's calendar and published list, candidacy status pages.

Each view reads one of :mod:`registrar.public`'s read models and renders it; what the public
may see is decided there (rule G2), not here. The list is also served as CSV and JSON, the
calendar as iCalendar, for the press and for calendar applications.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, jsonify, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event

from registrar import public
from registrar.errors import NotFound
from web import database
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
    listed = public.published_list(database(), election_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(public.PUBLISHED_FIELDS)
    writer.writerows([getattr(item.candidate, name) for name in public.PUBLISHED_FIELDS] for item in listed)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{election_id}-candidates.csv"'})  # fmt: skip


@bp.get("/candidacies/<int:candidacy_id>")
@cached
def candidacy(candidacy_id: int) -> str:
    return render_template("public/candidacy.html", status=public.candidacy_status(database(), candidacy_id))


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
    for milestone in view.timeline.milestones:
        event = Event()
        event.add("uid", f"{view.election.id}.{milestone.name}@registrar")
        event.add("summary", f"{view.election.title}: {MILESTONES[milestone.name]}")
        event.add("dtstart", milestone.local.date() if milestone.is_date else milestone.at)
        event.add("dtstamp", view.timeline.now)
        description = _("Rule %(rule)s", rule=milestone.rule)
        if milestone.resolution:
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
}
PHASES = {
    "announced": _l("Announced"),
    "nomination": _l("Nomination"),
    "registration": _l("Registration"),
    "campaign": _l("Campaign"),
    "voting": _l("Voting"),
    "counting": _l("Counting"),
    "results": _l("Results"),
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
    }
