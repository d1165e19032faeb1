"""Kazakh, Russian and English (Flask-Babel), and local time with its zone shown.

The language is, in this order: the one chosen with the switcher (kept in the session), the
signed-in officer's own, the browser's best match, Kazakh (the state language). Times are
shown in the election's local time (rule T1: the capital's, Asia/Almaty) with the offset
written out, because the law's cut-offs are local wall-clock times and officers and the
public read them beside UTC timestamps from other systems.

English is the source language of the templates; ``web/translations/{kk,ru}`` hold the
catalogs (``.po`` and the compiled ``.mo``; a test keeps them in step).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint, Flask, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale

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
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale)


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


def local_time(moment: dt.datetime | str | None, style: str = "d MMMM y, HH:mm") -> str:
    """``30 тамыз 2029, 18:00 (UTC+05:00)``: the local wall clock in the reader's language, the offset beside it."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # instants are stored in UTC
    local = moment.astimezone(zone())
    offset = local.strftime("%z")
    return f"{format_datetime(local, style, tzinfo=zone(), locale=str(get_locale()))} (UTC{offset[:3]}:{offset[3:]})"


@bp.get("/language/<language>")
def set_language(language: str) -> ResponseReturnValue:
    # A GET that only keeps a preference in the visitor's own session: nothing to forge.
    if language in LANGUAGES:
        session["language"] = language
    return redirect(_same_site(request.args.get("next") or request.referrer or "/"))


def _same_site(target: str) -> str:
    """Only a path on this site: the switcher must not become an open redirect."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")
