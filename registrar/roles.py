"""Who may do what: the one place that says which role may fire which trigger or take which action.

The table is data, ``roles.toml`` (the package's, or the operator's): each action lists the
roles that may take it and the rule that says who decides. The web checks :func:`may` on every request that changes
something, the API too; the CLI is the operator's own and is not limited by role.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable
from typing import Any

from registrar.machines import ELECTION_TRIGGERS, TRIGGERS
from registrar.resources import InstallationError, config_file, read_toml

ROLES: tuple[str, ...] = ("public", "clerk", "commission", "revenue", "court", "auditor", "admin")
# Roles an account may have (the public needs none).
ACCOUNT_ROLES: tuple[str, ...] = ROLES[1:]

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
)
ACTIONS: tuple[str, ...] = (*TRIGGERS, *ELECTION_TRIGGERS, *OTHER_ACTIONS)


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
    table: Any = raw.get("actions", {})
    if not isinstance(table, dict):
        raise RolesError(f"{path}: actions: expected a table")
    grants = {}
    for action, entry in table.items():
        where = f"{path.name}: actions.{action}"
        if action not in ACTIONS:
            raise RolesError(f"{where}: not an action (known: {', '.join(ACTIONS)})")
        roles = entry.get("roles") if isinstance(entry, dict) else None
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise RolesError(f"{where}.roles: expected a list of roles")
        unknown = [r for r in roles if r not in ACCOUNT_ROLES]
        if unknown:
            raise RolesError(f"{where}.roles: unknown role {unknown[0]!r} (one of: {', '.join(ACCOUNT_ROLES)})")
        grants[action] = Grant(action, frozenset(roles), str(entry.get("rule", "")), str(entry.get("says", "")))
    return grants


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


def roles_for(action: str) -> frozenset[str]:
    grant = grants().get(action)
    return grant.roles if grant is not None else frozenset()
