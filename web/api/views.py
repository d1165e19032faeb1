"""The API's endpoints: read, or call the one registrar action that does the change.

Reads are public unless they show an official's file; every change needs a token whose
account's role may take the action (registrar.roles), and a change to a candidacy or a
decision on an election needs the version it was read at, in If-Match (optimistic locking: a
stale version is a 409, never a silent overwrite).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask import abort, g, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema

from registrar import actions, audit, importing, machines, public, results, roles, schemas
from registrar.errors import InvalidPayload, RegistrarError
from registrar.machines import ELECTION_STEPS, ELECTION_TRIGGERS, TRIGGERS
from registrar.reasons import said
from web import auth, database
from web.api import errors
from web.api.schemas import (
    ApiErrorSchema,
    AppealLineSchema,
    AssociationLineSchema,
    CandidacyLineSchema,
    CandidacySchema,
    DeadlineSchema,
    DeadlinesQuerySchema,
    ElectionOfficialSchema,
    ElectionOutcomeSchema,
    ElectionSchema,
    ElectionSummarySchema,
    ImportedSchema,
    OutcomeSchema,
    ProtocolsQuerySchema,
    ProtocolViewSchema,
    PublicAppealSchema,
    PublishedListSchema,
    RefundLineSchema,
    ResultsSchema,
)

blp = Blueprint("api", __name__, description="Elections, candidacies and their actions")
blp.register_error_handler(RegistrarError, errors.registrar_error)

TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]
OFFICIALS = roles.ACCOUNT_ROLES


def _body(schema: type[Schema] | dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI requestBody made from registrar's own schema (validated by the action, not here)."""
    spec = schema if isinstance(schema, dict) else {"$ref": f"#/components/schemas/{_name(schema)}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": spec}}}}


def _action_doc(subject: str, triggers: Iterable[str], bodies: Iterable[type[Schema]]) -> dict[str, Any]:
    """The OpenAPI of a change taken by trigger on a versioned record: its bodies, If-Match and the trigger."""
    return {
        **_body({"anyOf": [{"$ref": f"#/components/schemas/{_name(s)}"} for s in dict.fromkeys(bodies)]}),
        "security": TOKEN,
        "parameters": [{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
                        "description": f"the {subject}'s version, as its ETag gave it"},
                       {"in": "path", "name": "trigger", "required": True,
                        "schema": {"type": "string", "enum": list(triggers)}}],
    }  # fmt: skip


# registrar's schemas that are request bodies; registered as components of the OpenAPI document.
BODIES: tuple[type[Schema], ...] = tuple(
    dict.fromkeys([schemas.AnnounceElectionSchema, schemas.NominateSchema, schemas.AssociationSchema,
                   *machines.TRIGGER_SCHEMAS.values(), schemas.ProtocolSchema, schemas.ProtocolCorrectionSchema,
                   *machines.ELECTION_SCHEMAS.values()])
)  # fmt: skip
# The decisions on an election the API takes: every election trigger a person decides; the one
# the deadline sweep fires on its own (the appeal window's close) is not an endpoint.
DECISIONS = tuple(t for t in ELECTION_TRIGGERS if any(s.trigger == t and s.by != "system" for s in ELECTION_STEPS))


def _name(schema: type[Schema]) -> str:
    return schema.__name__.removesuffix("Schema") or schema.__name__


def _errors(*statuses: int) -> Any:
    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=ApiErrorSchema, description=errors.HTTP_CODES.get(status, "error"))(view)
        return view

    return decorate


def payload() -> dict[str, Any]:
    """The JSON body (an empty body is an empty object: some actions take nothing), without its
    ``effective_at`` (:func:`effective_at`); malformed JSON is a 400."""
    if not request.get_data():
        return {}
    data = request.get_json(force=True, silent=True)
    if data is None:
        abort(errors.json_error(400, "malformed", "the body is not valid JSON"))
    if not isinstance(data, dict):  # a list or a number is no payload, even for a step that takes none
        raise InvalidPayload({"_schema": [said("not_an_object")]})
    return {key: value for key, value in data.items() if key != EFFECTIVE_AT}


EFFECTIVE_AT = "effective_at"


