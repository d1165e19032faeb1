"""Who may do what: the one place that says which role may fire which trigger or take which action.

The table is data, ``roles.toml`` (the package's, or the operator's): [actors] gives the account
roles that act for each body a step names as taking it (``Step.by``), so a step's roles follow
from its one declaration; [actions] lists the roles of every other action with the rule that
says who decides. The web checks :func:`may` on every request that changes something, the API
too; the CLI is the operator's own and is not limited by role. Whose duty a deadline is follows
too: the roles of the steps or actions the kind waits for (its ``duty``, :func:`deadline_roles`).
Whose account must have a second factor when the operator requires one is the file's
[second_factor] (:func:`second_factor_roles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable
from typing import Any

from registrar.deadlines import DEADLINES
from registrar.machines import ELECTION_TRIGGERS, STEPS_BY_TRIGGER, TRIGGERS
from registrar.resources import InstallationError, config_file, read_toml

ROLES: tuple[str, ...] = ("public", "clerk", "commission", "revenue", "court", "territorial", "auditor", "admin", "importer")
# Roles an account may have (the public needs none).
ACCOUNT_ROLES: tuple[str, ...] = ROLES[1:]
# Roles whose account is tied to one territorial unit (UserAccount.unit, a code of the territory
# file): a territorial election commission's officer acts for its own commission, never another's
# (V3: each commission sends its own protocol), and owes its own unit's part of a duty only.
UNIT_ROLES: frozenset[str] = frozenset({"territorial"})

# Actions that are not a candidacy's trigger.
OTHER_ACTIONS: tuple[str, ...] = (
    "announce_election",
    "set_milestone",
    "extend_nomination",
    "nominate",
    "register_association",
    "rename_association",
    "record_voter_count",
    "read_audit",
    "manage_accounts",
    "submit_protocol",
    "correct_protocol",
    "attach_document",
    "read_documents",
    "date_actions",
)
ACTIONS: tuple[str, ...] = (*TRIGGERS, *ELECTION_TRIGGERS, *OTHER_ACTIONS)

# A step's rule and words are declared once, with the step; who takes it (``Step.by``) is
# mapped to account roles by the roles file's [actors].
ACTORS: tuple[str, ...] = tuple(dict.fromkeys(step.by for steps in STEPS_BY_TRIGGER.values() for step in steps))


class RolesError(InstallationError, ValueError):
    """A roles file that cannot be used, with the key and the reason."""


@dataclass(frozen=True)
class Grant:
    action: str
    roles: frozenset[str]
    rule: str
    says: str


def load(path: Traversable | None = None) -> dict[str, Grant]:
    """Read and check a roles file (by default the one in force): every role and every action must be known."""
    path = path if path is not None else config_file("roles.toml")
    raw = read_toml(path, RolesError, "no such roles file")
    actors: Any = raw.get("actors", {})
    if not isinstance(actors, dict):
        raise RolesError(f"{path}: actors: expected a table")
    missing = [actor for actor in ACTORS if actor not in actors]
    if missing:
        raise RolesError(f"{path.name}: actors: the steps name {', '.join(missing)}: give their roles")
    strangers = [actor for actor in actors if actor not in ACTORS]
    if strangers:
        raise RolesError(f"{path.name}: actors.{strangers[0]}: no step is taken by it (steps name: {', '.join(ACTORS)})")
    acting = {actor: _roles(f"{path.name}: actors.{actor}", roles) for actor, roles in actors.items()}
    table: Any = raw.get("actions", {})
    if not isinstance(table, dict):
        raise RolesError(f"{path}: actions: expected a table")
    grants = {}
    for action, entry in table.items():
        where = f"{path.name}: actions.{action}"
        if action in STEPS_BY_TRIGGER:
            raise RolesError(f"{where}: a step: who takes it is declared with the step (registrar/machines.py), "
                             "its roles under [actors]")  # fmt: skip
        if action not in ACTIONS:
            raise RolesError(f"{where}: not an action (known: {', '.join(OTHER_ACTIONS)})")
        roles = _roles(f"{where}.roles", entry.get("roles") if isinstance(entry, dict) else None)
        grants[action] = Grant(action, roles, str(entry.get("rule", "")), str(entry.get("says", "")))
    for trigger, steps in STEPS_BY_TRIGGER.items():
        roles = frozenset().union(*(acting.get(step.by, frozenset()) for step in steps))
        grants[trigger] = Grant(trigger, roles, steps[0].rule, steps[0].says)
    return grants


def _roles(where: str, roles: Any) -> frozenset[str]:
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise RolesError(f"{where}: expected a list of roles")
    unknown = [r for r in roles if r not in ACCOUNT_ROLES]
    if unknown:
        raise RolesError(f"{where}: unknown role {unknown[0]!r} (one of: {', '.join(ACCOUNT_ROLES)})")
    return frozenset(roles)


@cache
def grants() -> dict[str, Grant]:
    return load()


def may(role: str, action: str) -> bool:
    """May someone of ``role`` take ``action`` (a trigger or one of :data:`OTHER_ACTIONS`)?"""
    grant = grants().get(action)
    return grant is not None and role in grant.roles


@cache
def triggers_for(role: str) -> frozenset[str]:
    """The candidacy triggers ``role`` may fire."""
    return frozenset(t for t in TRIGGERS if may(role, t))


def officer_roles() -> tuple[str, ...]:
    """The account roles of people: all but another system's that loads past elections (date_actions)."""
    loading = roles_for("date_actions")
    return tuple(role for role in ACCOUNT_ROLES if role not in loading)


def roles_for(action: str) -> frozenset[str]:
    grant = grants().get(action)
    return grant.roles if grant is not None else frozenset()


@cache
def deadline_roles() -> dict[str, frozenset[str]]:
    """Who owes each deadline kind: the roles of the steps or actions it waits for (the dashboard
    shows an officer the deadlines of their role). Read from the roles in force when first asked."""
    # A role that dates actions loads what happened long ago: it owes nothing due now.
    loading = roles_for("date_actions")
    return {name: frozenset().union(*map(roles_for, kind.duty)) - loading for name, kind in DEADLINES.items()}


def load_second_factor(path: Traversable | None = None) -> frozenset[str]:
    """The roles of a roles file's [second_factor]: whose accounts need a second factor when the
    operator requires one. The table must be there (``roles = []``: none), so that a copy made
    before it existed is refused with the reason rather than quietly requiring nobody's."""
    path = path if path is not None else config_file("roles.toml")
    table: Any = read_toml(path, RolesError, "no such roles file").get("second_factor")
    if not isinstance(table, dict):
        raise RolesError(f"{path.name}: second_factor: expected a table with the roles whose accounts need a second "
                         "factor when the operator requires one (roles = [] for none)")  # fmt: skip
    return _roles(f"{path.name}: second_factor.roles", table.get("roles"))


@cache
def second_factor_roles() -> frozenset[str]:
    return load_second_factor()
