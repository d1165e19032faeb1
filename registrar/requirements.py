"""What an election requires of a candidacy, read before anyone files anything (issue 14, part 5).

The figures are those the conditions check (registrar.conditions), computed by the same
functions from the same records: the law the election was announced under (its rules in force)
and the units it is held over (its territory). Nothing here decides; it says in advance what
the registration decision will count, each figure with its rule id, so that another system (or
an officer) does not learn the threshold by provoking a refusal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from registrar import territory
from registrar.actions import calendar_of, now
from registrar.calendar import local_date
from registrar.conditions import signatures_required
from registrar.db import Database
from registrar.records import election_row
from registrar.rules import Rules, as_decimal
from registrar.rules_in_force import of_election


@dataclass(frozen=True)
class SignatureRegion:
    """One territorial unit whose signatures count towards D4, named as it was when the election was announced."""

    code: str
    names: dict[str, str]  # by language (territory.LANGUAGES)


@dataclass(frozen=True)
class SignaturesRequired:
    """D4: the signatures a candidacy collects, and how they must be spread over the regions.

    ``required`` is None while the election has no voter count (D4.no_voter_count): the share is
    known, the number it is a share of is not yet."""

    rule: str
    share_percent: str
    registered_voters: int | None
    voters_counted_on: dt.date | None
    required: int | None
    regions_needed: int
    regions_total: int
    regions_fraction: tuple[int, int]
    per_region_min: int | None
    even_split_min_fraction: str
    regions: tuple[SignatureRegion, ...]


@dataclass(frozen=True)
class ContributionDue:
    """D5: the election contribution, D5.multiplier minimum wages as in force on the day it is paid."""

    rule: str
    due: int
    on: dt.date
    multiplier: int
    minimum_wage: int


@dataclass(frozen=True)
class DeclarationsDate:
    """D1: the date as of which the declarations value assets and liabilities (the calendar's, V1)."""

    rule: str
    as_of: dt.date


@dataclass(frozen=True)
class ElectionRequirements:
    election: str
    announced_on: dt.date
    signatures: SignaturesRequired | None  # None where the election's kind collects no signatures (no D4)
    contribution: ContributionDue | None  # None where it takes no contribution (no D5)
    declarations: DeclarationsDate


def of(db: Database, election_id: str, *, at: dt.datetime | None = None) -> ElectionRequirements:
    with db.reading() as session:
        return in_session(session, election_id, at=at)


def in_session(session: Session, election_id: str, *, at: dt.datetime | None = None) -> ElectionRequirements:
    """The election's requirements as of ``at`` (default now): only the contribution's amount
    depends on the day, the minimum wage being the one in force when it is paid."""
    election = election_row(session, election_id)
    rules, calendar = of_election(election), calendar_of(election)
    signatures = None
    if rules.has("D4"):
        signatures = _signatures(rules, territory.of_election(election), election.registered_voters,
                                 election.voters_counted_on)  # fmt: skip
    contribution = None
    if rules.has("D5"):
        # A contribution is paid while candidacies are nominated and registered: the day is
        # today's, held within that period (before it, its first day; after, its last).
        opens, closes = local_date(calendar.nomination_opens, rules), local_date(calendar.registration_closes, rules)
        day = min(max(local_date(at or now(), rules), opens), closes)
        contribution = ContributionDue("D5", rules.contribution_due_on(day), day, int(rules.D5.multiplier),
                                    rules.minimum_wage_on(day))  # fmt: skip
    return ElectionRequirements(election.id, election.announced_on, signatures, contribution,
                        DeclarationsDate("D1", calendar.declarations_as_of))  # fmt: skip


def _signatures(rules: Rules, units: territory.Territory, voters: int | None, counted_on: dt.date | None) -> SignaturesRequired:
    numerator, denominator = rules.D4.min_regions_fraction
    total_regions = len(rules.D4.regions)
    # signatures_required is what enough_signatures checks; the regions needed do not depend on
    # the voters, so they are known (from one voter) before the count is recorded.
    required, regions_needed, per_region = signatures_required(rules, voters or 1)
    regions = tuple(
        SignatureRegion(
            region["code"], {language: units.unit(region["code"]).name_in(language) for language in territory.LANGUAGES}
        )
        for region in rules.D4.regions
    )
    return SignaturesRequired(
        rule="D4", share_percent=str(as_decimal(rules.D4.signature_share_percent)), registered_voters=voters,
        voters_counted_on=counted_on, required=required if voters else None,
        regions_needed=regions_needed, regions_total=total_regions,
        regions_fraction=(int(numerator), int(denominator)),
        per_region_min=per_region if voters else None,
        even_split_min_fraction=str(as_decimal(rules.D4.even_split_min_fraction)), regions=regions,
    )  # fmt: skip


def lines(needed: ElectionRequirements) -> list[str]:
    """The requirements in English, a line each, as the CLI prints them."""
    out = [f"{needed.election} (announced {needed.announced_on})"]
    if (s := needed.signatures) is not None:
        total = (f"{s.required} signatures ({s.share_percent}% of {s.registered_voters} voters on {s.voters_counted_on})"
                 if s.required is not None else
                 f"{s.share_percent}% of the registered voters in signatures (their number is not recorded yet)")  # fmt: skip
        each = f", at least {s.per_region_min} each" if s.per_region_min is not None else ""
        out.append(f"  {s.rule}: {total}")
        out.append(f"  {s.rule}: from at least {s.regions_needed} of the {s.regions_total} regions{each}: "
                   + ", ".join(region.code for region in s.regions))  # fmt: skip
    if (c := needed.contribution) is not None:
        out.append(f"  {c.rule}: contribution {c.due} tenge if paid on {c.on} ({c.multiplier} x {c.minimum_wage})")
    out.append(f"  {needed.declarations.rule}: declarations value assets and liabilities as of {needed.declarations.as_of}")
    return out