@blp.before_request
def _strictly() -> None:
    # Another system's body names only fields its schema declares: one misspelled, or one this
    # version does not take, is refused at its name rather than dropped unseen.
    g.api_contexts = contextlib.ExitStack()
    g.api_contexts.enter_context(schemas.strictly())


@blp.teardown_request
def _done(_error: BaseException | None) -> None:
    contexts = g.pop("api_contexts", None)
    if contexts is not None:
        contexts.close()


def effective_at() -> dt.datetime | None:
    """The moment the change took legal effect, from the body's ``effective_at`` (None: now).

    Only a role that may date actions (roles.toml: date_actions, another system loading a past
    election) sends one; the change is then judged by the law and the calendar as of that moment,
    and its audit event keeps the moment it was recorded beside it."""
    data = request.get_json(force=True, silent=True) if request.get_data() else None
    given = data.get(EFFECTIVE_AT) if isinstance(data, dict) else None
    if given is None:
        return None
    account = auth.current_account()
    if account is None or not roles.may(account.role, "date_actions"):
        raise InvalidPayload({EFFECTIVE_AT: [said("effective_at.not_allowed")]})
    moment = schemas.effective_moment(given, now=actions.now())
    g.api_contexts.enter_context(audit.dated_by_caller())
    return moment


def authorise(action: str) -> None:
    """401 without a login or token, 403 if the role may not take ``action``."""
    auth.require_action(action)


def expected_version(what: str = "candidacy") -> int:
    """The version the client read, from If-Match ("3", W/"3" or 3); without it a change is refused (412)."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        abort(errors.json_error(412, "precondition_required", f"send If-Match with the version you read (the {what}'s ETag)"))
    tag = raw.removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit() and len(tag) <= 9):  # "²" is a digit to str.isdigit, not to int()
        abort(errors.json_error(400, "malformed", f"If-Match must carry the {what}'s version (a number), not {raw!r}"))
    return int(tag)


# --- Elections --------------------------------------------------------------------------------


@blp.route("/elections", methods=["GET"])
@blp.response(200, ElectionSummarySchema(many=True))
def elections() -> Any:
    return public.elections(database())


@blp.route("/elections", methods=["POST"])
@blp.doc(**_body(schemas.AnnounceElectionSchema), security=TOKEN)
@blp.response(201, ElectionSchema)
@_errors(400, 401, 403, 422)
def announce_election() -> Any:
    authorise("announce_election")
    view = actions.announce_shown(database(), payload(), public.election_in, actor=auth.actor(), at=effective_at())
    return view, 201, {"Location": url_for("api.election", election_id=view.election.id)}


@blp.route("/elections/<election_id>", methods=["GET"])
@blp.response(200, ElectionOfficialSchema)
@_errors(404)
def election(election_id: str) -> Any:
    """The election and its calendar; an official also gets its version (as the ETag) and the decisions
    the phase and the official's role allow now."""
    view = public.election(database(), election_id)
    account = auth.current_account()
    if account is None:
        return view
    shown = results.show_election(database(), election_id)
    allowed = [trigger for trigger in shown["allowed"] if roles.may(account.role, trigger)]
    # Every field of the public view (shallow: marshmallow dumps the parts), and the official's own.
    official = {field.name: getattr(view, field.name) for field in dataclasses.fields(view)}
    official |= {"version": shown["version"], "allowed": allowed}
    return official, 200, {"ETag": f'"{shown["version"]}"'}


@blp.route("/elections/<election_id>/candidates", methods=["GET"])
@blp.response(200, PublishedListSchema)
@_errors(404)
def candidates(election_id: str) -> Any:
    """G2: the published list of registered candidates."""
    listed = public.published_list(database(), election_id)
    return {"election": election_id, "candidates": [item.candidate for item in listed]}


@blp.route("/elections/<election_id>/candidacies", methods=["GET"])
@blp.response(200, CandidacyLineSchema(many=True))
@_errors(404)
def candidacies(election_id: str) -> Any:
    return public.candidacies(database(), election_id)


@blp.route("/elections/<election_id>/candidacies", methods=["POST"])
@blp.doc(**_body(schemas.NominateSchema), security=TOKEN)
@blp.response(201, OutcomeSchema)
@_errors(400, 401, 403, 404, 422)
def nominate(election_id: str) -> Any:
    authorise("nominate")
    outcome = actions.nominate(database(), election_id, payload(), actor=auth.actor(), at=effective_at())
    return outcome.as_dict(), 201, _tag(outcome.candidacy_id, outcome.version)


