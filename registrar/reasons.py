"""A reason in the reader's words: a message id and its parameters, rendered in kk, ru or en.

The domain says why it refuses by a message id (``"N5.already_nominated"``) and parameters
(``{"association": "Amanat", "others": 1}``); the words are the catalogues'
(``messages/<language>.toml``: ``[reasons]`` for what the law's conditions and gates say,
``[field_errors]`` for what a payload's field is told). Templates are ``str.format``'s:

- ``{day}``: a date, a time, a number or a name, shown the language's way: dates and numbers by
  Babel (English keeps the ISO dates the code has always written), a name through the words
  tables (a parameter's name says which: ``state`` through [states], ``document`` through
  [names.documents] ...), a list of them joined;
- ``{age:year|years}``: the number with the noun in the plural form the language's rule picks
  (Babel's plural categories, in the order one, few, many, other for Russian; one, other else);
- ``{state!r}``, ``{phases:raw}``, ``{phase:plain}``: the identifier as the code spells it (quoted,
  as is, underscores as spaces), for the English texts the API and the CLI have always sent;
- ``{until:dat}``, ``{since:abl}``, ``{day:loc}``, ``{decided:attr}``: in Kazakh, the date, moment or
  number with its case ending ("2029 жылғы 25 қыркүйекке", "18:00-ден", "1 қазандағы").

A reason's parameters are plain values (str, int, date, datetime, lists, and nested reasons as
``{"message": id, "params": {...}}``), so they go to an API client as JSON (:func:`as_json`).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from registrar.resources import InstallationError, config_file, read_toml

__all__ = [
    "LANGUAGES",
    "Said",
    "as_json",
    "catalogue",
    "from_json",
    "moment_in",
    "recognised",
    "render",
    "said",
    "said_tree",
    "unmet_text",
    "words_for",
]

LANGUAGES = ("kk", "ru", "en")
TABLES = ("reasons", "field_errors")

# Which words table shows a parameter, by the parameter's name. A name not listed is shown as given.
WORDS_OF: dict[str, str] = {
    "state": "states",
    "states": "states",
    "phase": "phases",
    "phases": "phases",
    "trigger": "actions",
    "known": "actions",
    "document": "names.documents",
    "documents": "names.documents",
    "filer": "names.filers",
    "filers": "names.filers",
    "kind": "names.association_kinds",
    "kinds": "names.association_kinds",
    "milestone": "names.milestones",
    "tests": "names.language_tests",
    "education": "names.education_levels",
    "levels": "names.education_levels",
    "majority_of": "names.majority_of",
    "state_language": "names.languages",
    "grounds": "names.grounds",
    "ground": "names.grounds",
    "ground_name": "names.disqualifying",
    "obj_type": "names.obj_types",
    "awareness": "names.awareness",
    "result": "names.verification_results",
}
# Territorial units and D4's regions by their codes, named as the territory file names them.
UNITS = frozenset({"unit", "units", "region", "regions"})
# marshmallow's "one of" lists whatever the field allows: each choice is looked up in every table.
ANY_TABLE = frozenset({"choices"})
# Babel's plural categories, in the order a template lists its forms.
PLURAL_ORDER = {"ru": ("one", "few", "many", "other")}
DEFAULT_PLURAL_ORDER = ("one", "other")
DATE_PATTERNS = {"kk": "y 'жылғы' d MMMM", "ru": "d MMMM y 'г.'"}


class ReasonsError(InstallationError, ValueError):
    """A catalogue whose reasons cannot be used; names the file and the key."""


@dataclass(frozen=True)
class Book:
    language: str
    texts: Mapping[str, Mapping[str, str]]  # reasons / field_errors: {id: template}
    words: Mapping[str, Mapping[str, str]]  # states, phases, actions, names.*: {name: words}


def _tables(raw: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    words: dict[str, dict[str, str]] = {}
    for table in ("states", "phases", "actions", "deadlines"):
        if isinstance(raw.get(table), dict):
            words[table] = {k: v for k, v in raw[table].items() if isinstance(v, str)}
    for table, given in raw.get("names", {}).items():
        words[f"names.{table}"] = {k: v for k, v in given.items() if isinstance(v, str)}
    return words


@cache
def catalogue(language: str) -> Book:
    """The reasons and field errors of ``messages/<language>.toml``, with its words tables."""
    path = config_file(f"messages/{language}.toml")
    raw = read_toml(path, ReasonsError, f"no messages for language {language!r}")
    texts: dict[str, dict[str, str]] = {}
    for table in TABLES:
        given = raw.get(table)
        if not isinstance(given, dict):
            raise ReasonsError(f"{path}: [{table}]: expected a table of message ids")
        for key, text in given.items():
            if not isinstance(text, str) or not text.strip():
                raise ReasonsError(f"{path}: {table}.{key}: expected a non-empty string")
        texts[table] = dict(given)
    return Book(language, texts, _tables(raw))


def placeholders(template: str) -> set[str]:
    """The parameters a template names."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def words_for(table: str, name: str, language: str) -> str:
    """A name in words (``words_for("names.filers", "spouse", "kk")``), or the name if the table has none."""
    return catalogue(_language(language)).words.get(table, {}).get(name, name)


