"""The public pages: elections, an election's calendar and published list, candidacy status pages, results.

Each view reads one of :mod:`registrar.public`'s read models and renders it; what the public
may see is decided there (rule G2), not here. The list and the results are also served as CSV
and JSON, the calendar as iCalendar, for the press and for calendar applications.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from markupsafe import Markup

from registrar import public
from registrar.errors import NotFound
from registrar.names import InLanguages
from web import charts, database
from web.api.schemas import ResultsSchema
from web.cache import cached
from web.words import MILESTONES, ROUNDS, count, format_day, share_text

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
def candidates(election_id: str) -> ResponseReturnValue:
    # A search is answered fresh: each reader's words would only push the list itself out of the cache.
    q = request.args.get("q", "")[:200].strip()
    return _list_page(election_id, q) if q else _whole_list(election_id=election_id)


def _list_page(election_id: str, q: str = "") -> str:
    view = public.election(database(), election_id)
    every = public.published_list(database(), election_id)
    listed = [item for item in every if public.matches(item.candidate, q)] if q else every
    return render_template("public/candidates.html", view=view, q=q, listed=listed, total=len(every))


@cached
def _whole_list(election_id: str) -> str:
    return _list_page(election_id)


@bp.get("/elections/<election_id>/appeals")
@cached
def appeals(election_id: str) -> str:
    view = public.election(database(), election_id)
    return render_template("public/appeals.html", view=view, appeals=public.election_appeals(database(), election_id))


@bp.get("/elections/<election_id>/candidates.json")
@cached
def candidates_json(election_id: str) -> Response:
    listed = public.published_list(database(), election_id)
    return jsonify({"election": election_id, "candidates": [public.as_json(item.candidate) for item in listed]})


@bp.get("/elections/<election_id>/candidates.csv")
@cached
def candidates_csv(election_id: str) -> Response:
    columns, listed = public.published_columns(database(), election_id), public.published_list(database(), election_id)
    rows = [columns, *([getattr(item.candidate, name) for name in columns] for item in listed)]
    return spreadsheet(rows, f"{election_id}-candidates.csv")


@bp.get("/candidacies/<int:candidacy_id>")
@cached
def candidacy(candidacy_id: int) -> str:
    return render_template("public/candidacy.html", status=public.candidacy_status(database(), candidacy_id),
                           appeals=public.appeal_history(database(), candidacy_id))  # fmt: skip


@bp.get("/elections/<election_id>/results")
@cached
def results(election_id: str) -> str:
    view = public.results(database(), election_id)
    return render_template("public/results.html", results=view, charts={r.round: round_chart(view, r) for r in view.rounds})


@bp.get("/elections/<election_id>/results.json")
@cached
def results_json(election_id: str) -> Response:
    return jsonify(ResultsSchema().dump(public.results(database(), election_id)))


@bp.get("/elections/<election_id>/results.csv")
@cached
def results_csv(election_id: str) -> Response:
    return spreadsheet(results_rows(public.results(database(), election_id)), f"{election_id}-results.csv")


# A cell a spreadsheet program would read as a formula (OWASP's CSV injection): kept as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet(rows: Iterable[Iterable[Any]], filename: str) -> Response:
    """RFC 4180 CSV that a spreadsheet opens as typed: a UTF-8 BOM so that it reads Cyrillic, and no
    text cell that begins like a formula (it gets a leading apostrophe, as spreadsheets write one)."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out, lineterminator="\r\n").writerows([_as_text(cell) for cell in row] for row in rows)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def _as_text(cell: Any) -> Any:
    return f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


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
    if round_.status == "scheduled" or (round_.protocols.received == 0 and not round_.national):
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
    if round_.national:
        description = _(
            "Votes for each candidate and against all, as a share of the %(valid)s valid votes: the CEC's "
            "national figures, as the public record gives them.",
            valid=count(round_.totals.valid),
        )
    else:
        description = _("Votes for each candidate and against all, as a share of the %(valid)s valid votes; "
                        "%(received)d of %(expected)d protocols counted.", valid=count(round_.totals.valid),
                        received=round_.protocols.received, expected=round_.protocols.expected)  # fmt: skip
    return charts.bar_chart(bars, title=title, description=description, id_prefix=f"chart-round-{round_.round}")


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
    title = _in_reader_language(view.election.title)
    feed.add("x-wr-calname", title)
    feed.add("x-wr-timezone", view.zone)
    seen: dict[str, int] = {}
    for milestone in view.timeline.milestones:
        # A decision may be taken twice (a refusal, annulled by the court, then taken again): each its own event.
        seen[milestone.name] = seen.get(milestone.name, 0) + 1
        repeat = f".{seen[milestone.name]}" if seen[milestone.name] > 1 else ""
        event = Event()
        event.add("uid", f"{view.election.id}.{milestone.name}{repeat}@registrar")
        event.add("summary", f"{title}: {MILESTONES.get(milestone.name, milestone.name)}")
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


def _in_reader_language(name: str) -> str:
    # A calendar application shows the feed's words as they are: the title goes in the reader's language.
    return name.in_(str(get_locale())) if isinstance(name, InLanguages) else name


@bp.errorhandler(NotFound)
def not_found(error: NotFound) -> tuple[str, int]:
    return render_template("public/404.html", message=str(error)), 404
