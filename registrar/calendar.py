"""The election calendar: the milestones of one election, in local time.

Where each milestone comes from (every number is read from the rules file):

``nomination_opens``
    N2: 00:00 local on the ``opens_days_after_announcement``-th day after the announcement.
``nomination_closes``
    N2: ``closes_at`` local, ``closes_months_before_election`` calendar months before
    election day (the day clamped to the last day of a shorter month).
``registration_opens``
    G1: 00:00 local, ``opens_months_before_election`` calendar months before election day
    (same clamp).
``registration_closes``
    G1: ``closes_at`` local, ``closes_days_before_election`` days before election day.
``declarations_as_of``
    D1: the first day of the month in which nomination opens (a date, not an instant).
``voting_opens`` / ``voting_closes``
    V2: ``opens_at`` / ``closes_at`` local on election day.

"Local" is T1: the zone ``rules.zone`` (Asia/Almaty, UTC+6 before 1 March 2024, UTC+5
from then). Any milestone can be set by a CEC resolution instead (V1); the calendar keeps
the resolutions, and :func:`compute` refuses a calendar whose milestones are out of order,
naming the milestones the CEC has to set.

:func:`period_end` reckons T2 periods ("N days from an event end at 24:00 of the Nth day").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from registrar.rules import MILESTONES, Rules

__all__ = [
    "MILESTONES",
    "CalendarError",
    "ElectionCalendar",
    "Resolution",
    "compute",
    "local_date",
    "months_after",
    "period_end",
    "voting_hours",
]

# declarations_as_of is a valuation date (D1); every other milestone is an instant.
_DATE_MILESTONES = frozenset({"declarations_as_of"})

Moment = dt.datetime | dt.date


class CalendarError(ValueError):
    """A calendar that cannot be built; the message names the milestones at fault."""


@dataclass(frozen=True)
class Resolution:
    """V1: a CEC resolution setting one milestone.

    ``value`` is an aware datetime in any offset (the calendar converts it to local time),
    a naive datetime meaning local time, or for ``declarations_as_of`` a date. Whether the
    milestone may be set at all depends on the rules (``V1.settable_milestones``) and is
    checked by :func:`compute`.
    """

    milestone: str
    value: dt.datetime | dt.date
    number: str
    adopted_on: dt.date

    def __post_init__(self) -> None:
        if self.milestone not in MILESTONES:
            raise CalendarError(
                f"resolution {self.number}: {self.milestone!r} is not a milestone (one of {', '.join(MILESTONES)})"
            )
        wants_date = self.milestone in _DATE_MILESTONES
        # datetime is a subclass of date, so a date milestone must reject datetimes explicitly.
        is_datetime = isinstance(self.value, dt.datetime)
        if wants_date == is_datetime:
            kind = "a date" if wants_date else "a datetime"
            raise CalendarError(f"resolution {self.number}: {self.milestone} must be set to {kind}, got {self.value!r}")


@dataclass(frozen=True)
class ElectionCalendar:
    """The milestones of one election; every datetime is aware and in ``zone``."""

    announced_on: dt.date
    election_day: dt.date
    zone: ZoneInfo
    nomination_opens: dt.datetime
    nomination_closes: dt.datetime
    registration_opens: dt.datetime
    registration_closes: dt.datetime
    declarations_as_of: dt.date
    voting_opens: dt.datetime
    voting_closes: dt.datetime
    resolutions: tuple[Resolution, ...] = ()

    def __post_init__(self) -> None:
        # Keep the invariant "in zone" however the calendar was built (computed or loaded),
        # so comparisons, display and to_json never depend on the caller's offset.
        for name in MILESTONES:
            if name in _DATE_MILESTONES:
                continue
            value = getattr(self, name)
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                raise CalendarError(f"{name}: must be an aware datetime, got {value!r}")
            object.__setattr__(self, name, value.astimezone(self.zone))
        object.__setattr__(self, "resolutions", tuple(self.resolutions))

    def milestones(self) -> dict[str, dt.datetime | dt.date]:
        """The milestones, in :data:`MILESTONES` order."""
        return {name: getattr(self, name) for name in MILESTONES}

    def set_by(self, milestone: str) -> Resolution | None:
        """The resolution that set ``milestone`` (the one in force), or None if it was computed."""
        if milestone not in MILESTONES:
            raise KeyError(milestone)
        # resolutions are kept in the order they take effect, so the last one wins.
        for resolution in reversed(self.resolutions):
            if resolution.milestone == milestone:
                return resolution
        return None

    def to_json(self) -> dict[str, str]:
        """Milestone -> ISO 8601: instants with their UTC offset, dates as YYYY-MM-DD."""
        return {name: value.isoformat() for name, value in self.milestones().items()}

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` in the calendar's zone; a naive datetime is taken as local time already."""
        return _aware(moment, self.zone)


