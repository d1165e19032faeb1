"""The territorial units of an election: per region, its commission and its voters (``territory.toml``).

Why a file of its own: the regions are law (D4 lists them in the rules file), but the number
of voters on a reference date and the make-up of each territorial commission are facts of one
election, published by the CEC and revised between elections. So this file adds per region
code what D4 (its share of the voters), V3 (one protocol per territorial commission, signed by
its members) and V7 (a quarter of the units) count, and what the pages and the protocols call
the unit and its commission in each language of the readers (kk, ru, en). Loading checks that
the two files speak of the same regions: a unit the rules do not know, or a region without a
unit, would silently change D4's total.

The country changes: regions are formed (Abai, Jetisu and Ulytau on 8 June 2022) and cities
renamed (Astana, Nur-Sultan from 2019 to 2022, Astana again). A unit may say when it came into
being or ceased (``since`` / ``until``, with the act as ``source``), and name its former names
with their dates (``former_names``): its code is its identity through them. An election is held
over the units in force on the day it is announced (:func:`on`, :func:`of_election`), named as
they were then; the loader checks, on every day the file or D4's regions change, that the two
agree.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Any, cast

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from registrar.resources import InstallationError, config_file, packaged, read_toml
from registrar.rules import Rules, _flatten, for_kind, kinds

TERRITORY_FILE = packaged("territory.toml")
ENVIRONMENT_VARIABLE = "REGISTRAR_TERRITORY"
# The readers' languages (those of registrar.notifications.messages.LANGUAGES, which a test
# compares); each unit and commission is named in every one of them.
LANGUAGES = ("kk", "ru", "en")


class TerritoryError(InstallationError, ValueError):
    """A territory file that cannot be used, with the file, the key and the reason."""


@dataclass(frozen=True)
class Unit:
    """One region (D4) with its territorial election commission (V3) and its voters on the reference date.

    ``names`` and ``commissions`` are the official names in the order of :data:`LANGUAGES`.
    """

    code: str
    names: tuple[str, ...]
    commissions: tuple[str, ...]
    members: int
    voters: int

    def name_in(self, language: str) -> str:
        """The unit's name in ``language`` (kk, ru or en)."""
        return self.names[_index(language)]

    def commission_in(self, language: str) -> str:
        """The name of the unit's territorial election commission in ``language`` (kk, ru or en)."""
        return self.commissions[_index(language)]

    @property
    def name(self) -> str:
        """The English name: what the logs, the CLI and the English pages print."""
        return self.name_in("en")

    @property
    def commission(self) -> str:
        """The commission's English name."""
        return self.commission_in("en")


def _index(language: str) -> int:
    try:
        return LANGUAGES.index(language)
    except ValueError:
        raise KeyError(f"no names in the language {language!r} (known: {', '.join(LANGUAGES)})") from None


@dataclass(frozen=True)
class Territory:
    """Every unit of the election, in the order of the D4 regions."""

    reference_date: dt.date
    units: tuple[Unit, ...]

    def unit(self, code: str) -> Unit:
        for unit in self.units:
            if unit.code == code:
                return unit
        raise KeyError(f"no territorial unit with the code {code!r} (known: {', '.join(self.codes)})")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(unit.code for unit in self.units)

    @property
    def voters(self) -> int:
        """The voters of all units on the reference date: D4's share is taken of this sum."""
        return sum(unit.voters for unit in self.units)


def _count() -> fields.Integer:
    # strict: a count written as "7" or 7.0 or true is a typo, not a number to coerce.
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


# A name in every language of the readers, none missing or empty (and no other language).
_NamesSchema = Schema.from_dict(
    {language: fields.String(required=True, validate=validate.Length(min=1)) for language in LANGUAGES}, name="Names"
)


class _PeriodSchema(Schema):
    """When a unit, or one of its names, was in force: ``since`` / ``until`` (inclusive, either open)
    and the act that made or ended it (``source``, required with either date)."""

    class Meta:
        unknown = RAISE

    since = fields.Date()
    until = fields.Date()
    source = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until < since:
            raise ValidationError(f"until {until.isoformat()} is before since {since.isoformat()}", "until")
        if (since is not None or until is not None) and not data.get("source"):
            raise ValidationError("required with since or until: the act that changed the territory", "source")


