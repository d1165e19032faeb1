"""The officers' dashboard: their duties (registrar.duties) with the filters an officer narrows
them by, and taking a duty ("mine") or giving it back, so two officers of one role do not work one.

A territorial commission's officer (an account tied to a unit) sees its unit's part of the duties
owed unit by unit, its commission's protocol of each round, and nothing of the other units':
whatever scope it asks for, its queue is its unit's, and there is nothing to take."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import icalendar
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta, get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

import web
from registrar import accounts, actions, duties, officer_views, roles, states
from registrar.db import Database
from registrar.errors import NotAllowed, NotFound
from web import words
from web.auth import current_account, roles_required
from web.words import DEADLINE_NAMES, STATE_NAMES, deadline_moment, moment, unit_name

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
        found = duties.duties_in(session, role=account.role, now=at, unit=unit, **chosen,
                                 due_by=at + horizon if horizon is not None else None, limit=limit)  # fmt: skip
    return [_unit_row(d, at) for d in found]


def dashboard() -> str:
    """The dashboard of the officer logged in: the duties the filters choose, the candidacies waiting
    for the role, the elections after the vote (``web.officer.dashboard`` serves it)."""
    account = current_account()
    role, login = (account.role, account.login) if account else ("public", None)
    db, at = web.database(), actions.now()
    kinds, rules = officer_views.deadline_kinds(role), officer_views.duty_rules(role)
    chosen = {
        "scope": _chosen("scope", officer_views.SCOPES) or "role",
        "kind": _chosen("kind", kinds),
        "rule": _chosen("rule", rules),
        "state": _chosen("state", (*states.STATES, *states.PHASES)),
        "status": _chosen("status", duties.STATUSES[:2]),
        "due": _chosen("due", HORIZONS) or "3d",
        "election": request.args.get("election") or None,  # an election unknown has no duties: none are listed
    }
    status: duties.Status | None = "overdue" if chosen["status"] == "overdue" else "due" if chosen["status"] == "due" else None
    unit = _unit_part(account)
    read = officer_views.dashboard(db, role, at=at, horizon=HORIZONS[chosen["due"] or "3d"], scope=chosen["scope"] or "role",
                                   login=login, kind=chosen["kind"], election=chosen["election"], rule=chosen["rule"],
                                   state=chosen["state"], status=status, unit=unit)  # fmt: skip
    elections = read["elections"]
    language = str(get_locale())
    titles = {e["id"]: e["title"].in_(language) for e in elections}
    found = read["deadlines"] if unit is None else [_unit_row(d, at) for d in read["deadlines"]]
    return render_template(
        "officer/dashboard.html", deadlines=_duty_rows(found, titles, login, language), chosen=chosen, login=login,
        candidacies=_waiting_rows(read["candidacies"], titles, language), voted=read["voted"], elections=elections,
        coming=read["coming"], kinds=_kind_options(tuple(kinds), language), rules=rules,
        states=_state_options(language), titles=titles, unit=unit,
    )  # fmt: skip


# The filters' choices in words: the catalogues are the package's, the same for every page in a language.
@functools.lru_cache(maxsize=64)
def _kind_options(kinds: tuple[str, ...], language: str) -> list[tuple[str, str]]:
    return [(kind, DEADLINE_NAMES.get(kind, kind)) for kind in kinds]  # in the language of the request, as ``language`` names


@functools.lru_cache(maxsize=8)
def _state_options(language: str) -> list[tuple[str, str]]:
    label = words.words()["state_label"]
    return [(state, label(state)) for state in states.STATES]


def _unit_row(d: duties.Duty, at: dt.datetime) -> dict[str, Any]:
    """A territorial officer's part of a duty, as a row of the dashboard and the feed."""
    return {
        "id": d.deadline_id, "kind": d.kind, "rule": d.rule, "subject_type": d.subject_type, "subject_id": d.subject_id,
        "subject": _("Protocol of %(unit)s, round %(round)s", unit=unit_name(d.unit or ""), round=d.round),
        "election": d.election_id, "where": d.where, "due_at": d.due_at, "due_local": d.due_local,
        "computed_from": d.computed_from, "remaining": d.due_at - at, "status": d.status, "overdue": d.status == "overdue",
        "late_by": d.late_by, "taken_by": None, "unit": d.unit, "round": d.round,
    }  # fmt: skip


