"""Between an HTML form and a payload: the typed values into the payload the schemas check, the
registrar's errors back onto the fields that caused them, and the words the forms show.

The form's input names are the payload's dotted paths ("person.full_name", "declarations.0.filer");
the fields come from the schemas (:func:`web.questions.form_fields`), so a form cannot drift from
what the CLI and the API accept.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from registrar.errors import GuardFailed, InvalidPayload, NotAllowed, RegistrarError, StaleVersion
from web import reasons
from web.questions import FormField

INTEGER = re.compile(r"^-?\d+$")


def payload_from(form: MultiDict[str, str], fields: list[FormField], mappings: Collection[str] = ()) -> dict[str, Any]:
    """The payload the form's values make; empty inputs are left out (the schema then names a missing
    required field, or uses its default), rows of a list left wholly empty are dropped.

    Numbered parts make a list ("declarations.0.filer"), except under the names in ``mappings``,
    whose numbers are keys ("votes.12": the votes for candidacy 12)."""
    out: dict[str, Any] = {}
    for field in fields:
        if field.kind == "checkbox":
            _put(out, field.name.split("."), form.get(field.name) == "true")
            continue
        if field.kind == "checkboxes":
            chosen = [v for v in form.getlist(field.name) if v]
            if chosen:
                _put(out, field.name.split("."), chosen)
            continue
        raw = form.get(field.name, "").strip()
        if raw:
            _put(out, field.name.split("."), _typed("number" if field.integer else field.kind, raw))
    return _lists(out, "", frozenset(mappings))


def _typed(kind: str, raw: str) -> Any:
    # What cannot be read as the type goes on as typed, so the schema names the field and the reason.
    if kind == "number" and INTEGER.match(raw):
        return int(raw)
    if kind == "bool" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _put(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def _lists(node: Any, path: str, mappings: frozenset[str]) -> Any:
    if not isinstance(node, dict):
        return node
    if node and path not in mappings and all(key.isdigit() for key in node):
        return [_lists(node[key], f"{path}.{key}".lstrip("."), mappings) for key in sorted(node, key=int)]
    return {key: _lists(value, f"{path}.{key}".lstrip("."), mappings) for key, value in node.items()}


def flat(errors: Mapping[Any, Any], prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {dotted field name: [messages]}, in the reader's language."""
    out: dict[str, list[str]] = {}
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flat(value, f"{name}."))
        elif isinstance(value, list | tuple):
            texts = [reasons.field_error(v) for v in value if not isinstance(v, Mapping)]
            for nested in (v for v in value if isinstance(v, Mapping)):
                out.update(flat(nested, f"{name}."))
            if texts:
                out.setdefault(name, []).extend(texts)
        else:
            out.setdefault(name, []).append(reasons.field_error(value))
    return out


def errors_of(err: RegistrarError, subject: str = "candidacy") -> dict[str, list[str]]:
    """A registrar error as form errors: per field, or on the whole form ("_schema") with the rule ids.

    ``subject`` is what a stale version was read from: "candidacy" or "election"."""
    if isinstance(err, InvalidPayload):
        return flat(err.errors)
    if isinstance(err, GuardFailed):
        # A reason about one field (a decision's date) is shown beside it; the others on the whole form.
        out: dict[str, list[str]] = {}
        for u in err.unmet:
            out.setdefault(getattr(u, "field", "") or "_schema", []).append(reasons.unmet(u))
        return out
    if isinstance(err, StaleVersion) and subject == "election":
        return {
            "_schema": [str(_l("Someone changed this election since you opened the page. Reload it, check, and decide again."))]
        }
    if isinstance(err, StaleVersion):
        return {
            "_schema": [str(_l("Someone changed this candidacy since you opened the page. Reload it, check, and decide again."))]
        }
    if isinstance(err, NotAllowed):
        return {"_schema": [str(_l("This action is not possible now: %(why)s", why=reasons.not_allowed(err)))]}
    return {"_schema": [str(err)]}


def onto(errors: dict[str, list[str]], fields: list[FormField]) -> dict[str, list[str]]:
    """Each error on an input the form shows: a message about a part of an input ("votes.12.value")
    on that input, one about a part no input stands for ("votes.99") on its group, the rest on the
    whole form under the words of the field they came with."""
    shown = {f.name for f in fields} | {".".join(f.name.split(".")[:i]) for f in fields for i in range(1, f.name.count(".") + 1)}
    out: dict[str, list[str]] = {}
    for name, messages in errors.items():
        parts = name.split(".")
        target = next((".".join(parts[:i]) for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in shown), None)
        if target is None or name == "_schema":
            # Named in words, as the form's labels name it, not by the payload's path ("votes.99").
            out.setdefault("_schema", []).extend(messages if name == "_schema" else [f"{label(name)}: {m}" for m in messages])
        else:
            out.setdefault(target, []).extend(messages)
    return out