def compute(
    announced_on: dt.date,
    election_day: dt.date,
    rules: Rules,
    resolutions: Iterable[Resolution] = (),
) -> ElectionCalendar:
    """The calendar of an election announced on ``announced_on`` for ``election_day``.

    Milestones come from the rules (see the module docstring), then CEC resolutions
    override them (V1): for one milestone the latest ``adopted_on`` wins, and among the
    same date the one given last. ``declarations_as_of`` follows the effective
    ``nomination_opens`` unless a resolution sets it too.

    Raises :class:`CalendarError` naming every milestone out of order, e.g. a snap election
    whose computed nomination closes before it opens; the CEC must then set them (V1).
    """
    for name, day in (("announced_on", announced_on), ("election_day", election_day)):
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise TypeError(f"{name} must be a date, got {day!r}")
    zone = rules.zone
    n2, g1, v2 = rules.N2, rules.G1, rules.V2
    valuation_day = VALUATION_DAYS[str(rules.D1.valued_as_of)]

    nomination_opens = _at(announced_on + dt.timedelta(days=int(n2.opens_days_after_announcement)), "00:00", zone)
    effective: dict[str, dt.datetime | dt.date] = {
        "nomination_opens": nomination_opens,
        "nomination_closes": _at(_months_before(election_day, int(n2.closes_months_before_election)), str(n2.closes_at), zone),
        "registration_opens": _at(_months_before(election_day, int(g1.opens_months_before_election)), "00:00", zone),
        "registration_closes": _at(
            election_day - dt.timedelta(days=int(g1.closes_days_before_election)), str(g1.closes_at), zone
        ),
        "declarations_as_of": valuation_day(nomination_opens),
        "voting_opens": _at(election_day, str(v2.opens_at), zone),
        "voting_closes": _at(election_day, str(v2.closes_at), zone),
    }

    ordered = _in_effect_order(resolutions)
    settable = set(rules.V1.settable_milestones)
    refused = sorted({r.milestone for r in ordered if r.milestone not in settable}, key=MILESTONES.index)
    if refused:
        raise CalendarError(
            f"V1: a CEC resolution cannot set {', '.join(refused)} (settable: {', '.join(rules.V1.settable_milestones)})"
        )
    for resolution in ordered:
        value = resolution.value
        effective[resolution.milestone] = _aware(value, zone) if isinstance(value, dt.datetime) else value
    set_by_cec = {r.milestone for r in ordered}
    if "declarations_as_of" not in set_by_cec:
        # D1 values assets as of the month nomination actually opens, including a CEC-set opening.
        opens = effective["nomination_opens"]
        assert isinstance(opens, dt.datetime)
        effective["declarations_as_of"] = valuation_day(opens)

    def instant(name: str) -> dt.datetime:
        value = effective[name]
        assert isinstance(value, dt.datetime)  # Resolution.__post_init__ admits nothing else
        return value

    declarations_as_of = effective["declarations_as_of"]
    assert not isinstance(declarations_as_of, dt.datetime)
    calendar = ElectionCalendar(
        announced_on=announced_on,
        election_day=election_day,
        zone=zone,
        nomination_opens=instant("nomination_opens"),
        nomination_closes=instant("nomination_closes"),
        registration_opens=instant("registration_opens"),
        registration_closes=instant("registration_closes"),
        declarations_as_of=declarations_as_of,
        voting_opens=instant("voting_opens"),
        voting_closes=instant("voting_closes"),
        resolutions=ordered,
    )
    _check(calendar, rules)
    return calendar


def period_end(start: dt.datetime | dt.date, days: int, rules: Rules, ends_at: str | None = None) -> dt.datetime:
    """T2: the end of a period of ``days`` days that starts with an event at ``start``.

    The period ends at ``ends_at`` local time (default ``T2.period_ends_at``, "24:00") of
    the ``days``-th calendar day after the event's local date; "24:00" is the midnight that
    ends that day. A datetime is converted to local time to take its date; a date is the
    event's local date already.
    """
    if days < 0:
        raise ValueError(f"a period cannot last {days} days")
    if isinstance(start, dt.datetime):
        start = local_date(start, rules)
    clock = ends_at if ends_at is not None else str(rules.T2.period_ends_at)
    return _at(start + dt.timedelta(days=days), clock, rules.zone)


def local_date(moment: dt.datetime, rules: Rules) -> dt.date:
    """T1: the calendar date of ``moment`` in local time (a naive datetime is local already)."""
    return _aware(moment, rules.zone).date()


# --- helpers ----------------------------------------------------------------------------


def _clock(value: str) -> tuple[int, dt.time]:
    """``"HH:MM"`` -> (days to add, time of day); "24:00" is 00:00 of the next day."""
    hours, minutes = (int(part) for part in value.split(":"))
    if (hours, minutes) == (24, 0):
        return 1, dt.time(0, 0)
    return 0, dt.time(hours, minutes)