def _language(language: str) -> str:
    short = (language or "kk").split("_")[0].split("-")[0].lower()
    return short if short in LANGUAGES else "kk"


@dataclass(frozen=True)
class _Param:
    name: str
    raw: Any


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        return _Unfilled(key)


@dataclass(frozen=True)
class _Unfilled:
    name: str


class _Formatter(string.Formatter):
    def __init__(self, book: Book):
        self.book = book

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        return _Param(str(key), kwargs[str(key)])

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if isinstance(value, _Param) and conversion == "r":
            return repr(value.raw)
        if isinstance(value, _Param) and conversion == "s":
            return str(value.raw)
        return value

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, _Param):
            if isinstance(value.raw, _Unfilled):
                return "{" + value.raw.name + "}"
            return _show(self.book, value.name, value.raw, format_spec)
        return format(value, format_spec)


def _number(book: Book, value: Any) -> str:
    if book.language == "en":
        return f"{value:,}"
    return str(format_decimal(value, locale=book.language))


def _plural(book: Book, count: int, forms: list[str]) -> str:
    order = PLURAL_ORDER.get(book.language, DEFAULT_PLURAL_ORDER)
    category = Locale.parse(book.language).plural_form(count)
    form = forms[order.index(category)] if category in order and order.index(category) < len(forms) else forms[-1]
    return f"{_number(book, count)} {form}"


def _date(book: Book, day: dt.date) -> str:
    pattern = DATE_PATTERNS.get(book.language)
    return day.isoformat() if pattern is None else str(format_date(day, pattern, locale=book.language))


def moment_in(moment: dt.datetime, language: str) -> str:
    """An instant (in the capital's time) as ``language`` writes it in a sentence."""
    return _moment(catalogue(_language(language)), moment)


def _moment(book: Book, moment: dt.datetime) -> str:
    # Instants reach here in the capital's time (T1); English keeps the offset it has always shown,
    # the other languages say the date and the clock the reader keeps.
    if book.language == "en":
        return moment.strftime("%Y-%m-%d %H:%M %z").strip()
    return f"{_date(book, moment.date())}, {moment:%H:%M}"


def _word(book: Book, name: str, value: str) -> str:
    if name in ANY_TABLE:
        # marshmallow joins the choices into one text ("national, regional, local")
        return ", ".join(_any_word(book, choice) for choice in value.split(", "))
    table = WORDS_OF.get(name)
    if table is not None and value in book.words.get(table, {}):
        return book.words[table][value]
    return value.replace("_", " ") if table is not None or name in ANY_TABLE else value


def _unit(book: Book, code: str) -> str:
    from registrar import territory  # the territory file is read only where a unit is named

    try:
        return territory.current().unit(code).name_in(book.language)
    except (KeyError, LookupError):
        return code


def _any_word(book: Book, value: str) -> str:
    for table in book.words.values():
        if value in table:
            return table[value]
    return value


