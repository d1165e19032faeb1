"""The questions each officer's form asks, read from the payload schemas under the election's rules.

A form has one input for each field its schema loads, named by the field's dotted path in the
payload ("person.full_name", "declarations.0.filer"), so a form cannot drift from what the CLI and
the API accept. Where a rule limits a field's values (D1's filers, G3-G5's grounds) the schema's own
validator picks the choices; where the choices are records (the associations that may nominate, a
candidacy's unanswered requests, the units and candidates of the round counted) they come from
:mod:`registrar.officer_views`, which reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from registrar import machines, schemas
from registrar.rules import Rules
from web import words

Choices = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FormField:
    """One input of a form: ``name`` is its dotted path in the payload ("person.full_name",
    "declarations.0.filer"); ``kind`` is text, textarea, date, number, bool, select, checkboxes, or
    checkbox (a single box: true when ticked, false when not)."""

    name: str
    kind: str
    required: bool
    choices: Choices = ()
    integer: bool = False  # the payload wants a whole number, whatever the input looks like


# How many rows a list of records gets in a form (empty rows are left out of the payload).
LIST_ROWS = {"declarations": lambda rules: len(rules.D1.filers), "resolutions": lambda rules: 3}


def form_fields(schema: type[Schema], rules: Rules, prefix: str = "") -> list[FormField]:
    """The inputs of a form for ``schema``: nested schemas flattened, lists of records as numbered rows."""
    out: list[FormField] = []
    for key, field in schema().fields.items():
        name = f"{prefix}{key}"
        if isinstance(field, fields.Nested):
            out += form_fields(type(field.schema), rules, f"{name}.")
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            for row in range(LIST_ROWS.get(key, lambda r: 1)(rules)):
                out += form_fields(type(field.inner.schema), rules, f"{name}.{row}.")
        else:
            out.append(_input(name, field, rules))
    return out


def _input(name: str, field: fields.Field, rules: Rules) -> FormField:
    required = bool(field.required)
    one_of = next((v for v in field.validators if isinstance(v, validate.OneOf)), None)
    if one_of is not None:
        return FormField(name, "select", required, tuple((str(c), str(c)) for c in one_of.choices))
    if isinstance(field, fields.Boolean):
        return FormField(name, "bool", required)
    if isinstance(field, fields.Integer):
        return FormField(name, "number", required, integer=True)
    if isinstance(field, fields.Date):
        return FormField(name, "date", required)
    if isinstance(field, fields.List):
        return FormField(name, "checkboxes", required, _accepted(field.inner, rules))
    if field.validators and not any(isinstance(v, validate.Length | validate.Regexp) for v in field.validators):
        return FormField(name, "select", required, _accepted(field, rules))
    longest = max((v.max or 0 for v in field.validators if isinstance(v, validate.Length)), default=0)
    return FormField(name, "textarea" if longest > 300 else "text", required)


def _pool(rules: Rules) -> list[tuple[str, str]]:
    """Every value a rules-checked field may take somewhere: the schema's own validator picks its own."""
    values = [(f, f) for f in rules.D1.filers] + [(r["code"], r["name"]) for r in rules.value("D4.regions", [])]
    values += [(d, d) for d in rules.value("D6.documents", [])]
    values += [(g, g) for rid in ("G3", "G4", "G5") if rid in rules for g in getattr(rules, rid).grounds]
    return list(dict.fromkeys(values))


def _accepted(field: fields.Field, rules: Rules) -> Choices:
    token = schemas.current_rules.set(rules)
    try:
        chosen = []
        for value, text in _pool(rules):
            try:
                for check in field.validators:
                    check(value)
            except ValidationError:
                continue
            chosen.append((value, text))
        return tuple(chosen)
    finally:
        schemas.current_rules.reset(token)


def with_choices(form: list[FormField], choices: dict[str, Choices]) -> list[FormField]:
    """The form with the named inputs as selects of the choices given (records the schema cannot know)."""
    return [FormField(f.name, "select", f.required, choices[f.name], f.integer) if f.name in choices else f for f in form]


# --- A candidacy's actions and the decisions on an election ----------------------------------------


def trigger_fields(trigger: str, rules: Rules) -> list[FormField]:
    """The inputs of a candidacy's action, from its payload schema and the election's rules."""
    return form_fields(machines.TRIGGER_SCHEMAS[trigger], rules)


def action_fields(trigger: str, records: dict[str, Any]) -> list[FormField]:
    """A candidacy's action as its page offers it: ``records`` (:func:`registrar.officer_views.candidacy_records`)
    give the election's rules and the choices that are the candidacy's own records."""
    return with_choices(trigger_fields(trigger, records["rules"]), _record_choices(trigger, records))


