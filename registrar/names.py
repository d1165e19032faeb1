"""A name the CEC writes in each language of the pages: an election's title, an association's name.

The CEC publishes its resolutions in Kazakh and Russian (and its site in English), so a title is
entered once per language; a read model carries it as :class:`InLanguages`, a ``str`` (the text
as entered: what is searched, sorted, sent as ``title`` to the API and written to the audit) that
also knows its versions by language. The web renders it in the reader's language wherever a
template prints it (``web.i18n``: Jinja's ``finalize``), so no page has to remember to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LANGUAGES", "InLanguages", "in_languages"]

# The languages of the pages: Kazakh (the state language), Russian, English.
LANGUAGES = ("kk", "ru", "en")


class InLanguages(str):
    by_language: dict[str, str]

    def __new__(cls, text: str, by_language: Mapping[str, Any] | None = None) -> InLanguages:
        name = super().__new__(cls, text)
        name.by_language = {lang: str(value) for lang, value in (by_language or {}).items() if value}
        return name

    def __reduce__(self) -> tuple[Any, ...]:  # cached read models are pickled
        return (InLanguages, (str(self), self.by_language))

    def in_(self, language: str) -> str:
        """The name in ``language``; the one entered when it was not given in that language."""
        return self.by_language.get(language) or str(self)


def in_languages(text: str | None, by_language: Mapping[str, Any] | None = None) -> InLanguages:
    """A name read from a row (``text`` may be missing where a join found nothing: then empty)."""
    return InLanguages(text or "", by_language)
