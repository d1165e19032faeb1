"""What the API sends back, described for the OpenAPI document.

Request bodies are registrar's own schemas (:mod:`registrar.schemas`), the same every way in
validates with; these describe the wire of the answers. Instants are ISO 8601 with their offset.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registrar.machines import ELECTION_TRIGGERS, TRIGGERS
from registrar.states import PHASES, STATES


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


class ElectionSummarySchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    announced_on = fields.Date(required=True)
    election_day = fields.Date(required=True)
    phase = fields.String(required=True, metadata={"description": "the election's phase now, from its calendar"})


class MilestoneSchema(Schema):
    name = fields.String(required=True)
    rule = fields.String(required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "the instant, UTC"})
    local = fields.AwareDateTime(required=True, metadata={"description": "the same instant in local time (T1)"})
    is_date = fields.Boolean(required=True)
    starts_phase = fields.String(allow_none=True)
    past = fields.Boolean(required=True)
    resolution = fields.String(allow_none=True, metadata={"description": "V1: the CEC resolution that set it"})
    resolution_adopted_on = fields.Date(allow_none=True)


class TimelineSchema(Schema):
    milestones = fields.List(fields.Nested(MilestoneSchema), required=True)
    now = fields.AwareDateTime(required=True)
    now_local = fields.AwareDateTime(required=True)
    now_index = fields.Integer(required=True, metadata={"description": "'now' falls before milestones[now_index]"})
    phase = fields.String(required=True)


class ElectionSchema(Schema):
    election = fields.Nested(ElectionSummarySchema, required=True)
    timeline = fields.Nested(TimelineSchema, required=True)
    zone = fields.String(required=True)


class PublishedCandidateSchema(Schema):
    """G2: exactly what the CEC publishes of a registered candidate: the facts the election kind's
    G2.published_fields names (for the President all of these), and nothing more. One field per
    fact of registrar.public.PUBLISHABLE (tests/web/test_api_schema.py holds them equal)."""

    full_name = fields.String(required=True)
    birth_year = fields.Integer()
    position = fields.String()
    place_of_work = fields.String()
    place_of_residence = fields.String()


class PublishedListSchema(Schema):
    election = fields.String(required=True)
    candidates = fields.List(fields.Nested(PublishedCandidateSchema), required=True)


class CandidacyLineSchema(Schema):
    id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    state = fields.String(required=True, metadata={"enum": list(STATES)})
    state_since = fields.AwareDateTime(required=True)


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


class DeadlineSchema(Schema):
    id = fields.Integer(required=True)
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    kind = fields.String(required=True)
    rule = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)
    due_local = fields.String(required=True)
    overdue = fields.Boolean(required=True)


class AppealLineSchema(Schema):
    id = fields.Integer(required=True)
    candidacy_id = fields.Integer(required=True)
    election_id = fields.String(required=True)
    full_name = fields.String(required=True)
    against = fields.String(required=True)
    case_number = fields.String(required=True)
    filed_at = fields.AwareDateTime(required=True)
    outcome = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    court_due_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "G6: when the court's G6.court_review_days end"}
    )


class AssociationLineSchema(Schema):
    id = fields.Integer(required=True)
    registration_number = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    registered_on = fields.Date(required=True)


class DeadlinesQuerySchema(Schema):
    election = fields.String(metadata={"description": "only this election's deadlines and its candidacies'"})
    overdue = fields.Boolean(metadata={"description": "only those past due (true) or not yet due (false)"})
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))


# --- Election day and after (V3-V7, D5) ----------------------------------------------------------

PERCENT = {"description": "a percentage as text, exact to the hundredth (half up), never a float", "example": "51.23"}


class ElectionOfficialSchema(ElectionSchema):
    """An official also gets the election's version (its ETag, for If-Match) and the decisions open to their role."""

    version = fields.Integer(metadata={"description": "officials: send it back in If-Match to decide on the election"})
    allowed = fields.List(
        fields.String(metadata={"enum": list(ELECTION_TRIGGERS)}),
        metadata={"description": "officials: the decisions the phase allows AND the caller's role may take"},
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
    turnout_percent = fields.String(required=True, metadata=PERCENT)
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


class TotalsSchema(Schema):
    units = fields.Integer(required=True, metadata={"description": "protocols counted"})
    voters_on_list = fields.Integer(required=True)
    ballots_issued = fields.Integer(required=True)
    ballots_cast = fields.Integer(required=True)
    invalid_ballots = fields.Integer(required=True)
    valid = fields.Integer(required=True)
    turnout_percent = fields.String(required=True, metadata=PERCENT)


class CandidateResultSchema(Schema):
    candidacy_id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    association = fields.String(required=True)
    votes = fields.Integer(required=True)
    percent = fields.String(required=True, metadata=PERCENT)


class AgainstAllSchema(Schema):
    votes = fields.Integer(required=True)
    percent = fields.String(required=True, metadata=PERCENT)


class UnitResultSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    commission = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the protocol in force; 2 and more: corrected"})
    voters_on_list = fields.Integer(required=True)
    ballots_cast = fields.Integer(required=True)
    invalid_ballots = fields.Integer(required=True)
    valid = fields.Integer(required=True)
    turnout_percent = fields.String(required=True, metadata=PERCENT)
    votes = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    percents = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    against_all = fields.Integer(allow_none=True)
    against_all_percent = fields.String(allow_none=True, metadata=PERCENT)
    void = fields.Boolean(required=True)
    violations = fields.Boolean(required=True)


class ProtocolCountSchema(Schema):
    received = fields.Integer(required=True)
    expected = fields.Integer(required=True)


class RoundOutcomeSchema(Schema):
    kind = fields.String(required=True, metadata={"enum": ["elected", "second_round", "no_winner", "undecided"]})
    winner = fields.Integer(allow_none=True)
    leaders = fields.List(fields.Integer(), required=True)
    number = fields.String(required=True)
    decided_on = fields.Date(required=True)


class RoundResultSchema(Schema):
    round = fields.Integer(required=True)
    voting_day = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": ["scheduled", "counting", "established", "void"]})
    protocols = fields.Nested(ProtocolCountSchema, required=True)
    totals = fields.Nested(TotalsSchema, required=True)
    candidates = fields.List(fields.Nested(CandidateResultSchema), required=True, metadata={"description": "most votes first"})
    against_all = fields.Nested(AgainstAllSchema, allow_none=True)
    units = fields.List(fields.Nested(UnitResultSchema), required=True)
    outcome = fields.Nested(RoundOutcomeSchema, allow_none=True)


class PresidentSchema(Schema):
    candidacy_id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    association = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["elected", "registered", "refused", "appealed"]})


class ElectionLinkSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)


class ElectionDecisionLineSchema(Schema):
    kind = fields.String(required=True)
    body = fields.String(required=True)
    number = fields.String(required=True)
    decided_on = fields.Date(required=True)


class ResultsSchema(Schema):
    """V4-V7: an election's results as the public reads them."""

    election = fields.String(required=True)
    title = fields.String(required=True)
    phase = fields.String(required=True)
    rounds = fields.List(fields.Nested(RoundResultSchema), required=True)
    president = fields.Nested(PresidentSchema, allow_none=True)
    rerun = fields.Nested(ElectionLinkSchema, allow_none=True)
    rerun_of = fields.Nested(ElectionLinkSchema, allow_none=True)
    decisions = fields.List(fields.Nested(ElectionDecisionLineSchema), required=True)


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
