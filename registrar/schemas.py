"""Payload schemas: every way in (CLI, forms, API, the sweep) validates with these.

A failed load names each field with its messages and nothing is written. Choices that the
law lists (grounds, regions, document kinds) come from the election's rules, which the
action puts in :data:`current_rules` while it loads. Which schema a step's payload follows
is said where the step is declared (``schema`` on its row of :mod:`registrar.machines`).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from registrar.names import LANGUAGES
from registrar.reasons import Said, field_error_ids, said
from registrar.rules import Rules

current_rules: contextvars.ContextVar[Rules] = contextvars.ContextVar("current_rules")
# Forms carry what no payload names (a CSRF token, the button pressed) and their fields are
# read by name, so a field not declared is passed over; another system's body is refused one:
# a field it misspelled, or one this version does not take (an `at`), would else be dropped unseen.
_strict: contextvars.ContextVar[bool] = contextvars.ContextVar("strict_payloads", default=False)


@contextlib.contextmanager
def _set(flag: contextvars.ContextVar[bool]) -> Iterator[None]:
    token = flag.set(True)
    try:
        yield
    finally:
        flag.reset(token)


def strictly() -> contextlib.AbstractContextManager[None]:
    """Payloads loaded inside refuse every field their schema does not declare, naming it."""
    return _set(_strict)


# A past election loaded from the public record (issue 14, the archive) lacks facts a live action
# records: an association's registration number, the votes of the congress that nominated. A
# payload loaded inside :func:`from_the_record` may leave out the fields its schema names in
# ``the_record_may_omit``; everywhere else they are required as before.
_from_record: contextvars.ContextVar[bool] = contextvars.ContextVar("from_the_record", default=False)


def from_the_record() -> contextlib.AbstractContextManager[None]:
    """Payloads loaded inside record a past election from its public record: what it does not say may be left out."""
    return _set(_from_record)


def recording_the_past() -> bool:
    """Whether the action being taken records a past election from its public record."""
    return _from_record.get()


Name = lambda: fields.String(required=True, validate=validate.Length(min=1, max=300))  # noqa: E731
Number = lambda: fields.String(required=True, validate=validate.Length(min=1, max=60))  # noqa: E731
Day = lambda: fields.Date(required=True)  # noqa: E731
Count = lambda minimum=0: fields.Integer(required=True, strict=True, validate=validate.Range(min=minimum))  # noqa: E731


def _from_rules(pick: Callable[[Rules], list[str]], what: str) -> Callable[[str], None]:
    """A choice the election's rules list; ``what`` names it in the catalogues' [field_errors]
    ("filer": ``rules.none.filer`` and ``rules.not_one_of.filer``), and its parameter the choices."""

    def check(value: str) -> None:
        rules = current_rules.get()
        try:
            choices = pick(rules)
        except AttributeError:  # the rule that lists them is not in this kind's file
            raise ValidationError(said(f"rules.none.{what}", title=rules.title)) from None
        if value not in choices:
            raise ValidationError(said(f"rules.not_one_of.{what}", **{_CHOICES[what]: list(choices)}))

    return check


# The parameter a rules-listed choice's message names its choices by (its words table, registrar.reasons).
_CHOICES = {"filer": "filers", "region": "regions", "document": "documents", "ground": "grounds"}

# What marshmallow's fields and validators say, in its own English, becomes the catalogue's message:
# the attributes that hold a field's or a validator's templates.
_VALIDATOR_MESSAGES = ("error", "message_min", "message_max", "message_all", "message_equal")


def _said_field(field: fields.Field) -> None:
    known = field_error_ids()
    for key, text in list(field.error_messages.items()):
        if isinstance(text, str) and not isinstance(text, Said) and text in known:
            field.error_messages[key] = Said(known[text])
    for validator in field.validators:
        for name in _VALIDATOR_MESSAGES:
            template = getattr(validator, name, None)
            if isinstance(template, str) and not isinstance(template, Said) and template in known:
                setattr(validator, name, Said(known[template]))
    for part in ("inner", "key_field", "value_field"):
        nested = getattr(field, part, None)
        if isinstance(nested, fields.Field):
            _said_field(nested)


class Payload(Schema):
    """A payload whose errors are the catalogues' messages (:class:`registrar.reasons.Said`): English
    as strings, in the reader's language where the web shows them."""

    class Meta:
        unknown = EXCLUDE  # forms carry CSRF tokens and buttons

    # A schema that refuses a field it does not know with its own words (a language the pages do
    # not have) is left to say so, when payloads are loaded :func:`strictly`.
    names_unknown_fields: ClassVar[bool] = False
    # The fields a past election's public record may not give (:func:`from_the_record`); each is
    # declared ``allow_none`` and is refused empty in a live action.
    the_record_may_omit: ClassVar[tuple[str, ...]] = ()
    empty_has_a_meaning: ClassVar[tuple[str, ...]] = ()  # of those, the ones a live action may give as null

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = field_error_ids()
        self.error_messages = {key: Said(known[text]) if isinstance(text, str) and text in known else text
                               for key, text in self.error_messages.items()}  # fmt: skip

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _bounded(field_name, field_obj)
        _said_field(field_obj)

    @pre_load
    def _normalised(self, data: Any, **_: Any) -> Any:
        if _strict.get() and not self.names_unknown_fields and isinstance(data, dict):
            declared = {field.data_key or name for name, field in self.load_fields.items()}
            unknown = sorted(str(key) for key in data if key not in declared)
            if unknown:
                raise ValidationError({key: [said("payload.unknown_field", known=sorted(declared))] for key in unknown})
        if self.the_record_may_omit and isinstance(data, dict):
            if _from_record.get():
                # Not given, or given as none (a number exported as ""): what the record leaves out.
                given = {name: value for name, value in data.items() if not (name in self.the_record_may_omit and value == "")}
                data = {name: None for name in self.the_record_may_omit} | given
            else:
                empty = [name for name in self.the_record_may_omit
                         if name in data and data[name] is None and name not in self.empty_has_a_meaning]  # fmt: skip
                if empty:
                    raise ValidationError({name: [said("required")] for name in empty})
        return _nfc(data)