# Kazakh case endings (the dative, ablative, locative and the locative's attribute, "-дағы"), written on
# a date, a moment or a number as the language says them: after the last word's last sound and vowel.
KK_CASES = ("dat", "abl", "loc", "attr")
_KK_BACK, _KK_FRONT = set("аоұыяё"), set("әөүіеэи")
_KK_VOICELESS = set("кқпстфхцчшщ") | set("бвгд")  # б в г д are unvoiced at a word's end
_KK_NASAL = set("мнң")
# The last word of a number as it is said, by its last digits: 0 нөл, 1 бір ... 40 қырық, 50 елу.
_KK_UNITS = ("нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз")
_KK_TENS = ("", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан")


def _kk_spoken(text: str) -> str:
    """The last word of ``text`` as said: a number's last word in words, else the last word."""
    digits = re.search(r"(\d+)\D*$", text)
    if digits and not re.search(r"[^\W\d_]\s*$", text):
        number = int(digits.group(1))
        if number % 10:
            return _KK_UNITS[number % 10]
        if number == 0:
            return _KK_UNITS[0]
        if number % 100:
            return _KK_TENS[(number % 100) // 10]
        return "жүз" if number % 1000 else "мың"
    words = re.findall(r"[^\W\d_]+", text)
    return words[-1].lower() if words else ""


def kk_case(text: str, case: str) -> str:
    """``text`` with the Kazakh ending of ``case`` (dat, abl, loc, attr); a number takes it after a hyphen."""
    word = _kk_spoken(text)
    if not word or case not in KK_CASES:
        return text
    vowels = [c for c in word if c in _KK_BACK | _KK_FRONT]
    back = not vowels or vowels[-1] in _KK_BACK
    last = word[-1]
    if case == "dat":
        ending = ("қа" if back else "ке") if last in _KK_VOICELESS else ("ға" if back else "ге")
    elif case == "abl":
        first = "т" if last in _KK_VOICELESS else "н" if last in _KK_NASAL else "д"
        ending = first + ("ан" if back else "ен")
    else:
        ending = ("т" if last in _KK_VOICELESS else "д") + ("а" if back else "е")
        if case == "attr":
            ending += "ғы" if back else "гі"
    return f"{text}-{ending}" if text[-1:].isdigit() else text + ending


def _show(book: Book, name: str, value: Any, spec: str = "") -> str:
    if spec in KK_CASES:
        # Only Kazakh declines a date or a number; another language's template has no such spec.
        shown = _show(book, name, value)
        return kk_case(shown, spec) if book.language == "kk" else shown
    if spec in ("raw", "plain"):
        # The identifier as the code spells it ("plain": its underscores as spaces), for English
        # texts that have always said it so.
        items = value if isinstance(value, list | tuple) else [value]
        text = ", ".join(str(item) for item in items)
        return text.replace("_", " ") if spec == "plain" else text
    if "|" in spec and isinstance(value, int):
        return _plural(book, value, spec.split("|"))
    if isinstance(value, Mapping) and "message" in value:
        return _render(book, "reasons", str(value["message"]), value.get("params", {}))
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, Mapping) and "message" in v for v in value):
            return "; ".join(_show(book, name, v) for v in value)
        return ", ".join(_show(book, name, v) for v in value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        return _moment(book, value)
    if isinstance(value, dt.date):
        return _date(book, value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, int | Decimal | float):
        return _number(book, value)
    if isinstance(value, str) and name in UNITS:
        return _unit(book, value)
    if isinstance(value, str):
        return _word(book, name, value)
    return str(value)


def _render(book: Book, table: str, message: str, params: Mapping[str, Any]) -> str:
    template = book.texts[table].get(message)
    if template is None:
        english = catalogue("en").texts[table].get(message)
        if english is None:
            return message
        template = english
    return _Formatter(book).vformat(template, (), _Missing(params))


def render(message: str, params: Mapping[str, Any] | None = None, language: str = "en", *, table: str = "reasons") -> str:
    """The words of ``message`` in ``language`` (kk, ru or en; another is read as kk), its parameters filled.

    A message the catalogue lacks falls back to English, and an id no catalogue has is shown as given."""
    return _render(catalogue(_language(language)), table, message, params or {})


class Said(str):
    """A field's error as the catalogue's message id and parameters; as a string, its English words.

    marshmallow keeps a message that is a string and fills its template with ``format``: a Said's
    ``format`` keeps the values as parameters, so the web can say the same in the reader's language."""

    message: str
    params: dict[str, Any]

    def __new__(cls, message: str, params: Mapping[str, Any] | None = None) -> Said:
        values = dict(params or {})
        self = super().__new__(cls, render(message, values, "en", table="field_errors"))
        self.message, self.params = message, values
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.message, self.params)

    def format(self, *args: Any, **kwargs: Any) -> Said:
        return Said(self.message, kwargs)

    def said(self, language: str) -> str:
        return render(self.message, self.params, language, table="field_errors")


