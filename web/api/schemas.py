"""What the API sends back, described for the OpenAPI document.

Request bodies are registrar's own schemas (:mod:`registrar.schemas`), the same every way in
validates with; these describe the wire of the answers. Instants are ISO 8601 with their offset.
Where registrar has the answer as a read model (:mod:`registrar.public`'s dataclasses), its
schema is derived from the dataclass, so the fields are declared once, there; the public JSON
exports dump the same schemas, so they and the API cannot say a read model two ways.
"""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate
from marshmallow_dataclass import class_schema

from registrar import public
from registrar.machines import ELECTION_TRIGGERS, TRIGGERS
from registrar.states import PHASES, STATES


class _ReadModel(Schema):
    # Every instant registrar reads carries its offset (UTC, or the local time of T1), as the wire says.
    TYPE_MAPPING = {**Schema.TYPE_MAPPING, dt.datetime: fields.AwareDateTime}


def read_model(model: type) -> type[Schema]:
    """The schema of one of registrar.public's read models, derived from its dataclass."""
    return class_schema(model, base_schema=_ReadModel)


class ApiErrorSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable: malformed, unauthenticated, forbidden, "
                         "not_found, not_allowed, stale_version, precondition_required, invalid, unmet_conditions"})  # fmt: skip
    message = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "per field: the messages (invalid)"})
    unmet = fields.List(fields.Dict(), metadata={"description": "unmet_conditions: each with its rule id and reason"})
    rules = fields.List(fields.String(), metadata={"description": "unmet_conditions: the rule ids"})
    state = fields.String(metadata={"description": "not_allowed: the candidacy's state"})
    trigger = fields.String(metadata={"description": "not_allowed: the action asked for"})
    current_version = fields.Integer(metadata={"description": "stale_version: the version to reload and send"})
    expected_version = fields.Integer(metadata={"description": "stale_version: the version the request sent"})
    field_errors = fields.Dict(metadata={"description": "invalid: the errors' tree, each message as {message: its id in "
                                                        "the catalogues, params, text}"})  # fmt: skip
    why = fields.Dict(metadata={"description": "not_allowed: why, as {message: its id in the catalogues, params}"})
    refusals = fields.List(fields.Dict(), metadata={"description": "import_refused: each refused action of the document, "
                                                    "with its index, what it did, its key, rule ids and reasons"})  # fmt: skip


class ImportedSchema(Schema):
    election_id = fields.String(required=True)
    actions = fields.Integer(required=True, metadata={"description": "the document's actions, all taken"})
    sha256 = fields.String(required=True, metadata={"description": "the document's SHA-256, kept in the audit"})
    ids = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "each key, the id it was given"})


ElectionSummarySchema = read_model(public.ElectionSummary)
ElectionSchema = read_model(public.ElectionView)


class PublishedCandidateSchema(Schema):
    """G2: exactly what the CEC publishes of a registered candidate: the facts the election kind's
    G2.published_fields names (for the President all of these), and nothing more. One field per
    fact of registrar.public.PUBLISHABLE (tests/registrar/test_law_as_data.py holds them equal)."""

    full_name = fields.String(required=True)
    birth_year = fields.Integer(allow_none=True)  # null: a past election's candidate whose birth date the record does not give
    position = fields.String()
    place_of_work = fields.String()
    place_of_residence = fields.String()


class PublishedListSchema(Schema):
    election = fields.String(required=True)
    candidates = fields.List(fields.Nested(PublishedCandidateSchema), required=True)


CandidacyLineSchema = read_model(public.CandidacyLine)


class OutcomeSchema(Schema):
    candidacy_id = fields.Integer(required=True)
    state = fields.String(required=True)
    previous_state = fields.String(required=True)
    version = fields.Integer(required=True)
    event = fields.Integer(required=True, metadata={"description": "the audit event's number"})
    allowed = fields.List(fields.String(), required=True, metadata={"description": "what the machine allows next"})
    deadlines = fields.List(fields.Dict(), required=True)