# What the database and the calendar can hold (issue 13: 2**63 and 10**30, the years 1 and 9999
# each reached a 500): every number at most an INTEGER column's largest, every day within these years.
LARGEST = 2**31 - 1
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
# Free text that may run over lines (a decision's reasons); every other text is one line.
MULTILINE = frozenset({"reason"})
# Control characters, and the formatting ones a reader cannot see: bidi overrides and isolates
# (a name that reads one way and sorts another), zero-width spaces and joiners, the BOM.
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _printable(multiline: bool) -> Callable[[str], None]:
    def check(value: str) -> None:
        if INVISIBLE.search(value) or (not multiline and ("\n" in value or "\t" in value)):
            raise ValidationError(said("text.not_printable"))

    return check


def _bounded(name: str, field: fields.Field) -> None:
    """Every number, day and text of a payload within what it can be stored and shown as (once a
    field: a schema's declared fields are bound again by each instance)."""
    if getattr(field, "_bounded", False):
        return
    field._bounded = True  # type: ignore[attr-defined]
    if isinstance(field, fields.Integer) and not any(
        isinstance(v, validate.Range) and v.max is not None for v in field.validators
    ):
        field.validators.append(validate.Range(max=LARGEST))
    elif isinstance(field, fields.Date) and not isinstance(field, fields.DateTime):
        field.validators.append(validate.Range(min=EARLIEST, max=LATEST))
    elif isinstance(field, fields.String):
        field.validators.append(_printable(name in MULTILINE))
    for part in ("inner", "key_field", "value_field"):
        nested = getattr(field, part, None)
        if isinstance(nested, fields.Field):
            _bounded(name, nested)


def _nfc(value: Any) -> Any:
    """Texts in one Unicode form (NFC): «Ә» typed as А + a combining mark is the letter Ә."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


# --- Elections, associations, people -------------------------------------------------------


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError(said("names.blank"))


InLanguage = lambda required: fields.String(  # noqa: E731
    required=required, validate=[validate.Length(max=300), _not_blank]
)


class InEachLanguage(Payload):
    """A title or a name in each language of the pages. The CEC publishes its resolutions in Kazakh
    (the state language) and Russian, so both are asked; the English of the CEC's site may follow."""

    names_unknown_fields = True
    kk = InLanguage(True)
    ru = InLanguage(True)
    en = InLanguage(False)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _languages(self, _data: dict[str, Any], original: Any, **_: Any) -> None:
        others = [key for key in original if key not in LANGUAGES] if isinstance(original, dict) else []
        if others:
            raise ValidationError({key: [said("names.not_a_language")] for key in others})


def _as_entered(data: dict[str, Any], entered: str, each: str) -> None:
    """A text given only in each language is entered in Kazakh, the state language; one given
    neither way is asked for in the languages the CEC publishes in."""
    if data.get(entered) is None and data.get(each) is None:
        raise ValidationError({each: {"kk": [said("required")], "ru": [said("required")]}})