def values_of(form: MultiDict[str, str]) -> dict[str, Any]:
    """What was typed, to show again: lists for repeated names (checkboxes)."""
    return {key: (values if len(values) > 1 else values[0]) for key, values in form.lists()}


def label(name: str) -> str:
    """The words for a field, by its full name or its last part ("declarations.0.filer" -> "Filer")."""
    if name in LABELS:
        return str(LABELS[name])
    parts = [p for p in name.split(".") if not p.isdigit()]
    return str(LABELS.get(parts[-1], parts[-1].replace("_", " ").capitalize()))


def labels_for(fields: list[FormField]) -> dict[str, str]:
    out = {f.name: label(f.name) for f in fields}
    for f in fields:
        parts = f.name.split(".")
        for i in range(1, len(parts)):
            out.setdefault(".".join(parts[:i]), label(".".join(parts[:i])))
    return out


LABELS: dict[str, Any] = {
    # Elections
    "id": _l("Identifier (for addresses, e.g. kz-2029)"), "title": _l("Title"), "kind": _l("Kind"),
    "titles": _l("Title of the election"), "titles.kk": _l("In Kazakh"), "titles.ru": _l("In Russian"),
    "titles.en": _l("In English (optional)"), "names": _l("Name in each language"), "names.kk": _l("In Kazakh"),
    "names.ru": _l("In Russian"), "names.en": _l("In English (optional)"),
    "announced_on": _l("Announced on"), "election_day": _l("Election day"), "registered_voters": _l("Registered voters"),
    "voters_counted_on": _l("Voters counted on"), "resolutions": _l("CEC resolutions setting milestones"),
    "milestone": _l("Milestone"), "value": _l("New date and time (local), e.g. 2029-09-25T18:00"),
    "adopted_on": _l("Adopted on"), "days": _l("Days"),
    # Nomination
    "association_id": _l("Nominating association"), "person": _l("The nominee"), "decision": _l("The nomination decision"),
    "full_name": _l("Full name"), "birth_date": _l("Date of birth"), "citizen_by_birth": _l("Citizen by birth"),
    "resident_since": _l("Resident in Kazakhstan since"), "education_level": _l("Education (e.g. higher)"),
    "public_service_months": _l("Months in public service or elected office"),
    "legally_incompetent": _l("Declared legally incompetent by a court"),
    "detained_by_court_order": _l("Held in detention by court order"),
    "unexpunged_criminal_record": _l("Unexpunged criminal record"),
    "presidential_terms_served": _l("Presidential terms served"), "married": _l("Married"),
    "position": _l("Position"), "place_of_work": _l("Place of work"), "place_of_residence": _l("Place of residence"),
    "body": _l("Supreme body"), "meeting_on": _l("Meeting on"), "members": _l("Members"), "present": _l("Present"),
    "votes_for": _l("Votes for"), "minutes_number": _l("Minutes number"),
    # Candidacy actions
    "declarations": _l("Declarations"), "filer": _l("Filer"), "valued_as_of": _l("Valued as of"),
    "filed_on": _l("Filed on"), "revenue_office": _l("Revenue office"), "receipt_number": _l("Receipt number"),
    "organisation": _l("Organisation"), "subject": _l("What is asked"), "request_id": _l("Request"),
    "answer": _l("Answer"), "institution": _l("Medical institution"), "number": _l("Number"),
    "issued_on": _l("Issued on"), "fit": _l("Fit for office"), "decided_on": _l("Decided on"),
    "linguists": _l("Linguists on the commission"), "fluent": _l("Fluent in the state language"),
    "region": _l("Region"), "commission": _l("Territorial commission"), "signed_on": _l("Signed on"),
    "submitted": _l("Signatures submitted"), "valid": _l("Valid signatures"), "amount": _l("Amount (tenge)"),
    "paid_on": _l("Paid on"), "received_on": _l("Received on"), "reference": _l("Reference"),
    "reason": _l("Reason"), "grounds": _l("Grounds"), "result": _l("Result"), "verified_on": _l("Verified on"),
    "case_number": _l("Case number"), "_schema": _l("The form"),
    # Protocols (V3) and the decisions after the vote
    "unit": _l("Territorial unit"), "voters_on_list": _l("Voters on the list"), "ballots_issued": _l("Ballots issued"),
    "ballots_cast": _l("Ballots cast (found in the boxes)"), "invalid_ballots": _l("Invalid ballots"),
    "votes": _l("Votes for each candidate"), "against_all": _l("Votes against all"),
    "chair": _l("Chair of the commission"), "members_signed": _l("Members who signed"),
    "void": _l("The vote in this unit was declared void (V7)"), "violations": _l("Violations were found in this unit (V7)"),
    "voting_day": _l("Voting day"),
}  # fmt: skip