def _at(day: dt.date, clock: str, zone: ZoneInfo) -> dt.datetime:
    """The instant ``clock`` local time on ``day``."""
    extra_days, time_of_day = _clock(clock)
    return dt.datetime.combine(day + dt.timedelta(days=extra_days), time_of_day, tzinfo=zone)


def _months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, clamped to the end of a shorter month."""
    earlier: dt.date = day - relativedelta(months=months)
    return earlier


def voting_hours(day: dt.date, rules: Rules) -> tuple[dt.datetime, dt.datetime]:
    """V2: when voting opens and closes on ``day``, local time (a second round's, V5)."""
    return _at(day, str(rules.V2.opens_at), rules.zone), _at(day, str(rules.V2.closes_at), rules.zone)


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, clamped to the end of a shorter month (V5, V6)."""
    return _months_before(day, -months)


# D1.valued_as_of: the day the declarations value assets on, from the moment nomination opens.
VALUATION_DAYS: dict[str, Callable[[dt.datetime], dt.date]] = {
    "first_day_of_nomination_month": lambda nomination_opens: nomination_opens.date().replace(day=1),
}


def _aware(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _in_effect_order(resolutions: Iterable[Resolution]) -> tuple[Resolution, ...]:
    # sorted() is stable: among resolutions adopted the same day, the one given last wins.
    return tuple(sorted(resolutions, key=lambda r: r.adopted_on))


def _show(value: dt.datetime | dt.date) -> str:
    """A milestone for a person: "2022-09-20 18:00 +06", or "2022-09-01" for a date."""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    offset = value.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    hours, rest = divmod(abs(offset), dt.timedelta(hours=1))
    minutes = rest // dt.timedelta(minutes=1)
    shown = f"{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")
    return f"{value:%Y-%m-%d %H:%M} {shown}"


# (earlier, later, strict, the milestone to set when the pair is out of order). The one to
# blame is the milestone the law ties least firmly: opening dates follow the announcement
# and voting follows election day, so the CEC moves the other end.
_ORDER: tuple[tuple[str, str, bool, str], ...] = (
    ("announced_on", "nomination_opens", True, "nomination_opens"),
    ("nomination_opens", "nomination_closes", True, "nomination_closes"),
    ("registration_opens", "registration_closes", True, "registration_closes"),
    ("nomination_opens", "registration_opens", False, "registration_opens"),
    ("nomination_closes", "registration_closes", False, "registration_closes"),
    ("registration_closes", "voting_opens", True, "registration_closes"),
    ("voting_opens", "voting_closes", True, "voting_closes"),
    ("declarations_as_of", "nomination_opens", False, "declarations_as_of"),
)


def _check(calendar: ElectionCalendar, rules: Rules) -> None:
    """Refuse a calendar whose milestones are out of order, naming each violation."""
    violations: list[str] = []
    to_set: set[str] = set()
    if calendar.election_day <= calendar.announced_on:
        violations.append(
            f"election_day ({_show(calendar.election_day)}) is not after announced_on ({_show(calendar.announced_on)})"
        )
    # V2: the vote is held on election day. Hours moved off it (voting set to open in a few
    # minutes, weeks early) would leave a count whose protocols no day can be signed on.
    for name, moment in (("voting_opens", calendar.voting_opens), ("voting_closes", calendar.voting_closes)):
        local = moment.astimezone(calendar.zone) - (dt.timedelta(microseconds=1) if name == "voting_closes" else dt.timedelta())
        if local.date() != calendar.election_day:
            violations.append(f"{name} ({_show(moment)}) is not on election_day ({_show(calendar.election_day)}) (V2)")
            to_set.add(name)
    for earlier, later, strict, blamed in _ORDER:
        first, second = getattr(calendar, earlier), getattr(calendar, later)
        if isinstance(first, dt.datetime) != isinstance(second, dt.datetime):
            # A date against an instant (D1, the announcement) compares on the local date.
            first = first.date() if isinstance(first, dt.datetime) else first
            second = second.date() if isinstance(second, dt.datetime) else second
        in_order = first < second if strict else first <= second
        if in_order:
            continue
        shown = f"{later} ({_show(getattr(calendar, later))})"
        relation = "is not after" if strict else "is before"
        violations.append(f"{shown} {relation} {earlier} ({_show(getattr(calendar, earlier))})")
        other = earlier if blamed == later else later
        # A milestone the CEC already set stays; ask for the other end of the pair instead.
        if calendar.set_by(blamed) is not None and other in MILESTONES and calendar.set_by(other) is None:
            blamed = other
        to_set.add(blamed)
    if not violations:
        return
    message = "; ".join(violations)
    settable = [m for m in MILESTONES if m in to_set and m in rules.V1.settable_milestones]
    if settable:
        needed = ", ".join(settable)
        message += f": the computed calendar is impossible: CEC-set dates are needed (V1: set {needed} by resolution)"
    raise CalendarError(message)
