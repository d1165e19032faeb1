"""Which rules an election is held under: its kind's file as it stood when the election was announced.

An election keeps the law it was called under. The announcement stores on the election the
text of its kind's rules file in force that day, with its SHA-256 and title; every reader of
an election's law asks :func:`of_election`, so an operator who edits the file mid-election
moves none of its dates, conditions or documents (nor some and not others), while the next
election announced follows the edited file. A version is parsed once per hash: there are
few, and a hash never changes its text.

The file may give a rule's values by period (``versions`` with ``since`` / ``until``): an election
is judged under the version of each rule in force on the day it was announced, so a 2019
election kept in the same file as a 2029 one has no "against all" line on its protocols.

The hash is of the canonical text (UTF-8, ``\\n`` line ends), so it is what ``sha256sum``
says of the file as checked out on Linux.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from registrar.resources import config_file
from registrar.rules import Rules, RulesError, UnknownKind, for_kind, kinds, parse

if TYPE_CHECKING:
    from registrar.models import Election


@dataclass(frozen=True)
class Version:
    """One version of a kind's rules file: what an announcement stores on its election."""

    kind: str
    title: str
    text: str
    sha256: str
    rules: Rules

    @property
    def short(self) -> str:
        return short(self.sha256)


def short(sha256: str) -> str:
    """The first twelve hex digits: enough to tell versions apart on a page, as git does."""
    return sha256[:12]


def canonical(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def digest(text: str) -> str:
    return hashlib.sha256(canonical(text).encode("utf-8")).hexdigest()


_BY_HASH: dict[tuple[str, dt.date | None], Rules] = {}


def _parsed(sha256: str, text: str, where: Traversable, on: dt.date | None) -> Rules:
    found = _BY_HASH.get((sha256, on))
    if found is None:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise RulesError(f"{where}: not valid TOML: {err}") from None
        found = _BY_HASH.setdefault((sha256, on), parse(document, where, stored=True, on=on))
    return found


def in_force(kind: str, on: dt.date | None = None) -> Version:
    """The version of ``kind``'s rules file in force now, read afresh: what an announcement fixes;
    its rules as in force on ``on`` (the announcement's day; None: the newest of each rule)."""
    if kind not in kinds():
        raise UnknownKind(f"{kind!r}: no rules for this election kind (known: {', '.join(kinds())})")
    path = config_file(f"rules/{kind}.toml")
    try:
        text = canonical(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise RulesError(f"{path}: cannot be read: {err}") from None
    sha256 = digest(text)
    rules = _parsed(sha256, text, path, on)
    if rules.kind != kind:
        raise RulesError(f"{path}: kind: says {rules.kind!r}, the file name says {kind!r}")
    return Version(kind, rules.title, text, sha256, rules)


def of_election(election: Election) -> Rules:
    """The rules ``election`` was announced under (its stored version of its kind's file), each
    rule as in force on the day of its announcement."""
    on: dt.date = election.announced_on
    found = _BY_HASH.get((election.rules_sha256, on))
    if found is not None:
        return found
    named = f"rules/{election.kind}.toml@{short(election.rules_sha256)}"
    where = cast(Traversable, PurePosixPath(f"election {election.id}", named))
    if digest(election.rules_text) != election.rules_sha256:
        raise RulesError(f"{where}: the stored rules do not match their SHA-256; the election's record was altered")
    return _parsed(election.rules_sha256, election.rules_text, where, on)


def stored(version: Version) -> dict[str, Any]:
    """The election's columns that keep ``version``."""
    return {"rules_title": version.title, "rules_sha256": version.sha256, "rules_text": version.text}


def described(election: Election) -> dict[str, Any]:
    """What a page says of the rules an election follows: the title, the short hash, the day they were fixed."""
    announced: dt.date = election.announced_on
    # The rules whose values changed over time: which version this election is judged under.
    changed = [{"rule": rule.id, "since": rule.since, "until": rule.until, "source": rule.source}
               for rule in of_election(election).versioned()]  # fmt: skip
    return {"title": election.rules_title, "kind": election.kind, "sha256": election.rules_sha256,
            "short": short(election.rules_sha256), "announced_on": announced, "changed": changed}  # fmt: skip


@cache
def capital_zone() -> ZoneInfo:
    """T1: the zone people read instants in where no one election is in view (a notice, a page's clock).

    Every election of the country is held on the capital's time, so every kind's file names the
    same zone; one that named another would make a time read differently by where it is shown."""
    zones = {kind: for_kind(kind).T1.timezone for kind in kinds()}
    if len(set(zones.values())) != 1:
        named = ", ".join(f"{kind}: {zone}" for kind, zone in zones.items())
        raise RulesError(f"T1.timezone: the election kinds must share the capital's time zone ({named})")
    return ZoneInfo(next(iter(zones.values())))