def _entered_from(data: dict[str, Any], entered: str, each: str) -> dict[str, Any]:
    if data.get(entered) is None:
        data[entered] = data[each]["kk"]
    return data


class Titled(Payload):
    """A payload that titles an election as entered (``title``: what the API has always taken) or in
    each language (``titles``); either will do, and the pages show the one in the reader's language."""

    @validates_schema
    def _titled(self, data: dict[str, Any], **_: Any) -> None:
        _as_entered(data, "title", "titles")

    @post_load
    def _title_as_entered(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return _entered_from(data, "title", "titles")


class Named(Payload):
    """A payload that names an association as entered (``name``) or in each language (``names``)."""

    @validates_schema
    def _named(self, data: dict[str, Any], **_: Any) -> None:
        _as_entered(data, "name", "names")

    @post_load
    def _name_as_entered(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return _entered_from(data, "name", "names")


AsEntered = lambda: fields.String(load_default=None, validate=[validate.Length(max=300), _not_blank])  # noqa: E731
EachLanguage = lambda: fields.Nested(InEachLanguage, load_default=None)  # noqa: E731


# A resolution's or a decision's number, which a past election's public record often does not
# give (the day it does): left out there, and stored as "".
RecordedNumber = lambda: fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=60))  # noqa: E731


class _Numbered:
    """A payload with a ``RecordedNumber``: one the record leaves out loads as ""."""

    the_record_may_omit: ClassVar[tuple[str, ...]] = ("number",)

    @post_load
    def _numbered(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return data | {"number": data.get("number") or ""}


class ResolutionSchema(_Numbered, Payload):
    milestone = fields.String(required=True, validate=validate.OneOf(
        ["nomination_opens", "nomination_closes", "registration_opens", "registration_closes",
         "declarations_as_of", "voting_opens", "voting_closes"]))  # fmt: skip
    value = fields.String(required=True, metadata={"description": "ISO-8601 datetime with offset, or a date"})
    number = RecordedNumber()
    adopted_on = Day()


class AnnounceElectionSchema(Titled):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$",
                       error="lower-case letters, digits and dashes, 2 to 63 characters"))  # fmt: skip
    title = AsEntered()
    titles = EachLanguage()
    kind = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]*$"))
    announced_on = Day()
    election_day = Day()
    registered_voters = fields.Integer(strict=True, validate=validate.Range(min=1), allow_none=True)
    voters_counted_on = fields.Date(allow_none=True)
    resolutions = fields.List(fields.Nested(ResolutionSchema), load_default=list)

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["election_day"] <= data["announced_on"]:
            raise ValidationError(said("after_announcement"), "election_day")


class ExtendNominationSchema(Payload):
    days = Count(1)
    number = Number()
    adopted_on = Day()


class VoterCountSchema(Payload):
    registered_voters = Count(1)
    voters_counted_on = Day()


class AssociationSchema(Named):
    the_record_may_omit = ("registration_number", "registered_on")

    registration_number = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=60))
    name = AsEntered()
    names = EachLanguage()
    kind = fields.String(required=True, validate=validate.OneOf(["national", "regional", "local"]))
    registered_on = fields.Date(required=True, allow_none=True)


class RenameSchema(Named):
    name = AsEntered()
    names = EachLanguage()
    valid_from = Day()


class PersonSchema(Payload):
    the_record_may_omit = ("birth_date", "citizen_by_birth", "resident_since", "education_level", "public_service_months")
    empty_has_a_meaning = ("resident_since",)  # in a live nomination: not resident (E4)

    full_name = Name()
    birth_date = fields.Date(required=True, allow_none=True)
    citizen_by_birth = fields.Boolean(required=True, allow_none=True)
    resident_since = fields.Date(required=True, allow_none=True)
    education_level = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=40))
    public_service_months = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=0))
    legally_incompetent = fields.Boolean(load_default=False)
    detained_by_court_order = fields.Boolean(load_default=False)
    unexpunged_criminal_record = fields.Boolean(load_default=False)
    presidential_terms_served = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    married = fields.Boolean(load_default=False)
    position = fields.String(load_default="", validate=validate.Length(max=300))
    place_of_work = fields.String(load_default="", validate=validate.Length(max=300))
    place_of_residence = fields.String(load_default="", validate=validate.Length(max=300))


