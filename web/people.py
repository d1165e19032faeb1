"""Who did what, in words: the actor of an audit event or a message, a role, and the audit chain's verdict.

An actor is written down as the code that acted knew it: ``user:<login>`` (an officer on the
web), ``token:<login>/<token name>`` (a machine client), ``system:deadlines`` (the sweep),
``cli`` (the operator at the console), ``demo:clerk`` (the demo's or a test's stand-in for a
role). The pages show the officer's display name and role, "the deadline engine", the
operator; a stand-in as the account it stands for when there is one (``demo:clerk`` is
``demo-clerk``), else its role. Templates call :func:`actor_label`, :func:`role_label` and
:func:`verdict_label` (registered app-wide by :data:`bp`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import web
from registrar import accounts
from registrar.accounts import Account
from registrar.audit import Verdict
from web.words import count

bp = Blueprint("people", __name__)

ROLE_NAMES: dict[str, Any] = {
    "clerk": _l("CEC staff"),
    "commission": _l("Member of the CEC"),
    "revenue": _l("State revenue authorities"),
    "court": _l("Supreme Court"),
    "territorial": _l("Territorial election commission"),
    "auditor": _l("Auditor"),
    "admin": _l("Accounts administrator"),
    "importer": _l("Loading of past elections"),
    "public": _l("The public"),
}

# Actors that are no officer.
MACHINES: dict[str, Any] = {
    "system": _l("The deadline engine"),
    "sweep": _l("The deadline engine"),
    "cli": _l("The operator, at the command line"),
    "demo": _l("The demonstration data"),
    "ministry": _l("Ministry of Justice"),
    "anonymous": _l("Not logged in"),
}


def role_label(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


def _people() -> dict[str, Account]:
    """Every account by login, read once a request (an audit page names a hundred actors)."""
    if "people" not in g:
        g.people = {account.login: account for account, _disabled in accounts.list_accounts(web.database())}
    people: dict[str, Account] = g.people
    return people


def person_label(login: str) -> str:
    """``Aigul Sadykova (CEC staff)``: the account's display name (else its login) and role in words."""
    account = _people().get(login)
    if account is None:
        return login
    return _("%(name)s (%(role)s)", name=account.full_name or account.login, role=role_label(account.role))


def actor_label(actor: str | None) -> str:
    """An audit event's or a message's actor in words (the module says which forms there are)."""
    if not actor:
        return ""
    kind, _sep, rest = actor.partition(":")
    if kind == "user" and rest:
        return person_label(rest)
    if kind == "token" and rest:
        login, _slash, token = rest.partition("/")
        return _("%(person)s, by the API token “%(token)s”", person=person_label(login), token=token)
    if kind in ("system", "sweep", "cli", "anonymous"):
        return str(MACHINES[kind])
    if rest:
        # A stand-in for a role ("demo:clerk"): the account it stands for, else the role.
        for login in (f"{kind}-{rest}", rest):
            if login in _people():
                return person_label(login)
        if rest in ROLE_NAMES:
            return role_label(rest)
        if rest in MACHINES:
            return str(MACHINES[rest])
    if actor in MACHINES:
        return str(MACHINES[actor])
    return person_label(actor) if actor in _people() else actor


_NUMBERS = re.compile(r"\d+")


def verdict_label(verdict: Verdict) -> str:
    """What :func:`registrar.audit.verify` found, in words: the chain intact, or the first event that is not."""
    if verdict.ok:
        return _("The audit chain is intact: all %(count)s events match their hashes.", count=count(verdict.events))
    seq = str(verdict.first_bad or "")
    checked = count(verdict.events)
    if "missing" in verdict.problem:
        return _("Event %(seq)s is missing: the chain is cut there. The %(count)s events before it are intact.",
                 seq=seq, count=checked)  # fmt: skip
    if "does not follow" in verdict.problem:
        return _("Event %(seq)s does not follow the event before it: an event was removed or inserted. "
                 "The %(count)s events before it are intact.", seq=seq, count=checked)  # fmt: skip
    if "altered" in verdict.problem:
        return _("Event %(seq)s was altered: its content does not match its hash. The %(count)s events before it are intact.",
                 seq=seq, count=checked)  # fmt: skip
    if "chain ends" in verdict.problem:
        appended = _NUMBERS.findall(verdict.problem)[-1:] or [""]
        return _("The chain ends at event %(count)s, but %(appended)s were appended: the last events were removed.",
                 count=checked, appended=appended[0])  # fmt: skip
    return _("The audit chain is broken at event %(seq)s.", seq=seq)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"actor_label": actor_label, "role_label": role_label, "verdict_label": verdict_label, "ROLE_NAMES": ROLE_NAMES}
