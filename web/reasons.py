"""The registrar's reasons and field errors in the reader's language (the page's locale).

The domain says why by message ids with parameters (:mod:`registrar.reasons`); a page says it in
the words of the language it is shown in. An error that came with English words only (a record
refused by a module that has no message id for it yet) is shown as it came.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale

from registrar import reasons
from registrar.eligibility import Unmet
from registrar.errors import NotAllowed


def language() -> str:
    """The reader's language: the page's locale (kk, ru or en)."""
    locale = get_locale()
    return locale.language if locale is not None else "kk"


def unmet(reason: Unmet) -> str:
    """An unmet rule as a form shows it: "N5: <the reason in the reader's language>"."""
    return f"{reason.rule}: {reason.said(language())}"


def not_allowed(err: NotAllowed) -> str:
    """Why the action is not possible now, in the reader's language."""
    return err.said(language())


def field_error(message: Any) -> str:
    """A field's error in the reader's language (marshmallow's and the schemas' own are the catalogues')."""
    if isinstance(message, reasons.Said):
        return message.said(language())
    return str(message)