class CandidacySchema(Schema):
    """An official sees the file (state, version, allowed actions for the caller, documents, deadlines,
    history); the public sees the public status (state, since when, public decisions)."""

    id = fields.Integer(required=True)
    state = fields.String(required=True, metadata={"enum": list(STATES)})
    version = fields.Integer(metadata={"description": "officials: send it back in If-Match"})
    allowed = fields.List(
        fields.String(metadata={"enum": list(TRIGGERS)}),
        metadata={"description": "officials: what the machine allows now AND the caller's role may do"},
    )
    state_since = fields.String()
    election = fields.String()
    election_id = fields.String()
    election_title = fields.String()
    person = fields.String()
    association = fields.String()
    candidate = fields.Nested(PublishedCandidateSchema)
    phase = fields.String()
    documents = fields.Dict()
    certificate = fields.String(allow_none=True)
    deadlines = fields.List(fields.Dict())
    lapsed = fields.List(fields.Dict())
    history = fields.List(fields.Dict())
    timeline = fields.List(fields.Dict(), metadata={"description": "public: the public decisions"})
    final = fields.Boolean()
    state_since_local = fields.String()


DeadlineSchema = read_model(public.DeadlineLine)
AppealLineSchema = read_model(public.AppealLine)
PublicAppealSchema = read_model(public.PublicAppeal)
AssociationLineSchema = read_model(public.AssociationLine)


class DeadlinesQuerySchema(Schema):
    election = fields.String(metadata={"description": "only this election's deadlines and its candidacies'"})
    overdue = fields.Boolean(metadata={"description": "only those past due (true) or not yet due (false)"})
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))


# --- Election day and after (V3-V7, D5) ----------------------------------------------------------

# An official also gets the election's version (its ETag, for If-Match) and the decisions open to their role.
ElectionOfficialSchema = ElectionSchema.from_dict(
    {
        "version": fields.Integer(metadata={"description": "officials: send it back in If-Match to decide on the election"}),
        "allowed": fields.List(
            fields.String(metadata={"enum": list(ELECTION_TRIGGERS)}),
            metadata={"description": "officials: the decisions the phase allows AND the caller's role may take"},
        ),
    },
    name="ElectionOfficial",
)


class ProtocolViewSchema(Schema):
    """V3: a territorial commission's protocol, one version. The public does not see the chair nor a correction's reason."""

    id = fields.Integer(required=True)
    round = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "the territorial unit's code"})
    version = fields.Integer(required=True, metadata={"description": "2 and more: a correction"})
    voters_on_list = fields.Integer(required=True)
    ballots_issued = fields.Integer(required=True)
    ballots_cast = fields.Integer(required=True)
    invalid_ballots = fields.Integer(required=True)
    valid = fields.Integer(required=True)
    votes = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                        metadata={"description": "candidacy id -> votes"})  # fmt: skip
    against_all = fields.Integer(allow_none=True)
    turnout_percent = public.PercentText(required=True)
    members_signed = fields.Integer(required=True)
    members = fields.Integer(required=True)
    signed_on = fields.String(required=True, metadata={"format": "date"})
    void = fields.Boolean(required=True)
    violations = fields.Boolean(required=True)
    submitted_at = fields.String(required=True, metadata={"format": "date-time"})
    superseded_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    chair = fields.String(metadata={"description": "officials only"})
    reason = fields.String(metadata={"description": "officials only: why a correction was made"})


class ProtocolsQuerySchema(Schema):
    round = fields.Integer(validate=validate.Range(1, 2), metadata={"description": "only this round's protocols"})
    history = fields.Boolean(load_default=False, metadata={"description": "every version, the superseded ones too"})


ResultsSchema = read_model(public.Results)


class ElectionOutcomeSchema(Schema):
    """What a decision on the election leaves (the fields after ``deadlines`` are the decision's own)."""

    election = fields.String(required=True)
    phase = fields.String(required=True, metadata={"enum": list(PHASES)})
    previous_phase = fields.String(required=True, metadata={"enum": list(PHASES)})
    version = fields.Integer(required=True)
    event = fields.Integer(required=True, metadata={"description": "the audit event's number"})
    allowed = fields.List(fields.String(), required=True, metadata={"description": "what the machine allows next"})
    deadlines = fields.List(fields.Dict(), required=True)
    round = fields.Integer()
    outcome = fields.String()
    winner = fields.Integer(allow_none=True)
    leaders = fields.List(fields.Integer())
    reason = fields.String()
    voting_day = fields.String(metadata={"format": "date"})
    candidates = fields.List(fields.Integer())
    president = fields.Integer(allow_none=True)
    violated_share = fields.String()
    appeal = fields.String()
    rerun = fields.String()


class RefundLineSchema(Schema):
    """D5: an election contribution refunded, to whom, how much (tenge) and why."""

    candidacy_id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    association = fields.String(required=True)
    amount = fields.Integer(required=True)
    reasons = fields.List(fields.String(), required=True, metadata={"description": "elected, vote_share, death"})
