"""Who may be elected President: Art. 41(2) of the Constitution, as code.

    A citizen of the Republic by birth (E1), not younger than E2.min_age_years (E2), who
    is fluent in the state language (E3), has lived in Kazakhstan for the last
    E4.residence_years (E4), has higher education (E5) and at least E6.service_years of
    experience in public service or in elected public office (E6), may be elected President
    of the Republic of Kazakhstan; provided that the person has the right to vote (E7), has no unexpunged or
    outstanding criminal record (E8), and has not already held the office (E9).

The numbers and lists in that paragraph are the presidential rules file's, not this
module's: everything here reads them from :class:`registrar.rules.Rules`, so another
election kind (a younger minimum age, no term limit) needs a rules file and no code. A rule
the file leaves out is not checked.

:func:`unmet_requirements` is pure: it takes the facts about a person, the election's
calendar and the rules, and returns every unmet rule with a reason, in rule-id order. It
never stops at the first failure, because the CEC's refusal (G3) must name every ground.
"""

from __future__ import annotations

import calendar as _gregorian
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from registrar import reasons
from registrar.rules import Rule, Rules

__all__ = [
    "CalendarFacts",
    "LanguageFacts",
    "PersonFacts",
    "Unmet",
    "age_on",
    "reference_day",
    "unmet_requirements",
    "years_before",
]


@dataclass(frozen=True)
class Unmet:
    """One rule that is not met, and why: the rule's id, the reason as a message id with its
    parameters (:mod:`registrar.reasons` renders it in the reader's language) and in English.

    ``field``: the payload's field the reason is about (a decision's date), where it is one."""

    rule: str  # "E2"
    reason: str  # "younger than 40 on 2029-12-02 (39 years)"
    message: str = dataclasses.field(default="", compare=False)  # "E2.too_young"
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)
    field: str = dataclasses.field(default="", compare=False)

    @classmethod
    def because(cls, rule: str, message: str, *, field: str = "", **params: Any) -> Unmet:
        """The unmet ``rule`` for the reason ``message`` of the catalogues, said in English for ``reason``."""
        return cls(rule, reasons.render(message, params, "en"), message, params, field)

    def said(self, language: str) -> str:
        """The reason in ``language``; one that came without a message id is the English it came with."""
        return reasons.render(self.message, self.params, language) if self.message else self.reason

    def __str__(self) -> str:
        return f"{self.rule}: {self.reason}"


def _why(message: str, **params: Any) -> dict[str, Any]:
    return {"message": message, "params": params}


# The protocols declare read-only properties rather than plain attributes so that a frozen
# dataclass (tests, the calendar) and an ORM model's mapped columns both satisfy them.


class PersonFacts(Protocol):
    """What the eligibility rules need to know about a person (the ORM Person has these)."""

    @property
    def full_name(self) -> str: ...
    @property
    def birth_date(self) -> dt.date: ...
    @property
    def citizen_by_birth(self) -> bool: ...
    @property
    def resident_since(self) -> dt.date | None:
        """Lived in Kazakhstan continuously since this date; None: not resident."""
        ...

    @property
    def education_level(self) -> str:
        """For example "secondary", "vocational", "higher", "postgraduate"; E5 lists those that qualify."""
        ...

    @property
    def public_service_months(self) -> int:
        """Months of public (civil) service or elected public office."""
        ...

    @property
    def legally_incompetent(self) -> bool: ...
    @property
    def detained_by_court_order(self) -> bool: ...
    @property
    def unexpunged_criminal_record(self) -> bool: ...
    @property
    def presidential_terms_served(self) -> int:
        """Terms held as President, counted from ``rules.E9.terms_counted_from``."""
        ...


class LanguageFacts(Protocol):
    """The linguistic commission's conclusion (E3).

    A conclusion that also records the examination, ``tests`` (the names of E3.tests it
    held) and ``speech_minutes`` (how long the speech lasted), is checked against them; one
    that does not (the stored conclusion records only its result) is taken as the
    commission's word on its own procedure.
    """

    @property
    def fluent(self) -> bool: ...
    @property
    def linguists(self) -> int:
        """Members of the commission who decided."""
        ...

    @property
    def decided_on(self) -> dt.date: ...


