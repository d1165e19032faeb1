"""The words the pages show for the machine's names: states, phases, steps, deadlines, milestones,
grounds, documents, rounds and decisions, in the reader's language; and numbers, shares and
days as the reader's language writes them.

Any template may use them (registered for the whole app by :data:`bp`), the public pages and
the officer's alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from flask import Blueprint, has_request_context
from flask_babel import format_decimal, format_number, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registrar import machines, notifications, public, reasons, territory
from web.i18n import LANGUAGES, zone

bp = Blueprint("words", __name__)


def count(value: int) -> str:
    """A count as the reader's language groups its digits (12 100 000, 12,100,000)."""
    return str(format_number(value))


def percent(value: str) -> str:
    """An exact percentage ("51.23") as the reader's language writes it (51,23%), from its text, never a float."""
    return f"{format_decimal(Decimal(value), format='#,##0.00')}%"


def share_text(value: str, votes: int) -> str:
    return _("%(percent)s, %(votes)s votes", percent=percent(value), votes=count(votes))


# --- Days and times -------------------------------------------------------------------------
# One style per language on every page. Kazakh is written as the CEC's resolutions write it
# ("2026 жылғы 16 қыркүйек": the year, "жылғы", the day, the month in lower case), which none of
# Babel's kk formats is; Russian as "16 сентября 2026 г.", English as "16 September 2026".
DAY_PATTERNS = {"kk": "y 'жылғы' d MMMM", "ru": "d MMMM y 'г.'", "en": "d MMMM y"}


def _language() -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def _local(value: dt.datetime | str) -> dt.datetime:
    instant = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)  # instants are stored in UTC
    return instant.astimezone(zone())


def day(value: dt.date | dt.datetime | str | None) -> str:
    """A calendar day in the reader's language (an instant: its day in local time, T1)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return str(value)  # not a day (what was typed, shown back as typed)
    calendar_day = _local(value).date() if isinstance(value, dt.datetime) else value
    language = _language()
    return format_date(calendar_day, DAY_PATTERNS[language], locale=language)


def _day_and_clock(value: dt.datetime | str, ends: bool) -> tuple[dt.date, str, str]:
    """The local day and wall-clock time of an instant, and its offset. An instant that ends a period
    at midnight is 24:00 of the day it ends (T2), not 00:00 of the next."""
    local = _local(value)
    offset = local.strftime("%z")
    zone_name = f"UTC{offset[:3]}:{offset[3:]}"
    if ends and local.time() == dt.time(0, 0):
        return local.date() - dt.timedelta(days=1), "24:00", zone_name
    return local.date(), f"{local:%H:%M}", zone_name


def clock(value: dt.datetime | dt.time | str | None, ends: bool = False) -> str:
    """The local wall-clock time, 24-hour ("18:00"); the end of a day is "24:00"."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.time):
        return "24:00" if ends and value == dt.time(0, 0) else f"{value:%H:%M}"
    return _day_and_clock(value, ends)[1]


def moment(value: dt.datetime | str | None, ends: bool = False, offset: bool = True) -> str:
    """An instant as the local day and time, "16 September 2026, 18:00 (UTC+05:00)": the offset beside
    it because officers read it beside UTC timestamps of other systems. With ``ends`` (the instant
    closes a period) midnight reads "15 September 2026, 24:00" (T2)."""
    if value is None or value == "":
        return ""
    date, time, zone_name = _day_and_clock(value, ends)
    return f"{day(date)}, {time}" + (f" ({zone_name})" if offset else "")


def deadline_moment(value: dt.datetime | str | None, offset: bool = True) -> str:
    """A deadline: "by 18:00 on 13 November 2026"; one at midnight "by 24:00 on" the day it ends (T2),
    never "00:00" of the next day."""
    if value is None or value == "":
        return ""
    date, time, zone_name = _day_and_clock(value, ends=True)
    words = _("by %(time)s on %(day)s", time=time, day=day(date))
    return words + (f" ({zone_name})" if offset else "")


format_day = day  # web/public.py's name for it


