"""The law as data: load and validate a rules file (``registrar/config/rules/<kind>.toml``).

A rules file maps rule ids (E2, N7, G6 ...) to tables of numbers and lists. The code reads
them as ``rules.E2.min_age_years`` so the place that applies a rule names it, and every
number lives once, in the file. Loading validates each known rule with a marshmallow
schema and fails with ``RulesError("<file>: E2.min_age_years: <reason>")``.

Rules a file leaves out are simply not applied (a parliamentary election has no E9): code
that applies an optional rule asks ``rules.has("E9")`` or ``rules.get("E9")`` first. The
calendar needs T1, N2, G1, D1, V1 and V2, so a file without them is refused.

The law changes, and an election is held under the law of its day: a rule whose values changed
lists them as ``versions``, each with the dates it was in force (``since`` / ``until``, either
open-ended at the ends) and the act that changed it as its ``source``; the values a version
leaves out are the rule's own. The loader refuses periods that overlap or leave a gap, naming
the rule and the dates, and :func:`parse` keeps the version in force on the day asked (an
election's announcement: :mod:`registrar.rules_in_force`), or the newest.

Prose that states a rule's number names its key instead, ``"within {V3.protocol_days} days"``,
and :meth:`Rules.say` renders it, so the number is written once, here in the file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from registrar.resources import InstallationError, config_file, names_in, read_toml

RULE_ID = re.compile(r"^[A-Z][0-9]+$")
_PLACEHOLDER = re.compile(r"\{([A-Z][0-9]+\.[a-z_]+)\}")
# What calendar.compute reads for every election (V1: which milestones a resolution may set).
REQUIRED_RULES = ("T1", "N2", "G1", "D1", "V1", "V2")


class RulesError(InstallationError, ValueError):
    """A rules file that cannot be used, with the key and the reason: the installation's fault."""


class UnknownKind(ValueError):
    """An election kind no rules file describes: the asker's mistake, not the installation's."""


def _time_of_day(value: str) -> bool:
    return bool(re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00", value))


def _timezone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def Clock(**kw: Any) -> fields.String:  # noqa: N802 - reads like a field type
    return fields.String(
        required=True,
        validate=lambda v: _time_of_day(v) or _raise("must be a time of day HH:MM (00:00-24:00)"),
        **kw,
    )


def _published(names: list[str]) -> bool:
    # A list of candidates names them; which other facts it shows is the rule's (G2).
    return "full_name" in names and len(set(names)) == len(names)


def _raise(message: str) -> bool:
    raise ValidationError(message)


def Count(minimum: int = 0) -> fields.Integer:  # noqa: N802
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=minimum))


def Share() -> fields.Decimal:  # noqa: N802
    return fields.Decimal(required=True, validate=validate.Range(min=0, max=100))


def Words() -> fields.List:  # noqa: N802
    return fields.List(fields.String(validate=validate.Length(min=1)), required=True)


def Fraction() -> fields.List:  # noqa: N802
    return fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        required=True,
        validate=validate.Length(equal=2),
    )


class RuleSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.Length(min=1))
    status = fields.String(load_default="confirmed", validate=validate.OneOf(["confirmed", "unconfirmed"]))


class Region(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2,5}$"))
    name = fields.String(required=True)


class Wage(Schema):
    from_ = fields.Date(required=True, data_key="from")
    amount = Count(1)
    source = fields.String(required=True)
    status = fields.String(load_default="confirmed", validate=validate.OneOf(["confirmed", "unconfirmed"]))


def _rule(**params: fields.Field) -> type[RuleSchema]:
    return RuleSchema.from_dict(params)  # type: ignore[return-value]


# D4: how a share of the voters that is not a whole number of signatures is made one.
ROUNDINGS = ("up", "half_up", "down")
# D5: the grounds on which a contribution is refunded (registrar.tally.refunds applies each).
REFUND_GROUNDS = ("elected", "vote_share", "death")