class NominationDecisionSchema(Payload):
    the_record_may_omit = ("meeting_on", "members", "present", "votes_for", "minutes_number")

    body = fields.String(load_default="congress", validate=validate.Length(min=1, max=200))
    meeting_on = fields.Date(required=True, allow_none=True)
    members = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=1))
    present = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=0))
    votes_for = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=0))
    minutes_number = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=60))

    @validates_schema
    def _sums(self, data: dict[str, Any], **_: Any) -> None:
        members, present, votes_for = data.get("members"), data.get("present"), data.get("votes_for")
        if members is not None and present is not None and present > members:
            raise ValidationError(said("exceeds_members"), "present")
        if present is not None and votes_for is not None and votes_for > present:
            raise ValidationError(said("exceeds_present"), "votes_for")


class NominateSchema(Payload):
    association_id = Count(1)
    person = fields.Nested(PersonSchema, required=True)
    decision = fields.Nested(NominationDecisionSchema, required=True)


# --- Candidacy actions, one schema per trigger ----------------------------------------------


class DeclarationSchema(Payload):
    filer = fields.String(required=True, validate=_from_rules(lambda r: list(r.D1.filers), "filer"))
    valued_as_of = Day()
    filed_on = Day()
    revenue_office = Name()
    receipt_number = Number()


class FileDeclarationsSchema(Payload):
    declarations = fields.List(fields.Nested(DeclarationSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _one_each(self, data: dict[str, Any], **_: Any) -> None:
        filers = [d["filer"] for d in data["declarations"]]
        if len(filers) != len(set(filers)):
            raise ValidationError(said("one_declaration_per_filer"), "declarations")


class InformationRequestSchema(Payload):
    organisation = Name()
    subject = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class InformationAnswerSchema(Payload):
    request_id = Count(1)
    answer = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class MedicalReferralSchema(Payload):
    institution = fields.String(load_default="", validate=validate.Length(max=300))


class MedicalConclusionSchema(Payload):
    institution = Name()
    number = Number()
    issued_on = Day()
    fit = fields.Boolean(required=True)


class LanguageConclusionSchema(Payload):
    decided_on = Day()
    linguists = Count(1)
    fluent = fields.Boolean(required=True)


class SignatureProtocolSchema(Payload):
    region = fields.String(required=True, validate=_from_rules(lambda r: [x["code"] for x in r.D4.regions], "region"))
    commission = Name()
    signed_on = Day()
    submitted = Count()
    valid = Count()

    @validates_schema
    def _sums(self, data: dict[str, Any], **_: Any) -> None:
        if data["valid"] > data["submitted"]:
            raise ValidationError(said("exceeds_submitted"), "valid")


class ContributionSchema(Payload):
    amount = Count(1)
    paid_on = Day()
    receipt_number = Number()


class DocumentSchema(Payload):
    kind = fields.String(required=True, validate=_from_rules(lambda r: list(r.D6.documents), "document"))
    received_on = Day()
    reference = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ResolutionRecordSchema(_Numbered, Payload):
    """A decision with its number: the CEC's resolution, the court's ruling, the association's minutes."""

    number = RecordedNumber()
    decided_on = Day()
    reason = fields.String(load_default="", validate=validate.Length(max=5000))


def _grounds(*rule_ids: str) -> Callable[[str], None]:
    return _from_rules(lambda r: [g for rid in rule_ids if rid in r for g in getattr(r, rid).grounds], "ground")


class RefuseSchema(ResolutionRecordSchema):
    grounds = fields.List(fields.String(validate=_grounds("G3", "G5")), required=True, validate=validate.Length(min=1))


class CancelSchema(ResolutionRecordSchema):
    grounds = fields.List(fields.String(validate=_grounds("G3", "G4", "G5")), required=True, validate=validate.Length(min=1))


class DeclarationVerificationSchema(Payload):
    filer = fields.String(required=True, validate=_from_rules(lambda r: list(r.D1.filers), "filer"))
    result = fields.String(required=True, validate=validate.OneOf(["confirmed", "false"]))
    verified_on = Day()


class AppealSchema(Payload):
    case_number = Number()
    filed_on = Day()


class Empty(Payload):
    pass


# --- Election day and after (V3-V7) ---------------------------------------------------------


def _unit_code(value: str) -> None:
    from registrar import territory

    # The units of the election's day (its rules are those of its announcement), else the newest.
    rules = current_rules.get(None)
    codes = territory.on(rules.on if rules is not None else None).codes
    if value not in codes:
        raise ValidationError(said("not_a_unit", units=list(codes)))


class ProtocolSchema(Payload):
    """V3: a territorial commission's protocol of the count. The sums are checked by registrar.tally."""

    unit = fields.String(required=True, validate=_unit_code)
    voters_on_list = Count()
    ballots_issued = Count()
    ballots_cast = Count()
    invalid_ballots = Count()
    votes = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,9}$", error="a candidacy id")),
        values=Count(),
        required=True,
        metadata={"description": "candidacy id -> votes, for every candidate on the ballot"},
    )
    against_all = fields.Integer(strict=True, validate=validate.Range(min=0), allow_none=True, load_default=None)
    chair = Name()
    members_signed = Count(1)
    signed_on = Day()
    void = fields.Boolean(load_default=False, metadata={"description": "the unit's vote was declared void (V7)"})
    violations = fields.Boolean(load_default=False, metadata={"description": "violations were found in the unit (V7)"})


