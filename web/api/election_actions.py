"""The API of what an officer does on an election's calendar and figures, and on an association's
name (V1, N7, D4, N1), and what an election requires of a candidacy (D1, D4, D5).

Each change calls the same registrar action as the officer's form and the CLI. These actions
lock the election's row and take no version: a milestone or a voter count is the CEC's to set at
any time before the vote, not a decision taken on what the reader saw, so there is no If-Match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from marshmallow import Schema

from registrar import actions, public, requirements, schemas
from web import auth, database
from web.api.schemas import AssociationLineSchema, ElectionSchema, read_model
from web.api.views import TOKEN, _errors, authorise, blp, effective_at, payload

RequirementsSchema = read_model(requirements.ElectionRequirements)


def _body(schema: type[Schema]) -> dict[str, Any]:
    # As views._body, with the schema itself: the OpenAPI plugin adds it to the components under
    # the same name (registrar's name less "Schema"), so web/api/__init__.py's BODIES need not list it.
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _election(election_id: str, change: Callable[[], object]) -> tuple[Any, int, dict[str, str]]:
    # The change, answered with the election as the public reads it (its calendar now), built in
    # the change's own transaction: an answer that cannot be built undoes the change.
    view = actions.answered(database(), change, lambda session: public.election_in(session, election_id))
    return view, 200, {"Location": url_for("api.election", election_id=election_id)}


# The election's own actions, each declared once: its path, its schema, what it does in the law's words.
ELECTION_ACTIONS: dict[str, tuple[str, type[Schema], str]] = {
    "set_milestone": ("milestones", schemas.ResolutionSchema,
                      "V1: a CEC resolution sets one milestone of the calendar (refused if the calendar would no longer hold)."),
    "extend_nomination": ("nomination-extension", schemas.ExtendNominationSchema,
                          "N7: fewer than two candidates registered at the close of registration; nomination reopens."),
    "record_voter_count": ("voter-count", schemas.VoterCountSchema,
                           "D4: the number of registered voters on the reference date, of which the signatures are a share."),
}  # fmt: skip


def _election_action(name: str, path: str, schema: type[Schema], says: str) -> None:
    def act(election_id: str) -> Any:
        authorise(name)
        body, at = payload(), effective_at()
        change = getattr(actions, name)
        return _election(election_id, lambda: change(database(), election_id, body, actor=auth.actor(), at=at))

    act.__name__, act.__doc__ = name, says
    view = _errors(400, 401, 403, 404, 422)(act)
    view = blp.response(200, ElectionSchema)(view)
    view = blp.doc(**_body(schema), security=TOKEN)(view)
    blp.route(f"/elections/<election_id>/{path}", methods=["POST"], endpoint=name)(view)


for _name, (_path, _schema, _says) in ELECTION_ACTIONS.items():
    _election_action(_name, _path, _schema, _says)


@blp.route("/elections/<election_id>/requirements", methods=["GET"])
@blp.response(200, RequirementsSchema)
@_errors(404)
def election_requirements(election_id: str) -> Any:
    """D1, D4, D5: what the election requires of a candidacy: the signatures and their regions, the
    contribution due, the date the declarations value assets as of; each with its rule id."""
    return requirements.of(database(), election_id)


@blp.route("/associations/<int:association_id>/names", methods=["POST"])
@blp.doc(**_body(schemas.RenameSchema), security=TOKEN)
@blp.response(201, AssociationLineSchema)
@_errors(400, 401, 403, 404, 422)
def rename_association(association_id: int) -> Any:
    """N1: the association's new name from the day it took effect; the old one stays on what was decided under it."""
    authorise("rename_association")
    body, at = payload(), effective_at()
    rename = lambda: actions.rename_association(database(), association_id, body, actor=auth.actor(), at=at)  # noqa: E731
    return actions.answered(database(), rename, lambda session: public.association_in(session, association_id)), 201