class CalendarFacts(Protocol):
    """The dates of one election (``registrar.calendar.ElectionCalendar`` has these)."""

    @property
    def announced_on(self) -> dt.date: ...
    @property
    def election_day(self) -> dt.date: ...
    @property
    def registration_closes(self) -> dt.datetime:
        """Timezone-aware."""
        ...


def reference_day(calendar: CalendarFacts, rules: Rules) -> dt.date:
    """E2: the day on which age (and the residence of E4) is measured.

    The law does not say which day that is, so ``E2.age_measured_on`` chooses it. The
    registration deadline is an instant; its day is the date in the capital (T1), because
    that is the date the CEC writes on its decisions.
    """
    # Without E2 in the file, the day RULES.md names as the default.
    measured_on = rules.E2.age_measured_on if "E2" in rules else "election_day"
    if measured_on == "election_day":
        return calendar.election_day
    if measured_on == "announcement_day":
        return calendar.announced_on
    if measured_on == "registration_closes":
        closes = calendar.registration_closes
        if closes.tzinfo is None or closes.utcoffset() is None:
            # A naive instant would silently be read in the server's zone.
            raise ValueError(f"registration_closes must be timezone-aware, got {closes.isoformat()}")
        return closes.astimezone(rules.zone).date()
    raise ValueError(f"E2.age_measured_on: unknown reference day {measured_on!r}")


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day``.

    Someone born on 29 February turns a year older on 1 March in a year without one. A
    birth date after ``day`` is a data error, not an age, and raises ValueError.
    """
    if birth_date > day:
        raise ValueError(f"born on {birth_date.isoformat()}, after {day.isoformat()}")
    # Comparing (month, day) pairs puts (2, 29) after (2, 28), so the 29 February
    # birthday falls on 1 March in common years without any special case.
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier; 29 February becomes 28 February in a common year.

    The clamp matches :func:`age_on`: ``age_on(b, day) >= n`` exactly when
    ``b <= years_before(day, n)``.
    """
    year = day.year - years
    if day.month == 2 and day.day == 29 and not _gregorian.isleap(year):
        return dt.date(year, 2, 28)
    return day.replace(year=year)


# --- the rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """Everything one check may look at; each check returns its reasons (empty: met)."""

    person: PersonFacts
    day: dt.date
    language: LanguageFacts | None
    require_language: bool


# A check returns its reasons, each a message id of the catalogues' [reasons] with its parameters.
Why = dict[str, Any]


def _served(months: int) -> Why:
    years, rest = divmod(months, 12)
    if years and rest:
        return _why("duration.years_months", years=years, months=rest)
    return _why("duration.years", years=years) if years else _why("duration.months", months=rest)


def _e1_citizen_by_birth(c: _Candidate, rule: Rule) -> list[Why]:
    if rule.citizen_by_birth and not c.person.citizen_by_birth:
        return [_why("E1.not_citizen_by_birth")]
    return []


def _e2_age(c: _Candidate, rule: Rule) -> list[Why]:
    min_age = int(rule.min_age_years)
    age = age_on(c.person.birth_date, c.day)
    if age < min_age:
        return [_why("E2.too_young", min_age=min_age, day=c.day, age=age)]
    return []


def _e3_state_language(c: _Candidate, rule: Rule) -> list[Why]:
    conclusion = c.language
    if conclusion is None:
        # Before the commission has sat (a check at nomination) its absence is not a failure.
        return [_why("E3.no_conclusion")] if c.require_language else []
    reasons = []
    decided = conclusion.decided_on
    if not conclusion.fluent:
        reasons.append(_why("E3.not_fluent", state_language=str(rule.state_language), decided=decided))
    min_linguists = int(rule.commission_min_linguists)
    if conclusion.linguists < min_linguists:
        # A conclusion of too small a commission is no conclusion, whatever it says.
        reasons.append(_why("E3.too_few_linguists", decided=decided, linguists=conclusion.linguists, min_linguists=min_linguists))
    held = getattr(conclusion, "tests", None)
    if held is not None:
        missing = [str(test) for test in rule.tests if test not in held]
        if missing:
            reasons.append(_why("E3.tests_not_held", decided=decided, tests=missing))
    minutes = getattr(conclusion, "speech_minutes", None)
    needed = int(rule.speech_minutes)
    if minutes is not None and "speech" in rule.tests and minutes < needed:
        reasons.append(_why("E3.speech_too_short", decided=decided, minutes=minutes, needed=needed))
    return reasons