def _record_choices(trigger: str, records: dict[str, Any]) -> dict[str, Choices]:
    """Fields whose choices are this candidacy's own records (the request to answer, the declaration verified)."""
    if trigger == "answer_information_request":
        unanswered = [r for r in records["information_requests"] if r["answered_at"] is None]
        return {"request_id": tuple((str(r["id"]), f"#{r['id']} {r['organisation']}") for r in unanswered)}
    if trigger == "record_declaration_verification":
        return {"filer": tuple((d["filer"], d["filer"]) for d in records["declarations"])}
    return {}


def decision_fields(trigger: str, rules: Rules) -> list[FormField]:
    """The inputs of a decision on the election (V4-V7), from its payload schema and the election's rules."""
    return form_fields(machines.ELECTION_SCHEMAS[trigger], rules)


# --- A territorial commission's protocol (V3) --------------------------------------------------------


# The votes' inputs are named by candidacy id ("votes.12"): a mapping, not rows of a list.
VOTES = ("votes",)


@dataclass(frozen=True)
class ProtocolForm:
    """The protocol form of the round being counted (``round`` None: no round is counted now).

    ``fields`` are ProtocolSchema's inputs with ``votes`` as one input per candidate on the
    round's ballot ("votes.<candidacy id>"), named in ``candidates``; ``unit`` offers the units
    whose protocol has not reached the CEC (a correction's unit comes from its address)."""

    round: int | None
    fields: list[FormField]
    candidates: dict[str, str]
    units: Choices


def protocol_form(counting: dict[str, Any], *, correction: bool = False) -> ProtocolForm:
    """The form for the round ``counting`` describes (:func:`registrar.officer_views.counting`)."""
    schema = schemas.ProtocolCorrectionSchema if correction else schemas.ProtocolSchema
    units = tuple((code, f"{words.unit_name(code)} ({code})") for code, _name in counting["missing_units"])
    out: list[FormField] = []
    for f in form_fields(schema, counting["rules"]):
        if f.name == "unit":
            if not correction:
                out.append(FormField("unit", "select", True, units))
        elif f.name == "votes":
            out += [FormField(f"votes.{cid}", "number", True, integer=True) for cid, _name in counting["ballot"]]
        elif f.kind == "bool":
            out.append(FormField(f.name, "checkbox", False))
        else:
            out.append(f)
    return ProtocolForm(counting["round"], out, {f"votes.{cid}": name for cid, name in counting["ballot"]}, units)


def protocol_values(protocol: dict[str, Any]) -> dict[str, str]:
    """A protocol's figures as a form's values (the correction form starts from the version in force)."""
    figures = ("voters_on_list", "ballots_issued", "ballots_cast", "invalid_ballots", "chair", "members_signed", "signed_on")
    values = {key: str(protocol[key]) for key in figures}
    values |= {f"votes.{cid}": str(n) for cid, n in protocol["votes"].items()}
    values["against_all"] = "" if protocol["against_all"] is None else str(protocol["against_all"])
    values |= {flag: "true" for flag in ("void", "violations") if protocol[flag]}
    return values


# --- Dates asked as day, month and year ------------------------------------------------------------

# The three boxes of a date input are named "<field>.day", "<field>.month", "<field>.year".
DATE_PARTS = ("day", "month", "year")


def dates_from(form: MultiDict[str, str], fields: list[FormField]) -> tuple[MultiDict[str, str], dict[str, list[str]]]:
    """The form with each date typed in three boxes as the ISO date the schema reads, and the dates
    that cannot be one (a part missing, 31 February) as field errors. A date posted whole (the
    API's way, "2026-11-20") is kept as posted; a date left wholly empty stays empty."""
    out, errors = MultiDict(form), {}
    for f in fields:
        if f.kind != "date" or form.get(f.name, "").strip():
            continue
        parts = {part: form.get(f"{f.name}.{part}", "").strip() for part in DATE_PARTS}
        if not any(parts.values()):
            continue
        composed, problem = _composed(parts)
        if problem:
            errors[f.name] = [problem]
        else:
            out[f.name] = composed
    return out, errors


def _composed(parts: dict[str, str]) -> tuple[str, str]:
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        names = {"day": _l("a day"), "month": _l("a month"), "year": _l("a year")}
        return "", str(_l("The date must include %(parts)s.", parts=", ".join(str(names[m]) for m in missing)))
    if not all(parts[p].isdigit() for p in DATE_PARTS) or len(parts["year"]) != 4:
        return "", str(_l("Enter the date as numbers: day, month and a year of four digits."))
    try:
        return dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"])).isoformat(), ""
    except ValueError:
        return "", str(_l("Enter a real date: there is no such day."))


def date_parts(value: Any) -> dict[str, str]:
    """A date's three boxes as the form shows them: from an ISO date ("2026-11-20"), else empty."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return dict.fromkeys(DATE_PARTS, "")
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
