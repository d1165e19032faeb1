"""The order of the reader's alphabet, for lists of names.

Kazakh pages list names in the Kazakh alphabet (А Ә Б В Г Ғ Д Е Ё Ж З И Й К Қ Л М Н Ң О Ө П Р С Т
У Ұ Ү Ф Х Һ Ц Ч Ш Щ Ъ Ы І Ь Э Ю Я), Russian pages in the Russian one with the Kazakh letters after
their nearest Russian ones. Neither database knows those orders everywhere (SQLite has no such
collation, PyICU is not installed), so a list sorted by name is ordered by :func:`sort_key`.
"""

from __future__ import annotations

import unicodedata

__all__ = ["ALPHABETS", "fold", "sort_key"]


def fold(text: str) -> str:
    """A name as it is compared: NFC, lower-cased, its runs of spaces one space."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


# The alphabets names are sorted in, by the language of the page.
ALPHABETS = {
    "kk": "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя",
    "ru": "аәбвгғдеёжзиійкқлмнңоөпрстуұүфхһцчшщъыьэюя",
}
_RANKS = {language: {letter: rank for rank, letter in enumerate(letters, 1)} for language, letters in ALPHABETS.items()}
_AFTER = 1 + max(len(letters) for letters in ALPHABETS.values())


def sort_key(name: str, language: str) -> tuple[tuple[int, int], ...]:
    """``name`` as the reader's alphabet orders it: a space before every letter ("Ан Б" before "Ана"),
    the alphabet's letters in its order, any other character after them in Unicode's (Latin on
    a page in English: Unicode's order throughout)."""
    ranks = _RANKS.get(language, {})
    return tuple((0, 0) if c == " " else (ranks[c], 0) if c in ranks else (_AFTER, ord(c)) for c in fold(name))