# A step's words are declared with the step (registrar.machines): the officer's title of its
# form and button, and what the public history says once it is taken.
TRIGGER_TITLES: dict[str, Any] = {step.trigger: _l(step.title) for step in machines.CANDIDACY_STEPS}
ELECTION_TITLES: dict[str, Any] = {step.trigger: _l(step.title) for step in machines.ELECTION_STEPS}

# What the CEC established for a round (registrar.tally's verdicts).
OUTCOME_NAMES: dict[str, Any] = {
    "elected": _l("a candidate is elected"), "second_round": _l("a second round between the two leaders"),
    "undecided": _l("no majority, and the second place is tied"), "no_winner": _l("no winner: the votes are equal"),
}  # fmt: skip

# Why an election contribution is refunded (D5).
REFUND_REASONS: dict[str, Any] = {
    "elected": _l("elected"), "vote_share": _l("the share of the valid votes D5 requires"), "death": _l("died"),
}  # fmt: skip


class Named(Mapping[str, str]):
    """One of the name tables of the messages files (registrar/config/messages/<language>.toml:
    [states], [phases], [deadlines]) in the reader's language: the pages, the e-mails and the
    webhooks call a state, a phase or a deadline by the same words."""

    def __init__(self, table: str):
        self.table = table

    def _names(self) -> Mapping[str, str]:
        return notifications.catalogue(_language()).words[self.table]

    def __getitem__(self, name: str) -> str:
        return self._names()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


STATE_NAMES = Named("states")
PHASES = Named("phases")
DEADLINE_NAMES = Named("deadlines")

# The registration documents (N6, D6) by their rules-file names.
DOCUMENT_NAMES: dict[str, Any] = {
    "consent": _l("consent to stand"), "minutes_extract": _l("extract from the minutes of the nominating congress"),
    "contribution_receipt": _l("receipt of the election contribution"), "signature_protocols": _l("signature protocols"),
    "biography": _l("biography"), "declaration_certificates": _l("certificates of the declarations filed"),
    "medical_conclusion": _l("medical conclusion"), "language_conclusion": _l("conclusion on the state language"),
}  # fmt: skip

# Events of the audit log that are not a candidacy's step.
EVENT_NAMES: dict[str, Any] = {
    "nominate": _l("Nomination recorded"), "announce_election": _l("Election announced"),
    "set_milestone": _l("Milestone set by the CEC"), "extend_nomination": _l("Nomination extended (N7)"),
    "record_voter_count": _l("Voter count recorded"), "register_association": _l("Association registered"),
    "rename_association": _l("Association renamed"), "create_account": _l("Account created"),
    "disable_account": _l("Account disabled"), "set_password": _l("Password changed"),
    "issue_token": _l("API token issued"), "revoke_token": _l("API token revoked"),
    "deactivate_contact": _l("Contact deactivated"), "deadline.reminder": _l("Reminder sent"),
    "election.extension_possible": _l("The CEC may extend nomination (N7)"),
    "submit_protocol": _l("Protocol of a territorial commission recorded (V3)"),
    "correct_protocol": _l("Protocol corrected: a new version (V3)"),
    "establish_results": _l("Results established (V4, V5)"), "call_second_round": _l("Second round called (V5)"),
    "declare_void": _l("Election declared void (V6)"), "register_president": _l("President registered (V7)"),
    "refuse_president": _l("Registration of the President-elect refused (V7)"),
    "appeal_president_refusal": _l("Appeal against the refusal filed (V7)"),
    "uphold_president_appeal": _l("Appeal upheld by the Supreme Court (V7)"),
    "dismiss_president_appeal": _l("Appeal dismissed by the Supreme Court (V7)"),
    "close_president_appeal_window": _l("No appeal within the window: the refusal is final (V7)"),
    "call_rerun": _l("Re-run election called (V6)"),
    "attach_document": _l("Scanned paper attached"), "enable_account": _l("Account enabled"),
    "set_role": _l("Role changed"), "set_profile": _l("Name or language changed"),
    "enrol_second_factor": _l("Two-factor authentication set up"),
    "remove_second_factor": _l("Two-factor authentication removed"),
}  # fmt: skip


