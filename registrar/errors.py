"""What can go wrong with an action, in words an officer can act on.

Each error carries a stable ``code`` the web layer maps to an HTTP status and the CLI prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


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
    """The trigger does not apply in the current state (or phase)."""

    code = "not_allowed"

    def __init__(self, trigger: str, state: str, why: str = ""):
        self.trigger, self.state = trigger, state
        super().__init__(why or f"{trigger!r} is not allowed while the candidacy is {state!r}")


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
        return super().as_dict() | {"unmet": [{"rule": u.rule, "reason": u.reason} for u in self.unmet]}