def said(message: str, **params: Any) -> Said:
    """A field error by its message id: ``said("protocol.none_yet", unit="ABA")``."""
    return Said(message, params)


@cache
def field_error_ids() -> dict[str, str]:
    """Each English field-error template by its text as marshmallow writes it (no conversions or
    specs: "{choices}"), to recognise marshmallow's own messages."""
    bare = re.compile(r"\{(\w+)(?:![rs])?(?::[^}]*)?\}")
    return {bare.sub(r"{\1}", text): key for key, text in catalogue("en").texts["field_errors"].items()}


@cache
def _english_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    # Each English field-error template as a pattern whose groups are its parameters, the templates
    # with the most fixed words first ("Not a valid integer." before "Not a valid {obj_type}.").
    field = re.compile(r"\{(\w+)(?:![rs])?(?::[^}]*)?\}")
    found = []
    for key, text in catalogue("en").texts["field_errors"].items():
        parts, names, at = [], set(), 0
        for match in field.finditer(text):
            parts.append(re.escape(text[at : match.start()]))
            name = match.group(1)
            parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
            names.add(name)
            at = match.end()
        parts.append(re.escape(text[at:]))
        found.append((len(field.sub("", text)), re.compile("^" + "".join(parts) + "$", re.DOTALL), key))
    return tuple((pattern, key) for _, pattern, key in sorted(found, key=lambda f: -f[0]))


def recognised(text: str) -> Said | None:
    """A field error's English words (marshmallow's own, a library's that uses marshmallow) as the
    catalogue's message with its parameters, or None for words no catalogue has."""
    if isinstance(text, Said):
        return text
    for pattern, key in _english_patterns():
        match = pattern.match(text)
        if match:
            params = {k: int(v) if re.fullmatch(r"-?\d+", v) else v for k, v in match.groupdict().items()}
            return Said(key, params)
    return None


def said_tree(errors: Any) -> Any:
    """Field errors (marshmallow's nested messages) with each message as ``{"message", "params", "text"}``:
    what a client needs to say it in its reader's language; ``message`` is None for words no catalogue has."""
    if isinstance(errors, Mapping):
        return {str(key): said_tree(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [said_tree(value) for value in errors]
    text = str(errors)
    found = recognised(text) if isinstance(errors, str) else None
    if found is None:
        return {"message": None, "params": {}, "text": text}
    return {"message": found.message, "params": as_json(found.params), "text": text}


def as_json(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON values: dates and instants ISO-8601, fractions "n/d", numbers as numbers."""
    return {key: _json(value) for key, value in params.items()}


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def from_json(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as :func:`as_json` wrote them (an outbox payload's), with their dates and instants back,
    so a notification says them the reader's way; an instant in the capital's time (T1)."""
    return {key: _revived(value) for key, value in params.items()}


def _revived(value: Any) -> Any:
    if isinstance(value, str) and _DAY.match(value):
        return dt.date.fromisoformat(value)
    if isinstance(value, str) and _INSTANT.match(value):
        from registrar.rules_in_force import capital_zone

        return dt.datetime.fromisoformat(value).astimezone(capital_zone())
    if isinstance(value, Mapping):
        return {str(k): _revived(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revived(v) for v in value]
    return value


def unmet_text(unmet: Sequence[Mapping[str, Any]], language: str) -> str:
    """Unmet rules as the API and the outbox carry them ({rule, reason, message, params}), in ``language``."""
    said = (f"{u.get('rule', '')}: " + (render(str(u["message"]), from_json(u.get("params", {})), language)
                                        if u.get("message") else str(u.get("reason", ""))) for u in unmet)  # fmt: skip
    return "; ".join(said)


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value
