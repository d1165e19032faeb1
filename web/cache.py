"""Public pages from a cache, as long as nothing public has changed since they were rendered.

The public reads the same few pages, the published list above all, far more often than
anything changes, and every change to what it may see is an event in the audit trail. So a
page rendered for an anonymous reader is kept, per address and language, with the audit
trail's revision (:func:`registrar.public.revision`, one primary-key read, at most once a
second per process): a request whose revision matches is answered from the cache (or with
304 when the browser has it, by ETag). A change thus reaches the public within a second.

Not cached: officers' requests (their header shows their account), a reader with a message
waiting in the session, any answer but 200, and any answer that sets a cookie. A page that
shows the time (the phase now, today's marker) is kept at most :data:`MAX_AGE` seconds, so a
cut-off is not hidden by a quiet audit trail.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from registrar import public
from web import database

MAX_AGE = 30.0  # seconds
# How long a process trusts the revision it last read (config REGISTRAR_PUBLIC_REVISION_SECONDS):
# a public page may lag a change by this much, and the database is asked at most this often.
REVISION_SECONDS = 1.0
SIZE = 256  # pages per process: the addresses are few; random query strings must not grow it


@dataclass(frozen=True)
class _Page:
    revision: int
    expires: float
    body: bytes
    headers: list[tuple[str, str]]


class _Pages:
    """One app's pages (each app has its own database, so its own revisions)."""

    def __init__(self) -> None:
        self.pages: OrderedDict[tuple[str, str], _Page] = OrderedDict()
        self.lock = threading.Lock()
        self.revision, self.read_at = 0, float("-inf")

    def current_revision(self) -> int:
        trusted = float(current_app.config.get("REGISTRAR_PUBLIC_REVISION_SECONDS", REVISION_SECONDS))
        now = time.monotonic()
        if now - self.read_at >= trusted:
            self.revision, self.read_at = public.revision(database()), now
        return self.revision

    def get(self, key: tuple[str, str]) -> _Page | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: tuple[str, str], page: _Page) -> None:
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > SIZE:
                self.pages.popitem(last=False)


def _of_this_app() -> _Pages:
    pages: _Pages = current_app.extensions.setdefault("registrar.public_pages", _Pages())
    return pages


def cached(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> ResponseReturnValue:
        if not _anonymous():
            return view(**kwargs)
        pages = _of_this_app()
        revision = pages.current_revision()
        key = (request.full_path, str(get_locale()))
        page = pages.get(key)
        if page is None or page.revision != revision or page.expires < time.monotonic():
            response = make_response(view(**kwargs))
            if response.status_code != 200 or response.headers.get("Set-Cookie") or session.modified:
                return response
            page = _Page(revision, time.monotonic() + MAX_AGE, response.get_data(), list(response.headers.items()))
            pages.put(key, page)
        answer = Response(page.body, headers=page.headers)
        answer.set_etag(f"r{page.revision}-{key[1]}")
        answer.headers["Cache-Control"] = "no-cache"  # the browser may keep it, and asks each time (304)
        answer.vary.update(("Accept-Language", "Cookie"))
        return answer.make_conditional(request)

    return wrapper


def _anonymous() -> bool:
    from web.auth import current_account

    return current_account() is None and not session.get("_flashes")
