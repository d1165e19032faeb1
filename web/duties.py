"""The officers' dashboard: their duties (registrar.duties) with the filters an officer narrows
them by, and taking a duty ("mine") or giving it back, so two officers of one role do not work one.

A territorial commission's officer (an account tied to a unit) sees its unit's part of the duties
owed unit by unit, its commission's protocol of each round, and nothing of the other units':
whatever scope it asks for, its queue is its unit's, and there is nothing to take."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

import web
from registrar import accounts, actions, duties, officer_views, roles, states
from registrar.db import Database
from registrar.errors import NotAllowed, NotFound
from web.auth import current_account, roles_required
from web.words import DEADLINE_NAMES, unit_name

bp = Blueprint("duties", __name__, url_prefix="/officer/duties")

# How far ahead the due duties are listed (the overdue are listed however late).
HORIZONS: dict[str, dt.timedelta | None] = {"3d": officer_views.SOON, "14d": dt.timedelta(days=14), "all": None}


def _chosen(name: str, allowed: Any) -> str | None:
    value = request.args.get(name) or None
    return value if value is None or value in allowed else None


def _unit_part(account: accounts.Account | None) -> str | None:
    """The unit whose part of the duties is the account's queue: a territorial commission's officer's
    ("" when its account names none: a queue of nothing), None for every other officer."""
    if account is None or account.role not in roles.UNIT_ROLES:
        return None
    return account.unit or ""


def unit_duties(db: Database, account: accounts.Account, *, at: dt.datetime, horizon: dt.timedelta | None,
                limit: int = officer_views.LIMIT, **chosen: Any) -> list[dict[str, Any]]:  # fmt: skip
    """A territorial officer's queue, as :func:`officer_views.duties_of` gives the others theirs: its
    unit's part of each duty owed unit by unit, the overdue however late, the due within ``horizon``."""
    unit = account.unit or ""
    with db.reading() as session:
        found = [d for d in duties.duties_in(session, role=account.role, now=at, unit=unit, **chosen)
                 if horizon is None or d.status == "overdue" or d.due_at <= at + horizon][:limit]  # fmt: skip
    return [
        {"id": d.deadline_id, "kind": d.kind, "rule": d.rule, "subject_type": d.subject_type, "subject_id": d.subject_id,
         "subject": _("Protocol of %(unit)s, round %(round)s", unit=unit_name(unit), round=d.round),
         "election": d.election_id, "where": d.where, "due_at": d.due_at, "due_local": d.due_local,
         "computed_from": d.computed_from, "remaining": d.due_at - at, "status": d.status, "overdue": d.status == "overdue",
         "late_by": d.late_by, "taken_by": None, "unit": d.unit, "round": d.round}
        for d in found
    ]  # fmt: skip


def dashboard() -> str:
    """The dashboard of the officer logged in: the duties the filters choose, the candidacies waiting
    for the role, the elections after the vote (``web.officer.dashboard`` serves it)."""
    account = current_account()
    role, login = (account.role, account.login) if account else ("public", None)
    db, at = web.database(), actions.now()
    elections = officer_views.elections(db)
    chosen = {
        "scope": _chosen("scope", officer_views.SCOPES) or "role",
        "kind": _chosen("kind", officer_views.deadline_kinds(role)),
        "rule": _chosen("rule", officer_views.duty_rules(role)),
        "state": _chosen("state", (*states.STATES, *states.PHASES)),
        "status": _chosen("status", duties.STATUSES[:2]),
        "due": _chosen("due", HORIZONS) or "3d",
        "election": request.args.get("election") or None,  # an election unknown has no duties: none are listed
    }
    status: duties.Status | None = "overdue" if chosen["status"] == "overdue" else "due" if chosen["status"] == "due" else None
    if account is not None and _unit_part(account) is not None:
        found = unit_duties(db, account, at=at, horizon=HORIZONS[chosen["due"] or "3d"], kind=chosen["kind"],
                            election_id=chosen["election"], rule=chosen["rule"],
                            where=(chosen["state"],) if chosen["state"] else (), status=status)  # fmt: skip
    else:
        found = officer_views.duties_of(db, role, at=at, kind=chosen["kind"], election=chosen["election"],
                                        horizon=HORIZONS[chosen["due"] or "3d"], scope=chosen["scope"] or "role",
                                        login=login, rule=chosen["rule"], state=chosen["state"], status=status)  # fmt: skip
    return render_template(
        "officer/dashboard.html", deadlines=found, chosen=chosen, login=login,
        candidacies=officer_views.candidacies_for(db, role, election=chosen["election"]),
        voted=officer_views.elections_after_vote(db, at=at), elections=elections,
        coming=officer_views.coming_up(db, at=at, election=chosen["election"], horizon=HORIZONS[chosen["due"] or "3d"]),
        kinds=officer_views.deadline_kinds(role), rules=officer_views.duty_rules(role),
        states=states.STATES, titles={e["id"]: e["title"] for e in elections}, unit=_unit_part(account),
    )  # fmt: skip


def _back() -> BaseResponse:
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/officer") and "//" not in target else url_for("officer.dashboard"))


@bp.post("/<int:deadline_id>/take")
@roles_required(*roles.ACCOUNT_ROLES)
def take(deadline_id: int) -> BaseResponse:
    account = current_account()
    assert account is not None
    try:
        duties.take(web.database(), deadline_id, login=account.login, role=account.role, now=actions.now())
    except NotFound:
        flash(_("This deadline no longer exists."), "error")
    except duties.TakenByAnother as err:
        flash(_("%(login)s has already taken this duty.", login=err.login) if err.login
              else _("Another officer has just taken this duty."), "error")  # fmt: skip
    except NotAllowed:
        flash(_("This duty is not your role's."), "error")
    else:
        flash(_("The duty is yours: the others of your role see that you have taken it."), "success")
    return _back()


@bp.post("/<int:deadline_id>/release")
@roles_required(*roles.ACCOUNT_ROLES)
def release(deadline_id: int) -> BaseResponse:
    account = current_account()
    assert account is not None
    duties.release(web.database(), deadline_id, login=account.login)
    flash(_("You have given the duty back."), "success")
    return _back()


def feed(account: accounts.Account) -> Response:
    """The officer's duties, and what the law does by itself at its time, as an iCalendar feed."""
    db, at = web.database(), actions.now()
    if _unit_part(account) is not None:
        events = unit_duties(db, account, at=at, horizon=None, limit=1000)
    else:
        events = officer_views.duties_of(db, account.role, at=at, horizon=None, limit=1000)
    events += officer_views.coming_up(db, at=at, horizon=None, limit=1000)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Registrar//officer deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Registrar: my deadlines"))
    for row in events:
        event = icalendar.Event()
        event.add("uid", f"deadline-{row['id']}@registrar")
        event.add("dtstamp", at)
        event.add("dtstart", row["due_at"])
        event.add("dtend", row["due_at"] + dt.timedelta(minutes=30))
        event.add("summary", f"{DEADLINE_NAMES.get(row['kind'], row['kind'])} ({row['rule']}): {row['subject']}")
        if "computed_from" in row:
            event.add("description", row["computed_from"])
        calendar.add_component(event)
    return Response(calendar.to_ical(), mimetype="text/calendar")