def event_label(action: str) -> str:
    """An audit event's action (or a notification's topic) in words: a step's title, another event's name,
    or a deadline that fell due."""
    for name in (action, action.removeprefix("election.")):
        if name in TRIGGER_TITLES:
            return str(TRIGGER_TITLES[name])
        if name in EVENT_NAMES:
            return str(EVENT_NAMES[name])
    kind = action.removeprefix("deadline.")
    if kind in DEADLINE_NAMES:
        return _("Deadline fell due: %(deadline)s", deadline=DEADLINE_NAMES[kind])
    return action


# --- Words for the pages --------------------------------------------------------------------
# The machine's names (states, triggers, milestones) in words people read; any template may
# use them (registered for the whole app below), the officer's pages too.

MILESTONES = {
    "announced_on": _l("Election announced"),
    "declarations_as_of": _l("Assets in the declarations valued as of"),
    "nomination_opens": _l("Nomination opens"),
    "nomination_closes": _l("Nomination closes"),
    "registration_opens": _l("Registration opens"),
    "registration_closes": _l("Registration closes"),
    "voting_opens": _l("Voting opens"),
    "voting_closes": _l("Voting closes"),
    # After the vote: the deadlines (V3-V7) ...
    "protocols_due": _l("Protocols of the territorial commissions due"),
    "results_due": _l("Results due from the CEC"),
    "second_round_due": _l("Latest day for the second round"),
    "second_round_voting_opens": _l("Second round: voting opens"),
    "second_round_voting_closes": _l("Second round: voting closes"),
    "second_round_protocols_due": _l("Second round: protocols due"),
    "second_round_results_due": _l("Second round: results due from the CEC"),
    "president_registration_due": _l("Registration of the President-elect due"),
    "president_appeal_window": _l("Appeal against the refusal to register the President-elect may be filed until"),
    "president_court_review": _l("The Supreme Court decides the appeal by"),
    "rerun_due": _l("Latest day for the re-run"),
    # ... and the decisions taken.
    "results_established": _l("Results established by the CEC"),
    "second_round_results_established": _l("Second round: results established by the CEC"),
    "second_round_called": _l("Second round called by the CEC"),
    "declared_void": _l("Election declared void by the CEC"),
    "president_registered": _l("President registered by the CEC"),
    "president_refused": _l("The CEC refused to register the President-elect"),
    "president_appeal_filed": _l("Appeal against the refusal filed with the Supreme Court"),
    "president_appeal_upheld": _l("The Supreme Court annulled the refusal"),
    "president_appeal_dismissed": _l("The Supreme Court dismissed the appeal: the refusal is final"),
    "president_refusal_final": _l("No appeal within the time allowed: the refusal is final"),
    "rerun_called": _l("Re-run called by the CEC"),
}
ACTIONS: dict[str, Any] = {
    "nominate": _l("Nominated by a national public association"),
    **{step.trigger: _l(step.done) for step in machines.CANDIDACY_STEPS if step.done},
}
BY = {
    "clerk": _l("CEC staff"),
    "commission": _l("Central Election Commission"),
    "court": _l("Supreme Court"),
    "revenue": _l("State revenue authorities"),
    "candidate": _l("The candidate"),
    "association": _l("The nominating association"),
    "system": _l("By law, when the time ran out"),
}
FIELDS = {
    "full_name": _l("Full name"),
    "birth_year": _l("Year of birth"),
    "position": _l("Position"),
    "place_of_work": _l("Place of work"),
    "place_of_residence": _l("Place of residence"),
}

# The grounds of a refusal or cancellation (G3, G4, G5), by their rules-file names.
GROUNDS = {
    "nomination_rules_broken": _l("the nomination procedure was violated"),
    "documents_missing": _l("required documents were not submitted"),
    "requirements_not_met": _l("the candidate does not meet the requirements of the law"),
    "false_declaration": _l("false information in the declarations"),
    "campaign_before_registration": _l("campaigning before registration"),
    "official_position_used": _l("use of an official position"),
}