def _e4_residence(c: _Candidate, rule: Rule) -> list[Why]:
    years = int(rule.residence_years)
    since = c.person.resident_since
    if since is None:
        return [_why("E4.not_resident")]
    needed = years_before(c.day, years)
    if since > needed:
        return [_why("E4.too_short", since=since, needed=needed, years=years, day=c.day)]
    return []


def _e5_education(c: _Candidate, rule: Rule) -> list[Why]:
    levels = [str(level) for level in rule.education_levels]
    if c.person.education_level not in levels:
        return [_why("E5.education", education=c.person.education_level, levels=levels)]
    return []


def _e6_public_service(c: _Candidate, rule: Rule) -> list[Why]:
    years = int(rule.service_years)
    served = c.person.public_service_months
    if served < years * 12:
        return [_why("E6.too_little_service", served=_served(served), years=years)]
    return []


# Facts named in E7/E8.disqualifying that have their own words in the catalogues; a name not
# listed is shown as written, so a rules file may add a ground before the catalogues learn to say it.
_GROUNDS = ("legally_incompetent", "detained_by_court_order", "unexpunged_criminal_record")


def _disqualified(c: _Candidate, rule: Rule) -> list[Why]:
    reasons = []
    for name in rule.disqualifying:
        if not hasattr(c.person, name):
            # A misspelt name in the rules file must not pass everyone silently.
            raise AttributeError(f"{rule.id}.disqualifying names {name!r}, which a person does not have")
        if getattr(c.person, name):
            reasons.append(_why(f"ground.{name}") if name in _GROUNDS else _why("ground.other", ground_name=name))
    return reasons


def _e9_term_limit(c: _Candidate, rule: Rule) -> list[Why]:
    max_terms = int(rule.max_terms)
    served = c.person.presidential_terms_served
    if served >= max_terms:
        return [_why("E9.term_limit", served=served, since=rule.terms_counted_from, max_terms=max_terms)]
    return []


# In rule-id order, which is the order of the result.
_CHECKS: tuple[tuple[str, Callable[[_Candidate, Rule], list[Why]]], ...] = (
    ("E1", _e1_citizen_by_birth),
    ("E2", _e2_age),
    ("E3", _e3_state_language),
    ("E4", _e4_residence),
    ("E5", _e5_education),
    ("E6", _e6_public_service),
    ("E7", _disqualified),
    ("E8", _disqualified),
    ("E9", _e9_term_limit),
)


def unmet_requirements(
    person: PersonFacts,
    calendar: CalendarFacts,
    rules: Rules,
    language: LanguageFacts | None = None,
    *,
    require_language: bool = True,
) -> list[Unmet]:
    """Every eligibility rule in ``rules`` that ``person`` does not meet, in rule-id order.

    An empty list means eligible. With ``require_language=False`` a missing conclusion of
    the linguistic commission is not a failure (E3 is checked when one is given). Rules
    the rules file omits are not checked. Reasons joined by "; " when a rule fails twice
    over (both grounds of E7, say).
    """
    candidate = _Candidate(person, reference_day(calendar, rules), language, require_language)
    unmet = []
    for rule_id, check in _CHECKS:
        if rule_id in rules:
            found = check(candidate, rules.by_id[rule_id])
            if len(found) == 1:
                unmet.append(Unmet.because(rule_id, found[0]["message"], **found[0]["params"]))
            elif found:
                unmet.append(Unmet.because(rule_id, "joined", reasons=found))
    return unmet
