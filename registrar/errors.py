"""What can go wrong with an action, in words an officer can act on.

Each error carries a stable ``code`` the web layer maps to an HTTP status and the CLI prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from registrar import reasons


class RegistrarError(Exception):
    code = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self)}


class NotFound(RegistrarError):
    code = "not_found"


class InvalidPayload(RegistrarError):
    """The payload did not validate; nothing was written. ``errors`` maps each field to its messages."""

    code = "invalid"

    def __init__(self, errors: Mapping[str, Any]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {_text(msgs)}" for field, msgs in self.errors.items()))

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {"errors": self.errors}


def _text(messages: Any) -> str:
    if isinstance(messages, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in messages.items())
    if isinstance(messages, list | tuple):
        return " ".join(_text(m) for m in messages)
    return str(messages)


class NotAllowed(RegistrarError):
    """The trigger does not apply in the current state (or phase).

    Why, as a message id of the catalogues' [reasons] with its parameters (rendered in English
    for the exception's text), or as English words ``why`` where the caller has only those."""

    code = "not_allowed"

    def __init__(self, trigger: str, state: str, why: str = "", *, message: str = "", params: Mapping[str, Any] | None = None):
        self.trigger, self.state = trigger, state
        if not why and not message:
            message, params = "not_allowed.candidacy", {"trigger": trigger, "state": state}
        self.message, self.params = message, dict(params or {})
        super().__init__(why or reasons.render(message, self.params, "en"))

    def said(self, language: str) -> str:
        """Why, in ``language``."""
        return reasons.render(self.message, self.params, language) if self.message else str(self)

    def as_dict(self) -> dict[str, Any]:
        if not self.message:
            return super().as_dict()
        return super().as_dict() | {"why": {"message": self.message, "params": reasons.as_json(self.params)}}


class StaleVersion(RegistrarError):
    """Optimistic lock: the record changed since the caller read it."""

    code = "stale_version"

    def __init__(self, expected: int, current: int):
        self.expected, self.current = expected, current
        super().__init__(f"the record is at version {current}, not {expected}: reload it and decide again")


class GuardFailed(RegistrarError):
    """The law's conditions for the trigger are not met; every unmet one is listed with its rule id."""

    code = "unmet_conditions"

    def __init__(self, trigger: str, unmet: Sequence[Any]):
        self.trigger, self.unmet = trigger, list(unmet)
        super().__init__(f"{trigger} refused: " + "; ".join(str(u) for u in self.unmet))

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {"unmet": [_unmet(u) for u in self.unmet]}


def _unmet(unmet: Any) -> dict[str, Any]:
    # The rule and the English reason as before; the message id and its parameters for a client
    # that says it in its reader's language; the field, where the reason is about one.
    out = {"rule": unmet.rule, "reason": unmet.reason}
    if getattr(unmet, "message", ""):
        out |= {"message": unmet.message, "params": reasons.as_json(unmet.params)}
    if getattr(unmet, "field", ""):
        out["field"] = unmet.field
    return out