class _D4(RuleSchema):
    signature_share_percent = Share()
    rounding = fields.String(required=True, validate=validate.OneOf(ROUNDINGS))
    min_regions_fraction = Fraction()
    even_split_min_fraction = fields.Decimal(required=True, validate=validate.Range(min=0, max=1))
    even_split_status = fields.String(validate=validate.OneOf(["confirmed", "unconfirmed"]))
    regions = fields.List(fields.Nested(Region), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _unique_codes(self, data: dict[str, Any], **_: Any) -> None:
        codes = [r["code"] for r in data["regions"]]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValidationError(f"region codes repeat: {', '.join(duplicates)}", "regions")
        num, den = data["min_regions_fraction"]
        if num > den:
            raise ValidationError("must not exceed 1", "min_regions_fraction")


class _D5(RuleSchema):
    multiplier = Count(1)
    refund_vote_share_percent = Share()
    refund_on = fields.List(fields.String(validate=validate.OneOf(REFUND_GROUNDS)), required=True)
    minimum_wage = fields.List(fields.Nested(Wage), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: Any) -> None:
        starts = [w["from_"] for w in data["minimum_wage"]]
        if starts != sorted(set(starts)):
            raise ValidationError("entries must be in increasing order of `from`, one per date", "minimum_wage")


MILESTONES = (
    "nomination_opens",
    "nomination_closes",
    "registration_opens",
    "registration_closes",
    "declarations_as_of",
    "voting_opens",
    "voting_closes",
)

SCHEMAS: dict[str, type[RuleSchema]] = {
    "T1": _rule(timezone=fields.String(required=True, validate=lambda v: _timezone(v) or _raise("unknown time zone"))),
    "T2": _rule(period_ends_at=Clock()),
    "E1": _rule(citizen_by_birth=fields.Boolean(required=True)),
    "E2": _rule(
        min_age_years=Count(1),
        age_measured_on=fields.String(
            required=True, validate=validate.OneOf(["election_day", "announcement_day", "registration_closes"])
        ),
    ),
    "E3": _rule(
        state_language=fields.String(required=True),
        commission_min_linguists=Count(1),
        tests=Words(),
        speech_minutes=Count(1),
    ),
    "E4": _rule(residence_years=Count()),
    "E5": _rule(education_levels=Words()),
    "E6": _rule(service_years=Count()),
    "E7": _rule(disqualifying=Words()),
    "E8": _rule(disqualifying=Words()),
    "E9": _rule(max_terms=Count(1), terms_counted_from=fields.Date(required=True)),
    "N1": _rule(nominator_kinds=Words()),
    "N2": _rule(opens_days_after_announcement=Count(), closes_months_before_election=Count(), closes_at=Clock()),
    "N3": _rule(majority_of=fields.String(required=True, validate=validate.OneOf(["members", "present"]))),
    "N4": _rule(),
    "N5": _rule(candidacies_per_association=Count(1)),
    "N6": _rule(documents=Words()),
    "N7": _rule(min_registered=Count(1), max_extension_days=Count()),
    "D1": _rule(
        filers=Words(),
        valued_as_of=fields.String(required=True, validate=validate.OneOf(["first_day_of_nomination_month"])),
    ),
    "D2": _rule(answer_days=Count(1)),
    "D3": _rule(conclusion_required=fields.Boolean(required=True)),
    "D4": _D4,
    "D5": _D5,
    "D6": _rule(documents=Words()),
    "D7": _rule(check_days=Count(1)),
    "G1": _rule(opens_months_before_election=Count(), closes_days_before_election=Count(), closes_at=Clock()),
    "G2": _rule(
        published_fields=fields.List(
            fields.String(validate=validate.Length(min=1)),
            required=True,
            validate=lambda v: _published(v) or _raise("must name full_name, each field once"),
        )
    ),
    "G3": _rule(grounds=Words()),
    "G4": _rule(verification_days=Count(1), grounds=Words()),
    "G5": _rule(grounds=Words()),
    "G6": _rule(appeal_days=Count(1), court_review_days=Count(1)),
    "G7": _rule(until_milestone=fields.String(required=True, validate=validate.OneOf(MILESTONES))),
    "V1": _rule(settable_milestones=fields.List(fields.String(validate=validate.OneOf(MILESTONES)), required=True)),
    "V2": _rule(opens_at=Clock(), closes_at=Clock()),
    "V3": _rule(
        protocol_days=Count(1),
        signed_by_more_than=Fraction(),
        signatures_status=fields.String(validate=validate.OneOf(["confirmed", "unconfirmed"])),
    ),
    "V4": _rule(
        results_days=Count(1),
        majority_percent=Share(),
        against_all_is_valid=fields.Boolean(required=True),
        against_all_on_ballot=fields.Boolean(required=True),
    ),
    "V5": _rule(second_round_within_months=Count(1)),
    "V6": _rule(rerun_within_months=Count(1)),
    "V7": _rule(registration_days=Count(1), refusal_share=Fraction(), appeal_days=Count(1), court_review_days=Count(1)),
}


@dataclass(frozen=True)
class Rule:
    """One rule: its id, where it comes from, and its numbers (``rule.min_age_years``).

    A rule that changed over time is the version in force on the day its rules were read for,
    with that version's period (``since`` / ``until``, None where open) and source."""

    id: str
    source: str
    status: str
    values: Mapping[str, Any] = field(default_factory=dict)
    since: dt.date | None = None
    until: dt.date | None = None
    versioned: bool = False

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(f"rule {self.id} has no value {name!r}") from None

    def cite(self, reason: str) -> str:
        return f"{self.id}: {reason}"


@dataclass(frozen=True)
class Rules:
    """The rules of one election kind, as loaded from its file."""

    kind: str
    title: str
    path: Traversable
    by_id: Mapping[str, Rule]
    on: dt.date | None = None  # the day whose versions these are (None: the newest of each)

    def __getattr__(self, rule_id: str) -> Rule:
        if not RULE_ID.match(rule_id):
            raise AttributeError(rule_id)
        try:
            return self.by_id[rule_id]
        except KeyError:
            raise AttributeError(f"{self.kind} rules have no rule {rule_id}") from None

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.by_id

    def has(self, rule_id: str) -> bool:
        """Whether this kind's file has the rule (one it leaves out is not applied)."""
        return rule_id in self.by_id

    def get(self, rule_id: str) -> Rule | None:
        """The rule, or None where this kind's file leaves it out."""
        return self.by_id.get(rule_id)

    def value(self, key: str, default: Any = None) -> Any:
        """``"N6.documents"``: the value, or ``default`` where the file has no such rule."""
        rule_id, _, name = key.partition(".")
        rule = self.by_id.get(rule_id)
        return default if rule is None else rule.values.get(name, default)

    def say(self, text: str) -> str:
        """``text`` with each ``{ID.key}`` replaced by the rule's value (``{V3.protocol_days}`` -> 2).

        A value this kind has no rule for is shown by its key, so the sentence still says
        where its number would come from.
        """
        return _PLACEHOLDER.sub(lambda m: _spoken(self.value(m[1], m[1])), text)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.by_id.values())

    def versioned(self) -> list[Rule]:
        """The rules whose values changed over time, each as the version these rules hold."""
        return [rule for rule in self.by_id.values() if rule.versioned]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.T1.timezone)

    def minimum_wage_on(self, day: dt.date) -> int:
        """D5: the minimum wage in force on ``day`` (the last table entry starting on or before it)."""
        in_force = [w for w in self.D5.minimum_wage if w["from_"] <= day]
        if not in_force:
            first = self.D5.minimum_wage[0]["from_"]
            raise RulesError(f"D5.minimum_wage: no minimum wage is configured before {first.isoformat()}")
        return int(in_force[-1]["amount"])

    def contribution_due_on(self, day: dt.date) -> int:
        """D5: the election contribution due on the date it is paid."""
        return int(self.D5.multiplier) * self.minimum_wage_on(day)