# After the vote: rounds, what a round's status and outcome are, the decisions on the election.
ROUNDS = {1: _l("First round"), 2: _l("Second round")}
ROUND_STATUSES = {
    "scheduled": _l("The vote has not closed yet"),
    "counting": _l("Counting: the CEC has not established the results yet"),
    "established": _l("Results established"),
    "void": _l("The election was declared void"),
}
OUTCOMES = {
    "elected": _l("Elected"),
    "second_round": _l("A second round between the two leaders"),
    "no_winner": _l("No winner"),
    "undecided": _l("Undecided"),
    "void": _l("Void"),
}
DECISIONS: dict[str, Any] = {step.trigger: _l(step.done) for step in machines.ELECTION_STEPS if step.done}
BODIES = {"CEC": _l("Central Election Commission"), "Supreme Court": _l("Supreme Court")}
PRESIDENT_STATUSES = {
    "elected": _l("President-elect"),
    "registered": _l("President, registered by the CEC"),
    "refused": _l("President-elect: registration refused"),
    "appealed": _l("President-elect: the refusal is before the Supreme Court"),
}


def _label(table: Mapping[str, Any]) -> Any:
    return lambda name: table.get(name, (name or "").replace("_", " "))


def _heading(table: Named) -> Any:
    """A name that stands on its own on a public page (a status, a phase) begins with a capital."""

    plain = _label(table)

    def label(name: str | None) -> str:
        words = str(plain(name))
        return words[:1].upper() + words[1:]

    return label


@bp.app_context_processor
def words() -> dict[str, Any]:
    return {
        "milestone_label": _label(MILESTONES),
        "phase_label": _heading(PHASES),
        "state_label": _heading(STATE_NAMES),
        "action_label": _label(ACTIONS),
        "by_label": _label(BY),
        "field_label": _label(FIELDS),
        "ground_label": _label(GROUNDS),
        "round_label": lambda number: ROUNDS.get(number, str(number)),
        "round_status_label": _label(ROUND_STATUSES),
        "outcome_label": _label(OUTCOMES),
        "decision_label": _label(DECISIONS),
        "body_label": _label(BODIES),
        "president_label": _label(PRESIDENT_STATUSES),
        "has_results": public.has_results,
    }


@bp.app_template_filter("what_followed")
def what_followed(followed: tuple[str, ...]) -> str:
    """What the deadline engine did when a deadline fell due (registrar.deadlines.what_followed), in words."""
    if followed[0] == "moved":
        before, after = (STATE_NAMES.get(name, name.replace("_", " ")) for name in followed[1:3])
        return _("the candidacy moved from %(before)s to %(after)s", before=before, after=after)
    if followed[0] == "skipped":
        return _("nothing was done: the step no longer applied")
    return _("the parties were notified")


@bp.app_template_global()
def in_words(table: str, name: str) -> str:
    """A name of the messages catalogues' word tables ("names.education_levels", "higher") in the reader's language."""
    return reasons.words_for(table, name, _language())


@bp.app_template_global()
def unit_name(code: str) -> str:
    """A territorial unit by its name in the reader's language (territory.toml), else its code."""
    try:
        return territory.current().unit(code).name_in(_language())
    except (KeyError, LookupError):
        return code


@bp.app_template_global()
def commission_name(code: str) -> str:
    """A unit's territorial election commission in the reader's language."""
    try:
        return territory.current().unit(code).commission_in(_language())
    except (KeyError, LookupError):
        return code


@bp.app_template_filter("number")
def _number(value: int) -> str:
    return count(value)


@bp.app_template_filter("percent")
def _percent(value: str) -> str:
    return percent(value)


@bp.record_once
def _days_and_times(state: Any) -> None:
    filters = state.app.jinja_env.filters
    filters.update(day=day, clock=clock, moment=moment, deadline_moment=deadline_moment)
    # Flask-Babel's own filters would write Babel's styles (kk "2026 ж. 16 қыр."); a template not yet
    # moved to ``day`` and ``moment`` still writes the one style of its language.
    filters.update(dateformat=day, local_time=moment)