# --- The rows as the page writes them ---------------------------------------------------------------
# A page lists up to a hundred duties and a hundred candidacies. Written in the template, each row
# asked url_for, the catalogues and Babel for its words anew, nine tenths of the page's time; here
# each word is asked once a page (a state's name, an election's title), a link is built from its
# address's pattern, and a moment is written once per process (the same instant reads the same).


class _Waiting(NamedTuple):
    url: str
    person: str
    state: str
    state_name: str
    since: str
    election: str


class _Duty(NamedTuple):
    row: dict[str, Any]
    name: str
    subject_url: str
    subject_words: str
    subject_note: str
    due: str
    remaining: str
    take_url: str | None


@functools.lru_cache(maxsize=16384)
def _moment(value: dt.datetime, language: str) -> str:
    return moment(value)  # in the language of the request, which ``language`` names


@functools.lru_cache(maxsize=16384)
def _deadline_moment(value: dt.datetime, language: str) -> str:
    return deadline_moment(value)


def _link(endpoint: str, argument: str) -> Callable[[int], str]:
    """``url_for(endpoint, argument=id)`` for a record id, the address around the id built once."""
    marker = 2**31 - 1  # a record id's greatest (web.RecordId): it stands alone in the address
    values: dict[str, Any] = {argument: marker}
    before, _sep, after = url_for(endpoint, **values).partition(str(marker))
    return lambda record: f"{before}{record}{after}"


def _waiting_rows(found: list[dict[str, Any]], titles: dict[str, str], language: str) -> list[_Waiting]:
    link = _link("officer.candidacy", "candidacy_id")
    names = {state: STATE_NAMES.get(state, state) for state in {c["state"] for c in found}}
    return [_Waiting(link(c["id"]), c["person"], c["state"], names[c["state"]], _moment(c["state_since"], language),
                     titles.get(c["election"], c["election"])) for c in found]  # fmt: skip


def _duty_rows(found: list[dict[str, Any]], titles: dict[str, str], login: str | None, language: str) -> list[_Duty]:
    if not found:
        return []
    candidacy = _link("officer.candidacy", "candidacy_id")
    take, release = _link("duties.take", "deadline_id"), _link("duties.release", "deadline_id")
    kinds = {d["kind"]: DEADLINE_NAMES.get(d["kind"], d["kind"]) for d in found}
    label = words.words()  # the page's own state_label and phase_label
    labels = {(kind, name): label["state_label" if kind == "candidacy" else "phase_label"](name)
              for kind, name in {(d["subject_type"], d["where"]) for d in found if d["where"]}}  # fmt: skip
    rows = []
    for d in found:
        if d.get("unit"):
            url = (url_for("officer.new_protocol", election_id=d["subject_id"]) if d["status"] != "done"
                   else url_for("officer.protocol", election_id=d["subject_id"], round_=d["round"], unit=d["unit"]))  # fmt: skip
            subject, note = d["subject"], titles.get(d["subject_id"], d["subject_id"])
        elif d["subject_type"] == "candidacy":
            url, subject = candidacy(int(d["subject_id"])), d["subject"]
            note = labels[("candidacy", d["where"])] if d["where"] else ""
        else:
            url, subject = url_for("officer.election", election_id=d["subject_id"]), titles.get(d["subject_id"], d["subject"])
            note = labels[(d["subject_type"], d["where"])] if d["where"] else ""
        if d["overdue"]:
            remaining = _("late by %(time)s", time=format_timedelta(d["late_by"]))
        else:
            remaining = format_timedelta(d["remaining"], add_direction=True)
        taken = None if d.get("unit") or (d["taken_by"] and d["taken_by"] != login) else \
            (release if d["taken_by"] else take)(d["id"])  # fmt: skip
        rows.append(_Duty(d, kinds[d["kind"]], url, subject, note, _deadline_moment(d["due_at"], language), remaining, taken))
    return rows


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