# --- Election day and after (V3-V7, D5) -------------------------------------------------------


@blp.route("/elections/<election_id>/protocols", methods=["GET"])
@blp.arguments(ProtocolsQuerySchema, location="query", as_kwargs=True)
@blp.response(200, ProtocolViewSchema(many=True))
@_errors(404)
def protocols(election_id: str, history: bool = False, **query: Any) -> Any:
    """V3: the protocols in force (with ``history``, every version); the public reads the figures, an
    official also the chair and a correction's reason."""
    if auth.current_account() is None:
        return public.protocols(database(), election_id, query.get("round"), history=history)
    return results.protocols(database(), election_id, query.get("round"), history=history)


@blp.route("/elections/<election_id>/protocols", methods=["POST"])
@blp.doc(**_body(schemas.ProtocolSchema), security=TOKEN)
@blp.response(201, ProtocolViewSchema)
@_errors(400, 401, 403, 404, 409, 422)
def submit_protocol(election_id: str) -> Any:
    """V3: a territorial commission's protocol reaches the CEC (while its round is counted)."""
    authorise("submit_protocol")
    view = results.submit_protocol(
        database(), election_id, payload(), actor=auth.actor(), acting_for=auth.acting_unit(), at=effective_at()
    )
    return view, 201, {"Location": url_for("api.protocols", election_id=election_id, round=view["round"])}


@blp.route("/elections/<election_id>/protocols/<unit>/corrections", methods=["POST"])
@blp.doc(**_body(schemas.ProtocolCorrectionSchema), security=TOKEN)
@blp.response(201, ProtocolViewSchema)
@_errors(400, 401, 403, 404, 409, 422)
def correct_protocol(election_id: str, unit: str) -> Any:
    """V3: a corrected protocol, a new version with its reason (the unit is the path's, whatever the body says)."""
    authorise("correct_protocol")
    view = results.submit_protocol(database(), election_id, payload() | {"unit": unit}, actor=auth.actor(), correction=True,
                                   acting_for=auth.acting_unit(), at=effective_at())  # fmt: skip
    return view, 201, {"Location": url_for("api.protocols", election_id=election_id, round=view["round"], history="true")}


@blp.route("/elections/<election_id>/results", methods=["GET"])
@blp.response(200, ResultsSchema)
@_errors(404)
def election_results(election_id: str) -> Any:
    """V4-V7: each round's totals, shares, units and outcome, the President-elect, the decisions."""
    return public.results(database(), election_id)


@blp.route("/elections/<election_id>/decisions/<trigger>", methods=["POST"])
@blp.doc(**_action_doc("election", DECISIONS, [machines.ELECTION_SCHEMAS[t] for t in DECISIONS]))
@blp.response(200, ElectionOutcomeSchema)
@_errors(400, 401, 403, 404, 409, 412, 422)
def decide(election_id: str, trigger: str) -> Any:
    """V4-V7: a decision of the CEC or the Supreme Court on the election."""
    if auth.current_account() is None:
        authorise(trigger)  # 401, whatever the trigger
    if trigger not in DECISIONS:
        abort(errors.json_error(404, "not_found", f"{trigger!r} is not a decision on an election"))
    authorise(trigger)
    version = expected_version("election")
    outcome = results.perform_election(database(), election_id, trigger, payload(), actor=auth.actor(),
                                       expected_version=version, at=effective_at())  # fmt: skip
    return outcome.as_dict(), 200, {"ETag": f'"{outcome.version}"', "Location": url_for("api.election", election_id=election_id)}


@blp.route("/elections/<election_id>/refunds", methods=["GET"])
@auth.roles_required(*OFFICIALS)
@blp.doc(security=TOKEN)
@blp.response(200, RefundLineSchema(many=True))
@_errors(401, 403, 404)
def refunds(election_id: str) -> Any:
    """D5: whose election contribution is refunded, how much and why (officials)."""
    return results.refunds(database(), election_id)


# --- Candidacies ------------------------------------------------------------------------------


