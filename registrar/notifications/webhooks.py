"""How a webhook goes: a signed JSON ``POST``, and how its receiver checks the signature.

A webhook is a JSON ``POST`` of ``{"delivery", "topic", "recipient", "payload", "message"}``
(``message``: the rendered subject and body in the contact's language). Its headers::

    X-Registrar-Delivery:  the delivery key (percent-encoded where it is not ASCII)
    X-Registrar-Timestamp: unix seconds when it was sent
    X-Registrar-Signature: "sha256=" + hex(HMAC-SHA256(secret, f"{timestamp}.{body}"))

where ``body`` is the exact request body (UTF-8 bytes) and ``secret`` the contact's secret.
Receivers recompute the HMAC over the raw body, compare in constant time, and refuse a
timestamp far from their clock (a replayed request); :func:`verify_signature` does all
three with the standard library only and may be copied as it is. A delivery sent again
carries the same ``delivery``, which receivers de-duplicate on. Any 2xx answer is success;
redirects are not followed (a moved endpoint is an error to fix, not to guess).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from registrar.notifications.messages import Text


class Refused(Exception):
    """The endpoint answered, but not with a 2xx; the message is its status and the start of its answer."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under the contact's secret."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str, timestamp: str | int, body: bytes | str, signature: str, now: float | None = None, tolerance: float = 300
) -> bool:
    """For receivers (standard library only, copy it as it is): is the request Registrar's, and fresh?

    ``timestamp`` and ``signature`` are the X-Registrar-Timestamp and X-Registrar-Signature
    headers, ``body`` the raw request body, ``now`` unix seconds (default: the clock). A
    request older or newer than ``tolerance`` seconds is refused, so a captured one cannot be
    replayed later; de-duplicate what passes on the delivery key.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = "sha256=" + hmac.new(secret.encode(), f"{sent_at}.".encode() + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip())


def webhook_body(delivery_key: str, topic: str, recipient: str, payload: dict[str, Any], text: Text) -> bytes:
    document = {"delivery": delivery_key, "topic": topic, "recipient": recipient, "payload": payload,
                "message": {"language": text.language, "subject": text.subject, "body": text.body}}  # fmt: skip
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx then surfaces as an HTTPError: a failed attempt


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, *, secret: str, delivery_key: str, timeout: float) -> str:
    """Send ``body`` signed with ``secret``: the 2xx status it was answered with, else :class:`Refused`."""
    timestamp = int(time.time())  # the receiver's replay window is on its real clock, not on the delivery's `now`
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "registrar-notifications",
            "X-Registrar-Delivery": urllib.parse.quote(delivery_key, safe=":/@!$&'()*+,;=-._~"),
            "X-Registrar-Timestamp": str(timestamp),
            "X-Registrar-Signature": sign(secret, timestamp, body),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as err:
        with err:
            excerpt = err.read(200).decode("utf-8", "replace").strip()
        raise Refused(f"HTTP {err.code} {err.reason}" + (f": {excerpt}" if excerpt else "")) from None
