"""The officers' pages: the dashboard, a candidacy as a task list with a page for each step the
machine and the officer's role allow now, the nomination and election forms, an election with its
own steps (V1, N7, D4) and, after the vote, its decisions (V4-V7) as task lists of question pages,
its protocols and refunds, the inbox, the certificate, the deadlines as an iCalendar feed, and the
audit log.

Every question page posts to a view that builds the payload from the form, calls the same
:mod:`registrar.actions` or :mod:`registrar.results` function as the CLI and the API, and on an
error shows the page again with the values typed, a summary at the top (it takes the focus) and
the message beside each field; a decision that cannot be undone passes "check your answers" first.
The role is checked on every GET of a question and every POST (:func:`web.auth.require_action`),
not only by hiding links.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

import web
import web.duties
import web.reasons
from registrar import (
    accounts,
    actions,
    audit,
    election_tasks,
    machines,
    officer_views,
    requirements,
    results,
    roles,
    schemas,
    task_list,
)
from registrar.eligibility import Unmet
from registrar.errors import InvalidPayload, NotAllowed, NotFound, RegistrarError, StaleVersion
from registrar.rules import Rules
from web import questions
from web.auth import current_account, require_action, roles_required
from web.forms import errors_of, label, labels_for, onto, payload_from, values_of
from web.words import (
    DEADLINE_NAMES,
    DOCUMENT_NAMES,
    ELECTION_TITLES,
    GROUNDS,
    OUTCOME_NAMES,
    REFUND_REASONS,
    STATE_NAMES,
    TRIGGER_TITLES,
    event_label,
)

bp = Blueprint("officer", __name__, url_prefix="/officer")

OFFICERS = roles.ACCOUNT_ROLES
Page = str | tuple[str, int] | BaseResponse


@bp.app_template_global()
def choice_label(option: Any, text: str) -> str:
    """A choice in words: a ground of refusal or a document by its name in the reader's language, else as given."""
    named = GROUNDS.get(str(option)) or DOCUMENT_NAMES.get(str(option)) or web.reasons.choice(str(option))
    return str(named) if named is not None else text


@bp.app_template_global()
def date_boxes(values: dict[str, Any], name: str) -> dict[str, str]:
    """A date's three boxes as typed, or split from the ISO date it holds (a correction starts from one)."""
    typed = {part: str(values.get(f"{name}.{part}", "")) for part in questions.DATE_PARTS}
    return typed if any(typed.values()) else questions.date_parts(values.get(name, ""))


# A step on the task list: done, to do (it could succeed now), or not possible yet.
TASK_STATUSES = {task_list.DONE: _l("Done"), task_list.TO_DO: _l("To do"), task_list.CANNOT_START: _l("Cannot start yet")}
VERIFICATIONS = {"pending": _l("not yet verified"), "confirmed": _l("confirmed"), "false": _l("found false")}


@bp.app_context_processor
def _words() -> dict[str, Any]:
    return {"STATE_NAMES": STATE_NAMES, "TRIGGER_TITLES": TRIGGER_TITLES, "DEADLINE_NAMES": DEADLINE_NAMES,
            "DOCUMENT_NAMES": DOCUMENT_NAMES, "ELECTION_TITLES": ELECTION_TITLES, "OUTCOME_NAMES": OUTCOME_NAMES,
            "REFUND_REASONS": REFUND_REASONS, "event_label": event_label, "TASK_STATUSES": TASK_STATUSES,
            "VERIFICATIONS": VERIFICATIONS, "FIELD_LABELS": label}  # fmt: skip


def _role() -> str:
    account = current_account()
    return account.role if account else "public"


def _status(err: RegistrarError) -> int:
    return 409 if isinstance(err, StaleVersion | NotAllowed) else 422


# --- The dashboard -------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*OFFICERS)
def dashboard() -> Page:
    return web.duties.dashboard()


# --- A candidacy: its task list, a page for each step, "check your answers" before a decision -------

# Decisions that cannot be undone by the one who takes them pass a "check your answers" page.
CHECKED_FIRST = frozenset({"register", "refuse", "cancel_registration", "record_death"})
# What the revenue officer and the commission must see on the step's page before they act.
DECLARATIONS_SHOWN, CONDITIONS_SHOWN = frozenset({"record_declaration_verification"}), frozenset({"register"})
# Inputs of a posted form that are not answers.
NOT_ANSWERS = frozenset({"csrf_token", "confirm", "change", "continue"})