class _FormerNameSchema(_PeriodSchema):
    name = fields.Nested(_NamesSchema, required=True)
    commission = fields.Nested(_NamesSchema, required=True)
    until = fields.Date(required=True)  # a former name ended; the unit's `name` is the one after it


class _UnitSchema(_PeriodSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2,5}$"))
    name = fields.Nested(_NamesSchema, required=True)
    commission = fields.Nested(_NamesSchema, required=True)
    members = _count()
    voters = _count()
    former_names = fields.List(fields.Nested(_FormerNameSchema))


class _TerritorySchema(Schema):
    class Meta:
        unknown = RAISE

    reference_date = fields.Date(required=True)
    units = fields.List(fields.Nested(_UnitSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _unique_codes(self, data: dict[str, Any], **_: Any) -> None:
        # A code is a unit's identity through its names: two units of one code would be one
        # unit counted twice (or a code reused for another place, which no act does).
        codes = [unit["code"] for unit in data.get("units", [])]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValidationError(f"codes repeat: {', '.join(repeated)}", "units")


@dataclass(frozen=True)
class _Dated:
    """One unit through time: when it was in force, and its names (with their periods) then."""

    code: str
    since: dt.date | None
    until: dt.date | None
    namings: tuple[tuple[dt.date | None, dt.date | None, tuple[str, ...], tuple[str, ...]], ...]
    members: int
    voters: int

    def holds(self, day: dt.date | None) -> bool:
        return _within(day, self.since, self.until)

    def on(self, day: dt.date | None) -> Unit:
        for since, until, names, commissions in self.namings:
            if _within(day, since, until):
                return Unit(self.code, names, commissions, self.members, self.voters)
        raise AssertionError(f"{self.code}: no name on {day}")  # the loader gave every day of the unit a name


def _within(day: dt.date | None, since: dt.date | None, until: dt.date | None) -> bool:
    """``day`` in [since, until]; None: the newest, in force when nothing ended it."""
    if day is None:
        return until is None
    return (since is None or since <= day) and (until is None or day <= until)


@dataclass(frozen=True)
class Country:
    """Every unit the file knows, each with its period and its names through time."""

    reference_date: dt.date
    units: tuple[_Dated, ...]

    def on(self, day: dt.date | None) -> Territory:
        """The units in force on ``day`` (None: the newest), named as they were then."""
        return Territory(self.reference_date, tuple(unit.on(day) for unit in self.units if unit.holds(day)))

    def changes(self) -> list[dt.date]:
        """The days on which a unit came, went or was renamed."""
        days = {d for unit in self.units for d in (unit.since, _after(unit.until)) if d is not None}
        days |= {d for unit in self.units for since, until, *_ in unit.namings for d in (since, _after(until)) if d}
        return sorted(days)


def _after(day: dt.date | None) -> dt.date | None:
    return day + dt.timedelta(days=1) if day is not None else None


def _languages(names: dict[str, str]) -> tuple[str, ...]:
    return tuple(names[language] for language in LANGUAGES)


def _dated(unit: dict[str, Any], errors: list[str]) -> _Dated:
    code, since, until = unit["code"], unit.get("since"), unit.get("until")
    namings: list[tuple[dt.date | None, dt.date | None, tuple[str, ...], tuple[str, ...]]] = []
    begins = since
    for former in sorted(unit.get("former_names", []), key=lambda f: f["until"]):
        if former.get("since", begins) != begins:
            errors.append(f"units ({code}): former_names: {former['name']['en']} begins "
                          f"{_day(former.get('since'))}, the name before it ends {_day(_before(begins))}")  # fmt: skip
        namings.append((former.get("since", begins), former["until"], _languages(former["name"]),
                        _languages(former["commission"])))  # fmt: skip
        begins = former["until"] + dt.timedelta(days=1)
    if until is not None and namings and namings[-1][1] is not None and namings[-1][1] >= until:
        errors.append(f"units ({code}): former_names: a name ends {_day(namings[-1][1])}, on or after the unit ({_day(until)})")
    namings.append((begins, until, _languages(unit["name"]), _languages(unit["commission"])))
    return _Dated(code, since, until, tuple(namings), unit["members"], unit["voters"])


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "open"


def _before(day: dt.date | None) -> dt.date | None:
    return day - dt.timedelta(days=1) if day is not None else None


def _regions(rules: Rules) -> list[str] | None:
    regions = rules.get("D4")
    return [region["code"] for region in regions.regions] if regions is not None else None


def parse_country(
    document: dict[str, Any], path: Traversable, rules_on: Callable[[dt.date | None], Rules], *, check: bool = True
) -> Country:
    """Validate a parsed territory document; ``rules_on(day)`` gives a kind's rules as in force on
    ``day`` (None: the newest), whose D4 regions the units in force that day must be.

    Checked on each day the territory or D4's regions change, and on the newest: units the rules
    do not know that day, or a region without a unit, would change D4's total. A kind whose rules
    list no regions (no D4) has nothing to check against: its units are the file's, in its order.
    """
    try:
        loaded = _TerritorySchema().load(document)
    except ValidationError as err:
        raise TerritoryError(f"{path}: " + "; ".join(_naming_units(_flatten(err.messages), document))) from None
    errors: list[str] = []
    units = [_dated(unit, errors) for unit in loaded["units"]]
    if errors:
        raise TerritoryError(f"{path}: " + "; ".join(errors))
    newest = rules_on(None)
    order = _regions(newest) or [unit.code for unit in units]
    # The D4 order of the newest rules; a unit since abolished keeps its place in the file after them.
    units.sort(key=lambda u: order.index(u.code) if u.code in order else len(order) + loaded["units"].index(
        next(x for x in loaded["units"] if x["code"] == u.code)))  # fmt: skip
    country = Country(loaded["reference_date"], tuple(units))
    if not check:
        return country  # an election's stored copy: checked when it was announced
    versioned = newest.get("D4")
    changes = set(country.changes())
    if versioned is not None and versioned.versioned:
        changes |= set(_rule_changes(rules_on))
    ordered = sorted(changes)
    # The newest first (named with no day: it holds today), then each period between changes,
    # a disagreement named once with the period it first holds for.
    today = _disagreements(country.on(None), _regions(newest))
    if today:
        errors.append("units: " + "; ".join(today))
    days = [*([ordered[0] - dt.timedelta(days=1)] if ordered else []), *ordered]  # the first: all before the first change
    found = [_disagreements(country.on(day), _regions(rules_on(day))) for day in days]
    for problem in dict.fromkeys(p for problems in found for p in problems if p not in today):
        first = next(i for i, problems in enumerate(found) if problem in problems)
        last = next((i - 1 for i in range(first, len(days)) if problem not in found[i]), len(days) - 1)
        begins = f"from {days[first].isoformat()}" if first > 0 else ""
        ends = f"until {(days[last + 1] - dt.timedelta(days=1)).isoformat()}" if last + 1 < len(days) else ""
        errors.append(f"units {' '.join(filter(None, (begins, ends))) or 'on every day'}: {problem}")
    if errors:
        raise TerritoryError(f"{path}: " + "; ".join(errors))
    return country


def _disagreements(units: Territory, regions: list[str] | None) -> list[str]:
    if regions is None:
        return []
    unknown = [code for code in units.codes if code not in regions]
    missing = [code for code in regions if code not in units.codes]
    return [*([f"codes not among the D4 regions: {', '.join(unknown)}"] if unknown else []),
            *([f"D4 regions without a unit: {', '.join(missing)}"] if missing else [])]  # fmt: skip


def _rule_changes(rules_on: Callable[[dt.date | None], Rules]) -> list[dt.date]:
    """The days D4's regions change, found from the version in force on the newest and each day
    before its ``since`` (a chain of versions, each ``since`` the day after the one before's ``until``)."""
    found: list[dt.date] = []
    rule = rules_on(None).get("D4")
    while rule is not None and rule.since is not None:
        found.append(rule.since)
        rule = rules_on(rule.since - dt.timedelta(days=1)).get("D4")
    return found


def parse(document: dict[str, Any], path: Traversable, rules: Rules) -> Territory:
    """:func:`parse_country` against one set of ``rules`` (every day: no D4 versions), the newest units."""
    return parse_country(document, path, lambda _day: rules).on(None)


def _naming_units(messages: Iterable[str], document: dict[str, Any]) -> Iterator[str]:
    """``units.4.name.ru: ...`` as ``units.4 (ATY): name.ru: ...``: the reader looks for the unit by its code."""
    units = document.get("units")
    for message in messages:
        found = re.match(r"units\.(\d+)\.(.*)", message, re.DOTALL)
        index = int(found.group(1)) if found else -1
        unit = units[index] if isinstance(units, list) and 0 <= index < len(units) else None
        code = unit.get("code") if isinstance(unit, dict) else None
        yield f"units.{index} ({code}): {found.group(2)}" if found and isinstance(code, str) else message


def load(path: Traversable | str = TERRITORY_FILE, rules: Rules | None = None) -> Territory:
    """The newest units of a territory file; a missing, malformed or invalid one raises :class:`TerritoryError`."""
    return load_country(path, rules).on(None)


def load_country(path: Traversable | str = TERRITORY_FILE, rules: Rules | None = None) -> Country:
    """Load a territory file through time.

    ``rules`` gives the D4 regions the units must match (on every day); by default, those of every
    election kind whose rules list regions, each as in force on the day checked, since one
    country's units serve each of its elections.
    """
    path = Path(path) if isinstance(path, str) else path
    document = read_toml(path, TerritoryError, "no such territory file")
    if rules is not None:
        return parse_country(document, path, lambda _day: rules)
    regional = [kind for kind in kinds() if for_kind(kind).has("D4")]
    if not regional:
        raise TerritoryError(f"{path}: no election kind's rules list the regions (D4) its units stand for")
    for other in regional[1:]:
        parse_country(document, path, _rules_of(other))
    return parse_country(document, path, _rules_of(regional[0]))


def _rules_of(kind: str) -> Callable[[dt.date | None], Rules]:
    from registrar.rules_in_force import in_force  # it reads the election model; the model reads no territory

    return lambda day: in_force(kind, on=day).rules


@functools.cache
def country() -> Country:
    """The territory in force through time: the file REGISTRAR_TERRITORY names, else ``territory.toml`` in force (cached)."""
    return load_country(_file_in_force())


@functools.cache
def on(day: dt.date | None) -> Territory:
    """The units in force on ``day``, as they were named then (None: the newest)."""
    return country().on(day)


def current() -> Territory:
    """The newest units: where no one election is in view (an account's unit, a page's list of units)."""
    return on(None)


def _file_in_force() -> Path | Traversable:
    named = os.environ.get(ENVIRONMENT_VARIABLE)
    return Path(named) if named else config_file("territory.toml")


def stored() -> dict[str, str]:
    """The election's columns that keep the territory file in force (its text and SHA-256), as
    an announcement fixes them; read afresh, and checked as :func:`country` checks it."""
    path = _file_in_force()
    try:
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError) as err:
        raise TerritoryError(f"{path}: cannot be read: {err}") from None
    load_country(path)
    return {"territory_text": text, "territory_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


_STORED: dict[tuple[str, dt.date], Territory] = {}


def of_election(election: Any) -> Territory:
    """The units an election is held over: those of the territory it was announced with (its
    stored copy of the file), in force on the day it was announced (D4, V3, V7); an election
    announced before copies were kept reads the file in force."""
    sha256, day = election.territory_sha256, election.announced_on
    if sha256 is None:
        return on(day)
    # Checked against its SHA-256 once per process, as the rules are (rules_in_force.of_election):
    # an action does not read the kilobytes of the text again (registrar.action_statements).
    kept = _STORED.get((sha256, day))
    if kept is not None:
        return kept
    text = election.territory_text
    where = cast(Traversable, PurePosixPath(f"election {election.id}", f"territory.toml@{str(sha256)[:12]}"))
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
        raise TerritoryError(f"{where}: the stored territory does not match its SHA-256; the election's record was altered")
    from registrar.rules_in_force import of_election as rules_of

    rules = rules_of(election)
    found = parse_country(_parsed_toml(text, where), where, lambda _day: rules, check=False).on(day)
    _STORED[(sha256, day)] = found
    return found


def _parsed_toml(text: str, where: Traversable) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TerritoryError(f"{where}: not valid TOML: {err}") from None


def cache_clear() -> None:
    """Forget the file read (a test or an operator's reload changed it)."""
    country.cache_clear()
    on.cache_clear()
