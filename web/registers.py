"""The registers an officer reads across candidacies: the appeals before the Supreme Court (G6, V7),
an election's candidacies in every state, and the search behind the box on every officer page.

The pages read :mod:`registrar.appeals` and :mod:`registrar.finding`; a candidacy's page (web.officer)
shows its appeal history through the ``appeal_history`` template global registered here and the
partial ``officer/_appeal_history.html``. The registers are paged (fifty lines a page), the public
appeals too (``appeals_page``); names are in the order of the reader's alphabet. A search whose
criteria cannot be is answered 400, with the error at its field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l

import web
import web.reasons
from registrar import actions, appeals, finding, roles, states
from registrar.errors import NotFound
from web.auth import roles_required

bp = Blueprint("registers", __name__, url_prefix="/officer")

# Where an appealable decision stands (registrar.appeals.Status), in words.
APPEAL_STATUSES = {
    "window_open": _l("may still be appealed"),
    "window_closed": _l("not appealed: the time allowed has run out"),
    "pending": _l("before the Supreme Court"),
    "upheld": _l("appeal upheld: the decision is annulled"),
    "dismissed": _l("appeal dismissed: the decision stands"),
}
# The decision appealed, by the state it put the candidacy in.
APPEALED = {
    "refused": _l("refusal to register"),
    "registration_cancelled": _l("cancellation of the registration"),
    "president_refused": _l("refusal to register the President-elect"),
}
# A search criterion that cannot be (registrar.finding.PROBLEMS), said at its field.
PROBLEMS = {
    "unknown_state": _l("Choose a state from the list."),
    "unknown_association": _l("Choose an association from the list."),
    "unknown_sort": _l("Choose how to sort from the list."),
    "too_long": _l("Search for at most %(count)d characters.", count=finding.MAX_QUERY),
}
SORTS = {"name": _l("Name"), "nominated": _l("Nomination date")}
# How the appeals register may be read: the most urgent first (the court's overdue reviews on top), or by name.
APPEAL_SORTS = {"urgency": _l("Most urgent first"), "name": _l("By the candidate's name")}


@bp.app_context_processor
def register_words() -> dict[str, Any]:
    return {
        "appeal_status_label": lambda status: APPEAL_STATUSES.get(status, status),
        "appealed_label": lambda against: APPEALED.get(against, against),
        "appeal_history": _appeal_history,
        "appeals_page": lambda lines: appeals.page_of(lines, request.args.get("page")),
    }


def _appeal_history(candidacy_id: int) -> list[appeals.AppealEntry]:
    """A candidacy's appealable decisions and appeals, for the partial officer/_appeal_history.html."""
    try:
        return appeals.history(web.database(), int(candidacy_id), at=actions.now())
    except NotFound:
        return []


def _register(found: list[appeals.AppealEntry], election: finding.ElectionName | None) -> str:
    """A page of the register, in the order asked for (an order not offered is the most urgent first)."""
    sort = request.args.get("sort") if request.args.get("sort") in APPEAL_SORTS else "urgency"
    lines = appeals.by_name(found, web.reasons.language()) if sort == "name" else found
    return render_template("officer/appeals.html", page=appeals.page_of(lines, request.args.get("page")),
                           counts=appeals.counts(found), election=election, now=actions.now(), sort=sort,
                           sorts=APPEAL_SORTS)  # fmt: skip


@bp.get("/appeals", endpoint="appeals")
@roles_required(*roles.ACCOUNT_ROLES)
def appeals_register() -> str:
    return _register(appeals.register(web.database(), at=actions.now()), None)


@bp.get("/elections/<election_id>/appeals")
@roles_required(*roles.ACCOUNT_ROLES)
def election_appeals(election_id: str) -> str:
    try:
        found = appeals.register(web.database(), at=actions.now(), election_id=election_id)
        election = finding.election_title(web.database(), election_id)
    except NotFound:
        abort(404)
    return _register(found, election)


def _problems(problems: dict[str, str]) -> dict[str, list[str]]:
    return {name: [str(PROBLEMS[code])] for name, code in problems.items()}


@bp.get("/elections/<election_id>/candidacies")
@roles_required(*roles.ACCOUNT_ROLES)
def candidacies(election_id: str) -> tuple[str, int]:
    db, language = web.database(), web.reasons.language()
    try:
        election = finding.election_title(db, election_id)
        associations = finding.associations_of(db, election_id, language=language)
        chosen, problems = finding.criteria(request.args, associations=associations)
        page = finding.candidacies(db, election_id, chosen, language=language)
    except NotFound:
        abort(404)
    return render_template("officer/candidacies.html", election=election, page=page, chosen=chosen,
                           errors=_problems(problems), associations=associations, states=states.STATES,
                           sorts=SORTS), 400 if problems else 200  # fmt: skip


@bp.get("/search")
@roles_required(*roles.ACCOUNT_ROLES)
def search() -> tuple[str, int]:
    db = web.database()
    chosen, problems = finding.criteria(request.args)
    return render_template("officer/search.html", page=finding.search(db, chosen, language=web.reasons.language()),
                           chosen=chosen, elections=finding.elections_matching(db, chosen.q),
                           errors=_problems(problems)), 400 if problems else 200  # fmt: skip