def _tag(candidacy_id: int, version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"', "Location": url_for("api.candidacy", candidacy_id=candidacy_id)}


@blp.route("/candidacies/<int:candidacy_id>", methods=["GET"])
@blp.response(200, CandidacySchema)
@_errors(404)
def candidacy(candidacy_id: int) -> Any:
    """An official gets the file, with the actions both the machine and the official's role allow now
    and an ETag carrying the version; the public gets the public status."""
    account = auth.current_account()
    if account is None:
        return public.as_json(public.candidacy_status(database(), candidacy_id))
    shown = actions.show_candidacy(database(), candidacy_id)
    shown["allowed"] = [trigger for trigger in shown["allowed"] if roles.may(account.role, trigger)]
    return shown, 200, {"ETag": f'"{shown["version"]}"'}


@blp.route("/candidacies/<int:candidacy_id>/actions/<trigger>", methods=["POST"])
@blp.doc(**_action_doc("candidacy", TRIGGERS, list(machines.TRIGGER_SCHEMAS.values())))
@blp.response(200, OutcomeSchema)
@_errors(400, 401, 403, 404, 409, 412, 422)
def act(candidacy_id: int, trigger: str) -> Any:
    if auth.current_account() is None:
        authorise(trigger)  # 401, whatever the trigger
    if trigger not in TRIGGERS:
        abort(errors.json_error(404, "not_found", f"{trigger!r} is not an action on a candidacy"))
    authorise(trigger)
    version = expected_version()
    outcome = actions.perform(
        database(), candidacy_id, trigger, payload(), actor=auth.actor(), expected_version=version, at=effective_at()
    )
    return outcome.as_dict(), 200, _tag(candidacy_id, outcome.version)


# --- A past election, loaded whole (issue 14) ----------------------------------------------------


@blp.route("/imports", methods=["POST"])
@blp.doc(**_body({"type": "object", "description": "an import document: docs/import.md"}), security=TOKEN)
@blp.response(201, ImportedSchema)
@_errors(400, 401, 403, 422)
def import_election() -> Any:
    """A past election as it happened, every action at the moment it took effect: all of it, or
    nothing and every refusal with its rule ids (``import_refused``)."""
    authorise("date_actions")
    try:
        loaded = importing.load(database(), payload(), actor=auth.actor())
    except importing.ImportRefused as refused:
        rows = [dataclasses.asdict(refusal) for refusal in refused.refusals]
        return errors.json_error(422, "import_refused", str(refused), refusals=rows)
    return dataclasses.asdict(loaded), 201, {"Location": url_for("api.election", election_id=loaded.election_id)}


# --- Deadlines, appeals, associations -----------------------------------------------------------


@blp.route("/deadlines", methods=["GET"])
@auth.roles_required(*OFFICIALS)
@blp.arguments(DeadlinesQuerySchema, location="query", as_kwargs=True)
@blp.doc(security=TOKEN)
@blp.response(200, DeadlineSchema(many=True))
@_errors(401, 403)
def deadlines(**query: Any) -> Any:
    """Pending deadlines, soonest first (officials)."""
    return public.pending_deadlines(database(), **query)


@blp.route("/appeals", methods=["GET"])
@auth.roles_required(*OFFICIALS)
@blp.doc(security=TOKEN)
@blp.response(200, AppealLineSchema(many=True))
@_errors(401, 403)
def appeals() -> Any:
    """G6: every appeal, with the end of the court's G6.court_review_days while it runs (officials)."""
    return public.appeals(database())


@blp.route("/elections/<election_id>/appeals", methods=["GET"])
@blp.response(200, PublicAppealSchema(many=True))
@_errors(404)
def election_appeals(election_id: str) -> Any:
    """G6, V7: the election's appeals to the Supreme Court as the public reads them: filed when, status, judgment."""
    return public.election_appeals(database(), election_id)


@blp.route("/associations", methods=["GET"])
@blp.response(200, AssociationLineSchema(many=True))
def associations() -> Any:
    return public.associations(database())


@blp.route("/associations", methods=["POST"])
@blp.doc(**_body(schemas.AssociationSchema), security=TOKEN)
@blp.response(201, AssociationLineSchema)
@_errors(400, 401, 403, 422)
def register_association() -> Any:
    authorise("register_association")
    return actions.register_association_shown(
        database(), payload(), public.association_in, actor=auth.actor(), at=effective_at()
    ), 201
