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
    """A field's error in the reader's language (marshmallow's and the schemas' own are the catalogues').

    English words that came without their message id (marshmallow's own, under a schema that is not
    registrar's) are recognised by the catalogue's English; other words are shown as they came."""
    found = reasons.recognised(message) if isinstance(message, str) else None
    return found.said(language()) if found is not None else str(message)


# The catalogues' tables that name a form's choices (a field whose values are the rules' names).
CHOICE_TABLES = ("names.filers", "names.verification_results", "names.association_kinds", "names.education_levels",
                 "names.grounds", "names.documents", "names.milestones", "names.language_tests", "names.majority_of")  # fmt: skip


def choice(option: str) -> str | None:
    """A form's choice in the reader's words (a declaration's filer, a verification's result, a region by
    its code), or None where no catalogue names it."""
    book = reasons.catalogue(language())
    for table in CHOICE_TABLES:
        words = book.words.get(table, {})
        if option in words:
            return words[option]
    from registrar import territory

    try:
        return territory.current().unit(option).name_in(language())
    except (KeyError, LookupError):
        return None