def _flatten(messages: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        yield f"{prefix}: {' '.join(messages)}"
    elif isinstance(messages, list):
        for value in messages:
            yield from _flatten(value, prefix)
    else:
        yield f"{prefix}: {messages}"


def parse(document: Mapping[str, Any], path: Traversable, *, stored: bool = False, on: dt.date | None = None) -> Rules:
    """Validate a parsed rules document and build :class:`Rules`, each rule as in force on ``on``
    (None: the newest version of each).

    ``stored``: the copy an election was announced under (:mod:`registrar.rules_in_force`). A
    key the code has since stopped reading is passed over rather than refused: the election
    was lawfully called under that text, and refusing it would stop its deadlines.
    """
    errors: list[str] = []
    header = {k: v for k, v in document.items() if not RULE_ID.match(k)}
    for key in ("kind", "title"):
        if not isinstance(header.get(key), str) or not header.get(key):
            errors.append(f"{key}: required, a non-empty string")
    unknown_header = sorted(set(header) - {"kind", "title", "law"})
    if not stored:
        errors += [f"{key}: unknown key (rule tables are named by their id, e.g. E2)" for key in unknown_header]
    by_id: dict[str, Rule] = {}
    for rule_id, table in document.items():
        if not RULE_ID.match(rule_id):
            continue
        if not isinstance(table, dict):
            errors.append(f"{rule_id}: must be a table")
            continue
        versions = table.get("versions")
        if versions is None:
            rule = _rule_of(rule_id, table, stored, errors)
        else:
            rule = _version_of(rule_id, table, versions, stored, on, errors)
        if rule is not None:
            by_id[rule_id] = rule
    errors += [f"{rid}: required by the calendar and missing" for rid in REQUIRED_RULES if rid not in document]
    if errors:
        raise RulesError(f"{path}: " + "; ".join(errors))
    return Rules(kind=header["kind"], title=header["title"], path=path, by_id=by_id, on=on)


def _rule_of(rule_id: str, table: Mapping[str, Any], stored: bool, errors: list[str], where: str = "") -> Rule | None:
    # A rule the code does not apply yet (a new election kind's) keeps its values as
    # written; only its source and status are checked.
    known = rule_id in SCHEMAS
    schema = SCHEMAS[rule_id](unknown=EXCLUDE if stored else RAISE) if known else RuleSchema(unknown=EXCLUDE)
    try:
        loaded = schema.load(table)
    except ValidationError as err:
        errors += [f"{rule_id}{where}.{line}" for line in _flatten(err.messages)]
        return None
    if not known:
        loaded |= {k: v for k, v in table.items() if k not in ("source", "status")}
    source, status = loaded.pop("source"), loaded.pop("status")
    return Rule(rule_id, source, status, loaded)


def _day(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _version_of(rule_id: str, table: Mapping[str, Any], versions: Any, stored: bool, on: dt.date | None,
                errors: list[str]) -> Rule | None:  # fmt: skip
    """The version of a rule in force on ``on`` (the newest when None), its periods checked."""
    if not isinstance(versions, list) or not versions or not all(isinstance(v, dict) for v in versions):
        errors.append(f"{rule_id}.versions: a list of tables, each with its since / until dates")
        return None
    common = {k: v for k, v in table.items() if k != "versions"}
    periods: list[tuple[dt.date | None, dt.date | None, Rule]] = []
    for index, version in enumerate(versions):
        since, until = version.get("since"), version.get("until")
        where = f".versions[{index}]"
        bad = [name for name, day in (("since", since), ("until", until)) if day is not None and not _day(day)]
        if bad:
            errors += [f"{rule_id}{where}.{name}: must be a date (YYYY-MM-DD)" for name in bad]
            continue
        if since is not None and until is not None and until < since:
            errors.append(f"{rule_id}{where}: until {until.isoformat()} is before since {since.isoformat()}")
            continue
        values = common | {k: v for k, v in version.items() if k not in ("since", "until")}
        said_of_version: list[str] = []
        rule = _rule_of(rule_id, values, stored, said_of_version, where)
        # A value every version shares is wrong once, at the rule's own key, not once a version.
        for line in said_of_version:
            key = line.removeprefix(f"{rule_id}{where}.").split(":", 1)[0].split(".", 1)[0]
            shared = key in common and key not in version
            line = f"{rule_id}.{line.removeprefix(f'{rule_id}{where}.')}" if shared else line
            if line not in errors:
                errors.append(line)
        if rule is not None:
            periods.append((since, until, rule))
    if len(periods) != len(versions):
        return None
    periods.sort(key=lambda p: p[0] or dt.date.min)
    for (_, until, _), (next_since, _, _) in itertools.pairwise(periods):
        if until is None or next_since is None or next_since <= until:
            overlap = f"{(next_since or dt.date.min).isoformat()}..{until.isoformat() if until else 'open'}"
            errors.append(f"{rule_id}.versions: periods overlap ({overlap}); each ends the day before the next begins")
            return None
        if next_since != until + dt.timedelta(days=1):
            errors.append(f"{rule_id}.versions: a gap from {(until + dt.timedelta(days=1)).isoformat()} "
                          f"to {(next_since - dt.timedelta(days=1)).isoformat()}: no version is in force then")  # fmt: skip
            return None
    if on is None:
        since, until, rule = periods[-1]
    else:
        found = [p for p in periods if (p[0] is None or p[0] <= on) and (p[1] is None or on <= p[1])]
        if not found:
            first, last = periods[0][0], periods[-1][1]
            bounds = f"from {first.isoformat()}" if first and on < first else f"until {last.isoformat() if last else ''}"
            errors.append(f"{rule_id}.versions: no version is in force on {on.isoformat()} (they run {bounds})")
            return None
        since, until, rule = found[0]
    return Rule(rule.id, rule.source, rule.status, rule.values, since, until, versioned=True)


def load(path: Traversable | str) -> Rules:
    """Load a rules file; a missing, malformed or invalid file raises :class:`RulesError`."""
    path = Path(path) if isinstance(path, str) else path
    return parse(read_toml(path, RulesError, "no such rules file"), path)


def kinds() -> list[str]:
    """The election kinds this installation has rules for (packaged, and the operator's)."""
    return names_in("rules")


@cache
def for_kind(kind: str, directory: Path | None = None) -> Rules:
    """The rules of an election kind: ``rules/<kind>.toml`` in ``directory``, else the file in force (cached)."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", kind):
        raise UnknownKind(f"{kind!r}: not an election kind name")
    if directory is None and kind not in kinds():
        raise UnknownKind(f"{kind!r}: no rules for this election kind (known: {', '.join(kinds())})")
    rules = load(directory / f"{kind}.toml" if directory is not None else config_file(f"rules/{kind}.toml"))
    if rules.kind != kind:
        raise RulesError(f"{rules.path}: kind: says {rules.kind!r}, the file name says {kind!r}")
    return rules


def _spoken(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"  # 1, not 1.0 nor 1E+0
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}/{value[1]}"  # a fraction, [1, 4] -> 1/4
    return str(value)


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
