"""Every failure of the API as JSON: ``{"code": <stable>, "message": ..., ...}``.

registrar's exceptions carry their own code and details; HTTP errors (a malformed body, an
unknown path, a missing If-Match) get a code named after what went wrong. One table, so a
client can switch on ``code`` and a status never depends on which view raised it.

Field errors come twice: ``errors``, per field the English words the API has always sent, and
``field_errors``, the same tree with each message as ``{"message": <catalogue id>, "params": {...},
"text": <the words>}``, so a client says it in its reader's language as it does ``unmet`` reasons:
whoever wrote them (registrar's schemas, or marshmallow under flask-smorest's own argument parsing).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from registrar import reasons
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed, NotFound, RegistrarError, StaleVersion

STATUS: dict[type[RegistrarError], int] = {
    NotFound: 404,
    NotAllowed: 409,
    StaleVersion: 409,
    InvalidPayload: 422,
    GuardFailed: 422,
}
HTTP_CODES = {
    400: "malformed",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    412: "precondition_required",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    428: "precondition_required",
}


def json_error(status: int, code: str, message: str, **details: Any) -> Response:
    response = jsonify({"code": code, "message": message, **details})
    response.status_code = status
    return response


def registrar_error(error: RegistrarError) -> Response:
    body = error.as_dict()
    if isinstance(error, NotAllowed):
        body |= {"state": error.state, "trigger": error.trigger}
    elif isinstance(error, StaleVersion):
        body |= {"current_version": error.current, "expected_version": error.expected}
    elif isinstance(error, GuardFailed):
        body |= {"trigger": error.trigger, "rules": sorted({u.rule for u in error.unmet})}
    elif isinstance(error, InvalidPayload):
        body |= {"field_errors": reasons.said_tree(error.errors)}
    status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 400)
    response = jsonify(body)
    response.status_code = status
    return response


def http_error(error: HTTPException) -> Response | HTTPException:
    if not request.path.startswith("/api/"):
        return error  # the pages' own (HTML) error
    status = error.code or 500
    # webargs puts the per-field messages of a query string that did not validate here.
    messages = getattr(error, "data", {}).get("messages") if isinstance(getattr(error, "data", None), dict) else None
    details: dict[str, Any] = {}
    if messages:
        details = {"errors": _flatten(messages), "field_errors": reasons.said_tree(_flatten(messages))}
    return json_error(status, HTTP_CODES.get(status, "error" if status >= 500 else "http_error"), error.description or "",
                      **details)  # fmt: skip


def _flatten(messages: Any) -> Any:
    # {"query": {"limit": [...]}} -> {"limit": [...]}: the client knows where it put the field.
    if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in ("query", "json", "headers", "form"):
        return next(iter(messages.values()))
    return messages
