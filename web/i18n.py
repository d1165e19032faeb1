"""Kazakh, Russian and English (Flask-Babel), and local time with its zone shown.

The language is, in this order: the one chosen with the switcher (kept in the session), the
signed-in officer's own, the browser's best match, Kazakh (the state language). Times are
shown in the election's local time (rule T1: the capital's, Asia/Almaty) with the offset
written out, because the law's cut-offs are local wall-clock times and officers and the
public read them beside UTC timestamps from other systems; web/words.py writes them.

English is the source language of the templates; ``web/translations/{kk,ru}`` hold the
catalogs (``.po`` and the compiled ``.mo``; a test keeps them in step).

The switcher is a link that leads back to the page it was clicked on. After a failed form
that page is the answer to a POST, whose URL answers nothing else: the link then leads to
the page the form was on, and a page that is not there (404) or not to be had that way (405)
says so in the reader's language.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from registrar.names import InLanguages
from registrar.rules_in_force import capital_zone

LANGUAGES = ("kk", "ru", "en")
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
DEFAULT_LANGUAGE = "kk"

bp = Blueprint("i18n", __name__)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=_language)
    app.register_blueprint(bp)
    app.register_error_handler(404, _page_error)
    app.register_error_handler(405, _page_error)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale,
                                 language_return_path=return_path)  # fmt: skip
    # A title or a name the CEC writes in each language is printed in the reader's, on every page.
    app.jinja_env.finalize = _in_reader_language


def _in_reader_language(value: Any) -> Any:
    return value.in_(str(get_locale())) if isinstance(value, InLanguages) else value


def _language() -> str:
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    own = _account_language()
    if own in LANGUAGES:
        return str(own)
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _account_language() -> str | None:
    try:
        from web.auth import current_account  # the signed-in officer's own choice
    except ImportError:
        return None
    account: Any = current_account()
    return getattr(account, "language", None) if account is not None else None


def zone() -> ZoneInfo:
    return capital_zone()


@bp.get("/language/<language>")
def set_language(language: str) -> ResponseReturnValue:
    # A GET that only keeps a preference in the visitor's own session: nothing to forge.
    if language in LANGUAGES:
        session["language"] = language
    target = _our_path(request.args.get("next") or "") or _our_path(request.referrer or "") or "/"
    return redirect(target if _answers_get(target) else page_above(target))


def return_path() -> str:
    """Where a language link leads back to: this page when it answers GET; after a failed form (the
    answer to a POST, whose URL answers nothing else) the page the form was on: the referrer when
    it is one of ours, else the nearest page above the form's action."""
    if request.method in ("GET", "HEAD"):
        return request.full_path if request.query_string else request.path
    referrer = _our_path(request.referrer or "")
    if referrer and _answers_get(referrer):
        return referrer
    return page_above(request.path)


def _our_path(target: str) -> str | None:
    """The path (and query) of a URL on this site, else None: the switcher must not become an open redirect."""
    parts = urlsplit(target)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != request.host):
        return None
    if (parts.scheme and not parts.netloc) or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _answers_get(target: str) -> bool:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(urlsplit(target).path, method="GET")
    except RequestRedirect:
        return True  # the same page with its trailing slash
    except (MethodNotAllowed, NotFound):
        return False
    return True


def page_above(target: str) -> str:
    """The nearest page above an address that answers GET (a form's action -> the form's page), or the home page."""
    path = urlsplit(target).path.rstrip("/")
    while path:
        path = path.rsplit("/", 1)[0]
        if path and _answers_get(path):
            return path
        if path and _answers_get(path + "/"):
            return path + "/"
    return "/"


def _page_error(error: HTTPException) -> ResponseReturnValue:
    """A page not there, or not to be had by GET, in the reader's language (the API keeps its JSON)."""
    if request.path.startswith("/api/"):
        from web.api.errors import http_error  # the API's one table of errors

        return http_error(error)
    if isinstance(error, MethodNotAllowed):
        title = _("This page cannot be opened this way")
        message = _("This address only receives a form. Go to the form's page and fill it in there.")
        return render_template("public/404.html", error_title=title, error_message=message, back=page_above(request.path)), 405
    return render_template("public/404.html"), 404