@bp.app_template_global()
def reason_of(unmet: Unmet) -> str:
    """An unmet rule's reason in the reader's language (its rule id is shown beside it)."""
    return unmet.said(web.reasons.language())


@bp.get("/candidacies/<int:candidacy_id>")
@roles_required(*OFFICERS)
def candidacy(candidacy_id: int) -> Page:
    try:
        view = actions.show_candidacy(web.database(), candidacy_id)
        records = officer_views.candidacy_records(web.database(), candidacy_id)
        steps = task_list.tasks(web.database(), candidacy_id, roles.triggers_for(_role()))
    except NotFound:
        abort(404)
    return render_template("officer/candidacy.html", view=view, records=records, steps=steps, now=actions.now())


def _version() -> int:
    raw = request.form.get("version", "")
    return (
        int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else -1
    )  # no version: the change cannot be checked, so it is refused as stale


def _step_page(candidacy_id: int, trigger: str, template: str = "officer/steps/step.html", *, status: int = 200,
               values: dict[str, Any] | None = None, errors: dict[str, list[str]] | None = None,
               **context: Any) -> Page:  # fmt: skip
    """A step's own page: its question (or why it cannot start yet), what the decider must see, the answers."""
    db = web.database()
    try:
        view = actions.show_candidacy(db, candidacy_id)
        records = officer_views.candidacy_records(db, candidacy_id)
        unmet = task_list.could_succeed(db, candidacy_id, trigger)
        deciding = task_list.before_deciding(db, candidacy_id, trigger) if trigger in CONDITIONS_SHOWN else None
    except NotFound:
        abort(404)
    fields = questions.action_fields(trigger, records)
    return render_template(template, view=view, records=records, trigger=trigger, fields=fields, labels=labels_for(fields),
                           unmet=unmet, deciding=deciding, show_declarations=trigger in DECLARATIONS_SHOWN,
                           checked_first=trigger in CHECKED_FIRST, values=values or {}, errors=errors or {},
                           **context), status  # fmt: skip


@bp.get("/candidacies/<int:candidacy_id>/actions/<trigger>")
@roles_required(*OFFICERS)
def step(candidacy_id: int, trigger: str) -> Page:
    if trigger not in machines.TRIGGERS:
        abort(404)
    require_action(trigger)
    return _step_page(candidacy_id, trigger)


@bp.post("/candidacies/<int:candidacy_id>/actions/<trigger>")
@roles_required(*OFFICERS)
def act(candidacy_id: int, trigger: str) -> Page:
    """The step's answers: performed, or (a decision) checked and shown for confirmation first."""
    require_action(trigger)
    values = values_of(request.form)
    if "change" in request.form:
        return _step_page(candidacy_id, trigger, values=values, changing=request.form["change"])
    db, bad_dates = web.database(), dict[str, list[str]]()
    try:
        fields = questions.action_fields(trigger, officer_views.candidacy_records(db, candidacy_id))
        form, bad_dates = questions.dates_from(request.form, fields)
        payload = payload_from(form, fields)
        if bad_dates or (trigger in CHECKED_FIRST and "confirm" not in request.form):
            task_list.check(db, candidacy_id, trigger, payload, expected_version=_version())
            if bad_dates:
                raise InvalidPayload(bad_dates)
            answers = [(f, form.getlist(f.name) if f.kind == "checkboxes" else form.get(f.name, "")) for f in fields]
            kept = [(k, v) for k, vs in request.form.lists() if k not in NOT_ANSWERS for v in vs]
            return _step_page(candidacy_id, trigger, "officer/steps/check.html", values=values,
                              answers=[(f, a) for f, a in answers if a], kept=kept)  # fmt: skip
        outcome = actions.perform(db, candidacy_id, trigger, payload, actor=web.auth.actor(), expected_version=_version())
    except NotFound:
        abort(404)
    except RegistrarError as err:
        errors = errors_of(err) | bad_dates  # a date's own problem, not the schema's "missing" for it
        return _step_page(candidacy_id, trigger, status=_status(err), values=values, errors=errors)
    flash(_("Done: %(action)s. The candidacy is now %(state)s.", action=TRIGGER_TITLES[trigger],
            state=STATE_NAMES.get(outcome.state, outcome.state)), "success")  # fmt: skip
    return redirect(url_for(".candidacy", candidacy_id=candidacy_id))