class NationalFiguresSchema(Payload):
    """V4: the CEC's national figures of a round, as a past election's public record gives them
    (issue 14, the archive) where its territorial commissions' protocols are not in the record.
    A figure the record does not give (the ballots issued) is left out."""

    the_record_may_omit = ("ballots_issued", "invalid_ballots")

    voters_on_list = Count()
    ballots_issued = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=0))
    ballots_cast = Count()
    # Not given: the ballots cast less the votes (for the candidates and against all), the protocol's own sum (V3).
    invalid_ballots = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=0))
    votes = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,9}$", error="a candidacy id")),
                        values=Count(), required=True)  # fmt: skip
    against_all = fields.Integer(strict=True, validate=validate.Range(min=0), allow_none=True, load_default=None)


class EstablishResultsSchema(ResolutionRecordSchema):
    """V4/V5: the CEC's resolution on a round's results. ``national``: only in a past election loaded
    from its public record, the CEC's national figures the results stand on (no protocols received)."""

    national = fields.Nested(NationalFiguresSchema, load_default=None)

    @validates_schema
    def _national_from_the_record(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("national") is not None and not recording_the_past():
            raise ValidationError(said("national.only_from_the_record"), "national")


class ProtocolCorrectionSchema(ProtocolSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class VoidSchema(ResolutionRecordSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class SecondRoundSchema(ResolutionRecordSchema):
    voting_day = Day()


class RerunSchema(ResolutionRecordSchema, Titled):
    """V6: the re-run is a new election, announced by the CEC's resolution, on timelines it sets (V1)."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$",
                       error="lower-case letters, digits and dashes, 2 to 63 characters"))  # fmt: skip
    title = AsEntered()
    titles = EachLanguage()
    election_day = Day()
    resolutions = fields.List(fields.Nested(ResolutionSchema), load_default=list)


@cache
def _instance(schema: type[Schema]) -> Schema:
    return schema()


def load(schema: type[Schema], payload: Any, rules: Rules | None = None) -> dict[str, Any]:
    """Validate ``payload``; raise :class:`registrar.errors.InvalidPayload` naming each bad field.

    ``rules``: the election's, for a schema whose choices the law lists (none for what belongs
    to no election, such as an association)."""
    from registrar.errors import InvalidPayload

    if not isinstance(payload, dict):
        raise InvalidPayload({"_schema": [said("not_an_object")]})
    token = current_rules.set(rules) if rules is not None else None
    try:
        return dict(_instance(schema).load(payload))
    except ValidationError as err:
        raise InvalidPayload(err.normalized_messages()) from None
    finally:
        if token is not None:
            current_rules.reset(token)


# --- The moment an action took effect (issue 14: importing a past election) ------------------


def effective_moment(value: Any, *, now: dt.datetime) -> dt.datetime:
    """An ``effective_at`` as another system sends it: an ISO 8601 moment with its UTC offset (a
    moment without one is a different instant in Almaty and in the sender's zone), not after ``now``."""
    from registrar.errors import InvalidPayload

    def refused(message: Said) -> InvalidPayload:
        return InvalidPayload({"effective_at": [message]})

    if not isinstance(value, str):
        raise refused(said("effective_at.no_offset"))
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise refused(said("effective_at.no_offset")) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise refused(said("effective_at.no_offset"))
    if not EARLIEST.year <= moment.year <= LATEST.year:
        raise refused(said("effective_at.no_offset"))
    if moment > now:
        raise refused(said("effective_at.in_future", now=now.isoformat(timespec="seconds")))
    return moment.astimezone(dt.UTC)
