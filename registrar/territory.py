"""The territorial units of an election: per region, its commission and its voters (``territory.toml``).

Why a file of its own: the regions are law (D4 lists them in the rules file), but the number
of voters on a reference date and the make-up of each territorial commission are facts of one
election, published by the CEC and revised between elections. So this file adds per region
code what D4 (its share of the voters), V3 (one protocol per territorial commission, signed by
its members) and V7 (a quarter of the units) count, and what the pages and the protocols call
the unit and its commission in each language of the readers (kk, ru, en). Loading checks that
the two files speak of the same regions: a unit the rules do not know, or a region without a
unit, would silently change D4's total.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

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


class _UnitSchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2,5}$"))
    name = fields.Nested(_NamesSchema, required=True)
    commission = fields.Nested(_NamesSchema, required=True)
    members = _count()
    voters = _count()


class _TerritorySchema(Schema):
    class Meta:
        unknown = RAISE

    reference_date = fields.Date(required=True)
    units = fields.List(fields.Nested(_UnitSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _unique_codes(self, data: dict[str, Any], **_: Any) -> None:
        codes = [unit["code"] for unit in data.get("units", [])]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValidationError(f"codes repeat: {', '.join(repeated)}", "units")


def parse(document: dict[str, Any], path: Traversable, rules: Rules) -> Territory:
    """Validate a parsed territory document against its schema and the D4 regions of ``rules``.

    A kind whose rules list no regions (no D4) has nothing to check the units against: they are
    taken as the file gives them, in its order.
    """
    try:
        loaded = _TerritorySchema().load(document)
    except ValidationError as err:
        raise TerritoryError(f"{path}: " + "; ".join(_naming_units(_flatten(err.messages), document))) from None
    by_code = {unit["code"]: unit for unit in loaded["units"]}
    regions = rules.get("D4")
    codes = [region["code"] for region in regions.regions] if regions is not None else list(by_code)
    unknown = [code for code in by_code if code not in codes]
    missing = [code for code in codes if code not in by_code]
    if unknown or missing:
        reasons = []
        if unknown:
            reasons.append(f"codes not among the D4 regions: {', '.join(unknown)}")
        if missing:
            reasons.append(f"D4 regions without a unit: {', '.join(missing)}")
        raise TerritoryError(f"{path}: units: {'; '.join(reasons)}")
    units = tuple(
        Unit(
            code=code,
            names=tuple(by_code[code]["name"][language] for language in LANGUAGES),
            commissions=tuple(by_code[code]["commission"][language] for language in LANGUAGES),
            members=by_code[code]["members"],
            voters=by_code[code]["voters"],
        )
        for code in codes
    )
    return Territory(reference_date=loaded["reference_date"], units=units)


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
    """Load a territory file; a missing, malformed or invalid one raises :class:`TerritoryError`.

    ``rules`` gives the D4 regions the units must match; by default, those of every election kind
    whose rules list regions, since one country's units serve each of its elections.
    """
    path = Path(path) if isinstance(path, str) else path
    document = read_toml(path, TerritoryError, "no such territory file")
    if rules is not None:
        return parse(document, path, rules)
    regional = [found for found in map(for_kind, kinds()) if found.has("D4")]
    if not regional:
        raise TerritoryError(f"{path}: no election kind's rules list the regions (D4) its units stand for")
    for other in regional[1:]:
        parse(document, path, other)
    return parse(document, path, regional[0])


@functools.cache
def current() -> Territory:
    """The territory in force: the file REGISTRAR_TERRITORY names, else ``territory.toml`` in force (cached)."""
    named = os.environ.get(ENVIRONMENT_VARIABLE)
    return load(Path(named) if named else config_file("territory.toml"))