# --- Nomination and elections --------------------------------------------------------------------


def _answered(fields: list[questions.FormField], mappings: tuple[str, ...] = ()) -> dict[str, Any]:
    """The payload the posted form makes, its dates composed from their boxes (a date that cannot
    be one is the field's error, before anything else is asked)."""
    form, bad_dates = questions.dates_from(request.form, fields)
    if bad_dates:
        raise InvalidPayload(bad_dates)
    return payload_from(form, fields, mappings)


def _form_page(template: str, fields: list[questions.FormField], status: int = 200, **context: Any) -> Page:
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return render_template(template, fields=fields, labels=labels_for(fields), **context), status


def _nomination_fields(election_id: str) -> list[questions.FormField]:
    rules, _described = officer_views.election_rules(web.database(), election_id)
    choices = tuple((str(i), name) for i, name in officer_views.associations(web.database(), rules))
    return questions.with_choices(questions.form_fields(schemas.NominateSchema, rules), {"association_id": choices})


@bp.route("/elections/<election_id>/nominate", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def nominate(election_id: str) -> Page:
    require_action("nominate")
    try:
        fields = _nomination_fields(election_id)
        title = officer_views.election_title(web.database(), election_id)
    except NotFound:
        abort(404)
    if request.method == "GET":
        return _form_page("officer/nominate.html", fields, election_id=election_id, title=title)
    try:
        outcome = actions.nominate(web.database(), election_id, _answered(fields), actor=web.auth.actor())
    except NotFound:
        abort(404)
    except RegistrarError as err:
        return _form_page("officer/nominate.html", fields, _status(err), election_id=election_id, title=title,
                          values=values_of(request.form), errors=errors_of(err))  # fmt: skip
    flash(_("The nomination is recorded."), "success")
    return redirect(url_for(".candidacy", candidacy_id=outcome.candidacy_id))


@bp.route("/elections/new", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def new_election() -> Page:
    require_action("announce_election")
    kinds = officer_views.election_kinds()
    rules = officer_views.announcement_rules(request.values.get("kind"))
    fields = questions.with_choices(questions.form_fields(schemas.AnnounceElectionSchema, rules), {"kind": kinds})
    if request.method == "GET":
        # One kind of election installed: it is the kind; with more, the officer says which.
        chosen = request.args.get("kind") or (kinds[0][0] if len(kinds) == 1 else "")
        return _form_page("officer/new_election.html", fields, values={"kind": chosen})
    values = values_of(request.form)
    try:
        payload = _answered(fields)
        if "preview" in request.form:
            preview = actions.preview_calendar(payload)
            return _form_page("officer/new_election.html", fields, values=values, preview=preview)
        election_id = actions.announce_election(web.database(), payload, actor=web.auth.actor())
    except RegistrarError as err:
        return _form_page("officer/new_election.html", fields, _status(err), values=values, errors=errors_of(err))
    flash(_("The election is announced."), "success")
    return redirect(url_for(".election", election_id=election_id))


# The election's own actions: the rule each applies (offered where the election's rules have it),
# the schema of its payload and the registrar function.
ELECTION_ACTIONS: dict[str, tuple[str, type[Any], Callable[..., Any]]] = {
    "set_milestone": ("V1", schemas.ResolutionSchema, actions.set_milestone),
    "extend_nomination": ("N7", schemas.ExtendNominationSchema, actions.extend_nomination),
    "record_voter_count": ("D4", schemas.VoterCountSchema, actions.record_voter_count),
}
ACTION_TITLES = {"set_milestone": _l("Set a milestone by CEC resolution (V1)"), "extend_nomination": _l("Extend nomination (N7)"),
                 "record_voter_count": _l("Record the number of registered voters (D4)")}  # fmt: skip
# Decisions on the election that pass "check your answers" first.
ELECTION_CHECKED_FIRST = frozenset({"establish_results"})


def _election_page(election_id: str) -> Page:
    """The election: its calendar, after the vote its figures, and its steps as task lists (a page each)."""
    db, at = web.database(), actions.now()
    try:
        calendar = officer_views.election_calendar(db, election_id)
        _rules, version = officer_views.election_rules(db, election_id)
        after = officer_views.after_vote(db, election_id, at=at)
        needed = requirements.of(db, election_id, at=at)
        own = election_tasks.actions(db, election_id, [a for a in ELECTION_ACTIONS if web.auth.may(a)], at=at)
        mine = [t for t in machines.ELECTION_TRIGGERS if web.auth.may(t)]
        decisions = election_tasks.decisions(db, election_id, mine, at=at) if after else []
    except NotFound:
        abort(404)
    title = officer_views.election_title(db, election_id)
    return render_template("officer/election.html", election_id=election_id, title=title, calendar=calendar,
                           rules_version=version, tasks=own, after=after, decisions=decisions,
                           ACTION_TITLES=ACTION_TITLES, requirements=needed)  # fmt: skip


@bp.get("/elections/<election_id>")
@roles_required(*OFFICERS)
def election(election_id: str) -> Page:
    return _election_page(election_id)


def _question(election_id: str, name: str, *, status: int = 200, values: dict[str, Any] | None = None,
              errors: dict[str, list[str]] | None = None, **context: Any) -> Page:  # fmt: skip
    """An election's action or decision on a page of its own: its question (or why it cannot start
    yet), what the decider must see, the answers typed and each error beside its input."""
    db, at = web.database(), actions.now()
    try:
        rules, _described = officer_views.election_rules(db, election_id)
        title = officer_views.election_title(db, election_id)
        if name in ELECTION_ACTIONS:
            fields = questions.form_fields(ELECTION_ACTIONS[name][1], rules)
            unmet, after = election_tasks.action_unmet(db, election_id, name, at=at), None
            calendar = officer_views.election_calendar(db, election_id) if name != "record_voter_count" else None
            step_title, post = ACTION_TITLES[name], url_for(".election_act", election_id=election_id, action=name)
        else:
            fields = questions.decision_fields(name, rules)
            unmet, calendar = election_tasks.decision_unmet(db, election_id, name, at=at), None
            after = officer_views.after_vote(db, election_id, at=at)  # the version to send, V7's share of units
            step_title, post = ELECTION_TITLES[name], url_for(".decide", election_id=election_id, trigger=name)
    except NotFound:
        abort(404)
    return render_template("officer/election_step.html", election_id=election_id, title=title, name=name,
                           step_title=step_title, post=post, fields=fields, labels=labels_for(fields), unmet=unmet,
                           after=after, calendar=calendar, checked_first=name in ELECTION_CHECKED_FIRST,
                           values=values or {}, errors=errors or {}, **context), status  # fmt: skip


@bp.get("/elections/<election_id>/actions/<action>/question")
@roles_required(*OFFICERS)
def election_question(election_id: str, action: str) -> Page:
    if action not in ELECTION_ACTIONS:
        abort(404)
    require_action(action)
    return _question(election_id, action)


def _posted(election_id: str, name: str, schema: type[Any], then: Callable[[dict[str, Any], Rules], Page | None],
            done: str) -> Page:  # fmt: skip
    """An election's question page posted: its payload from the inputs of ``schema`` under the
    election's rules, handed to ``then`` (a page it returns is shown instead of the election's); on
    an error the question's page again, with what was typed and each error on its input."""
    require_action(name)
    fields: list[questions.FormField] = []
    try:
        rules, _described = officer_views.election_rules(web.database(), election_id)
        fields = questions.form_fields(schema, rules)
        shown = then(_answered(fields), rules)
    except NotFound:
        abort(404)
    except RegistrarError as err:
        errors = onto(errors_of(err, "election"), fields)
        return _question(election_id, name, status=_status(err), values=values_of(request.form), errors=errors)
    if shown is not None:
        return shown
    flash(done, "success")
    return redirect(url_for(".election", election_id=election_id))


@bp.post("/elections/<election_id>/actions/<action>")
@roles_required(*OFFICERS)
def election_act(election_id: str, action: str) -> Page:
    if action not in ELECTION_ACTIONS:
        abort(404)
    _rule, schema, perform = ELECTION_ACTIONS[action]

    def record(payload: dict[str, Any], _rules: Rules) -> None:
        perform(web.database(), election_id, payload, actor=web.auth.actor())

    return _posted(election_id, action, schema, record, _("Recorded."))


# --- After the vote: the protocols (V3) and the decisions on the election (V4-V7) -------------------


@bp.get("/elections/<election_id>/decisions/<trigger>")
@roles_required(*OFFICERS)
def decision(election_id: str, trigger: str) -> Page:
    if trigger not in ELECTION_TITLES:
        abort(404)
    require_action(trigger)
    return _question(election_id, trigger)


@bp.post("/elections/<election_id>/decisions/<trigger>")
@roles_required(*OFFICERS)
def decide(election_id: str, trigger: str) -> Page:
    if trigger not in ELECTION_TITLES:
        abort(404)
    schema = machines.ELECTION_SCHEMAS[trigger]

    def decided(payload: dict[str, Any], rules: Rules) -> Page | None:
        if trigger == "call_rerun" and "preview" in request.form:
            preview = _rerun_calendar(payload, rules.kind)
            return _question(election_id, trigger, values=values_of(request.form), rerun_preview=preview)
        if trigger in ELECTION_CHECKED_FIRST and "confirm" not in request.form:
            task_list.check_election(web.database(), election_id, trigger, payload, expected_version=_version())
            fields = questions.decision_fields(trigger, rules)
            answers = [(f, a) for f in fields if (a := str(_answered([f]).get(f.name, "")))]
            kept = [(k, v) for k, vs in request.form.lists() if k not in NOT_ANSWERS for v in vs]
            return render_template("officer/steps/election_check.html", election_id=election_id, trigger=trigger,
                                   answers=answers, kept=kept, labels=labels_for(fields))  # fmt: skip
        results.perform_election(web.database(), election_id, trigger, payload, actor=web.auth.actor(),
                                 expected_version=_version())  # fmt: skip
        return None

    if "change" in request.form:
        require_action(trigger)
        return _question(election_id, trigger, values=values_of(request.form), changing=request.form["change"])
    done = _("Done: %(action)s.", action=ELECTION_TITLES[trigger])
    return _posted(election_id, trigger, schema, decided, done)


def _rerun_calendar(payload: dict[str, Any], kind: str) -> Any:
    """V6: the calendar the re-run would have: an election of the same kind, announced on the day of the resolution calling it."""
    announcement: dict[str, Any] = {key: payload[key] for key in ("id", "title", "titles", "election_day", "resolutions")
                                    if key in payload}  # fmt: skip
    announcement |= {"kind": kind, "announced_on": payload.get("decided_on", "")}
    try:
        return actions.preview_calendar(announcement)
    except InvalidPayload as err:
        raise InvalidPayload({("decided_on" if key == "announced_on" else key): v for key, v in err.errors.items()}) from None


# A protocol's figures and marks, in the order its page shows them (the votes after the counts).
PROTOCOL_FIGURES = ("voters_on_list", "ballots_issued", "ballots_cast", "invalid_ballots", "valid", "against_all",
                    "chair", "members_signed", "signed_on", "void", "violations")  # fmt: skip
VALID_BALLOTS = _l("Valid ballots")


def protocol_changes(versions: list[dict[str, Any]]) -> list[list[tuple[str, Any, Any]]]:
    """For each version of a protocol, what changed from the one before it: (what, was, now); none for the first."""
    out: list[list[tuple[str, Any, Any]]] = [[]]
    for before, after in itertools.pairwise(versions):
        changed = [(str(VALID_BALLOTS) if key == "valid" else label(key), before.get(key), after.get(key))
                   for key in PROTOCOL_FIGURES if before.get(key) != after.get(key)]  # fmt: skip
        for cid in dict.fromkeys([*before["votes"], *after["votes"]]):
            if before["votes"].get(cid) != after["votes"].get(cid):
                changed.append((after["names"].get(cid, cid), before["votes"].get(cid), after["votes"].get(cid)))
        out.append(changed)
    return out


def _protocol_labels(form: questions.ProtocolForm) -> dict[str, str]:
    return labels_for(form.fields) | form.candidates


@bp.route("/elections/<election_id>/protocols/new", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def new_protocol(election_id: str) -> Page:
    require_action("submit_protocol")
    acting = web.auth.acting_unit()  # a territorial commission's officer: its own unit's protocol only
    try:
        counting = officer_views.counting(web.database(), election_id, at=actions.now())
    except NotFound:
        abort(404)
    if acting is not None:
        counting = counting | {"missing_units": [(code, name) for code, name in counting["missing_units"] if code == acting]}
    form = questions.protocol_form(counting)
    page = {"election_id": election_id, "form": form, "labels": _protocol_labels(form)}
    if request.method == "GET":
        return render_template("officer/protocol_new.html", values={}, errors={}, **page)
    try:
        saved = results.submit_protocol(web.database(), election_id, _answered(form.fields, questions.VOTES),
                                        actor=web.auth.actor(), acting_for=acting)  # fmt: skip
    except RegistrarError as err:
        errors = onto(errors_of(err), form.fields)
        return render_template("officer/protocol_new.html", values=values_of(request.form), errors=errors, **page), _status(err)
    flash(_("The protocol of %(unit)s is recorded.", unit=saved["unit"]), "success")
    # The clerk enters the protocols one after another as they arrive; after the last, the election.
    following = ".new_protocol" if len(form.units) > 1 else ".election"
    return redirect(url_for(following, election_id=election_id))


@bp.route("/elections/<election_id>/protocols/<int:round_>/<unit>", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def protocol(election_id: str, round_: int, unit: str) -> Page:
    """A unit's protocol of a round, every version; a correction (POST) is a new version with its reason."""
    if request.method == "POST":
        require_action("correct_protocol")
    try:
        versions = officer_views.protocol_versions(web.database(), election_id, round_, unit)
        shown_unit = officer_views.unit_of(web.database(), election_id, unit)
        form = questions.protocol_form(officer_views.counting(web.database(), election_id, at=actions.now()), correction=True)
    except NotFound:
        abort(404)
    page = {"election_id": election_id, "round": round_, "unit": shown_unit, "versions": versions,
            "changes": protocol_changes(versions), "form": form, "labels": _protocol_labels(form)}  # fmt: skip
    if request.method == "GET":
        values = questions.protocol_values(versions[-1]) if versions else {}
        return render_template("officer/protocol.html", values=values, errors={}, **page)
    try:
        if form.round != round_:
            raise NotAllowed("correct_protocol", "", _("Round %(round)s's protocols are not being counted now.", round=round_))
        payload = _answered(form.fields, questions.VOTES) | {"unit": unit}
        results.submit_protocol(web.database(), election_id, payload, actor=web.auth.actor(), correction=True,
                                acting_for=web.auth.acting_unit())  # fmt: skip
    except RegistrarError as err:
        errors = onto(errors_of(err), form.fields)
        return render_template("officer/protocol.html", values=values_of(request.form), errors=errors, **page), _status(err)
    flash(_("The correction is recorded as a new version."), "success")
    return redirect(url_for(".protocol", election_id=election_id, round_=round_, unit=unit))


# --- The audit log --------------------------------------------------------------------------------


@bp.get("/audit")
@roles_required(*OFFICERS)
def audit_log() -> Page:
    require_action("read_audit")
    before = request.args.get("before", type=int)
    with web.database().reading() as session:
        events = officer_views.audit_page(session, before=before)
        verdict = audit.verify(session) if request.args.get("verify") else None
    return render_template("officer/audit.html", events=events, verdict=verdict)


# --- The deadlines in the officer's own calendar -------------------------------------------------


@bp.post("/feed-token")
@roles_required(*OFFICERS)
def feed_token() -> Page:
    account = current_account()
    assert account is not None
    secret = accounts.issue_token(web.database(), account.login, "calendar", scope="feed", actor=web.auth.actor())
    return render_template("officer/feed.html", url=url_for(".deadlines_ics", token=secret, _external=True))


@bp.get("/deadlines.ics")
def deadlines_ics() -> Response:
    # Calendar applications cannot log in: the feed token in the address stands for the account, for this feed only.
    account = accounts.account_for_token(web.database(), request.args.get("token", ""), scope="feed")
    if account is None:
        abort(Response(_("Unknown or revoked calendar token."), 403, mimetype="text/plain"))
    return web.duties.feed(account)
