"""The words the pages show for the machine's names: states, phases, steps, deadlines, milestones,
grounds, documents, rounds and decisions, in the reader's language; and numbers, shares and
days as the reader's language writes them.

Any template may use them (registered for the whole app by :data:`bp`), the public pages and
the officer's alike.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint
from flask_babel import format_date, format_decimal, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registrar import public

bp = Blueprint("words", __name__)


def count(value: int) -> str:
    """A count as the reader's language groups its digits (12 100 000, 12,100,000)."""
    return str(format_number(value))


def percent(value: str) -> str:
    """An exact percentage ("51.23") as the reader's language writes it (51,23%), from its text, never a float."""
    return f"{format_decimal(Decimal(value), format='#,##0.00')}%"


def share_text(value: str, votes: int) -> str:
    return _("%(percent)s, %(votes)s votes", percent=percent(value), votes=count(votes))


def format_day(day: Any) -> str:
    return str(format_date(day))


TRIGGER_TITLES: dict[str, Any] = {
    "file_declarations": _l("Record the declarations (D1)"),
    "send_information_request": _l("Send an information request (D2)"),
    "answer_information_request": _l("Record an organisation's answer (D2)"),
    "start_medical_check": _l("Refer for the medical examination (D3)"),
    "record_medical_conclusion": _l("Record the medical conclusion (D3)"),
    "record_language_conclusion": _l("Record the language commission's conclusion (E3)"),
    "record_signature_protocol": _l("Record a signature protocol (D4)"),
    "record_contribution": _l("Record the election contribution (D5)"),
    "record_document": _l("Record a registration document (D6)"),
    "submit_documents": _l("The documents are complete (D6)"),
    "register": _l("Register the candidate (G2)"),
    "refuse": _l("Refuse registration (G3)"),
    "refuse_incomplete": _l("Refuse: documents incomplete at the close (G1, G3)"),
    "record_declaration_verification": _l("Record a declaration's verification (G4)"),
    "cancel_registration": _l("Cancel the registration (G3)"),
    "appeal": _l("Record an appeal to the Supreme Court (G6)"),
    "uphold_appeal": _l("The court upholds the appeal (G6)"),
    "dismiss_appeal": _l("The court dismisses the appeal (G6)"),
    "close_appeal_window": _l("Close the appeal window (G6)"),
    "withdraw": _l("The candidate withdraws (G7)"),
    "revoke_nomination": _l("The association revokes the nomination (G7)"),
    "record_death": _l("Record the candidate's death (D5)"),
}

# The decisions on an election after the vote (registrar.machines.ELECTION_STEPS).
ELECTION_TITLES: dict[str, Any] = {
    "establish_results": _l("Establish the results (V4, V5)"),
    "call_second_round": _l("Call the second round (V5)"),
    "declare_void": _l("Declare the election void (V6)"),
    "register_president": _l("Register the President-elect (V7)"),
    "refuse_president": _l("Refuse to register the President-elect (V7)"),
    "appeal_president_refusal": _l("Record the President-elect's appeal to the Supreme Court (V7)"),
    "uphold_president_appeal": _l("The court upholds the appeal (V7)"),
    "dismiss_president_appeal": _l("The court dismisses the appeal (V7)"),
    "close_president_appeal_window": _l("Close the appeal window (V7)"),
    "call_rerun": _l("Call a re-run election (V6)"),
}

# What the CEC established for a round (registrar.tally's verdicts).
OUTCOME_NAMES: dict[str, Any] = {
    "elected": _l("a candidate is elected"), "second_round": _l("a second round between the two leaders"),
    "undecided": _l("no majority, and the second place is tied"), "no_winner": _l("no winner: the votes are equal"),
}  # fmt: skip

# Why an election contribution is refunded (D5).
REFUND_REASONS: dict[str, Any] = {
    "elected": _l("elected"), "vote_share": _l("the share of the valid votes D5 requires"), "death": _l("died"),
}  # fmt: skip

STATE_NAMES: dict[str, Any] = {
    "nominated": _l("nominated"), "declarations_filed": _l("declarations filed"), "medical_check": _l("medical check"),
    "documents_submitted": _l("documents submitted"), "registered": _l("registered"), "refused": _l("refused"),
    "registration_cancelled": _l("registration cancelled"), "appealed": _l("appealed"), "withdrawn": _l("withdrawn"),
    "revoked": _l("nomination revoked"), "refused_final": _l("refused (final)"), "cancelled_final": _l("cancelled (final)"),
    "deceased": _l("deceased"),
}  # fmt: skip

DEADLINE_NAMES: dict[str, Any] = {
    "information_request_answer": _l("answer to an information request"), "documents_check": _l("check of the documents"),
    "declaration_verification": _l("verification of the declarations"), "appeal_window": _l("appeal window"),
    "court_review": _l("the court's review"), "nomination_closes": _l("nomination closes"),
    "registration_closes": _l("registration closes"), "voting_opens": _l("voting opens"),
    "protocols_due": _l("protocols of the territorial commissions"), "results_due": _l("results established"),
    "second_round_due": _l("second round held"), "second_round_voting_opens": _l("second round: voting opens"),
    "second_round_voting_closes": _l("second round: voting closes"),
    "president_registration_due": _l("registration of the President-elect"),
    "president_appeal_window": _l("appeal against the refusal to register the President-elect"),
    "president_court_review": _l("the court's review of the President-elect's appeal"), "rerun_due": _l("re-run held"),
}  # fmt: skip

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
PHASES = {
    "announced": _l("Announced"),
    "nomination": _l("Nomination"),
    "registration": _l("Registration"),
    "campaign": _l("Campaign"),
    "voting": _l("Voting"),
    "counting": _l("Counting"),
    "elected": _l("President-elect named"),
    "second_round_due": _l("Second round to be called"),
    "second_round": _l("Second round campaign"),
    "second_round_voting": _l("Second round voting"),
    "second_round_counting": _l("Second round counting"),
    "president_registered": _l("President registered"),
    "president_refused": _l("Registration of the President-elect refused"),
    "president_appealed": _l("Refusal appealed to the Supreme Court"),
    "void": _l("Election declared void"),
    "no_winner": _l("No winner"),
    "refusal_final": _l("Refusal final"),
    "rerun_called": _l("Re-run called"),
}
STATES = {
    "nominated": _l("Nominated"),
    "declarations_filed": _l("Declarations filed"),
    "medical_check": _l("Medical examination"),
    "documents_submitted": _l("Documents submitted"),
    "registered": _l("Registered"),
    "refused": _l("Registration refused"),
    "registration_cancelled": _l("Registration cancelled"),
    "appealed": _l("Appealed to the Supreme Court"),
    "withdrawn": _l("Withdrawn"),
    "revoked": _l("Nomination revoked"),
    "refused_final": _l("Refusal final"),
    "cancelled_final": _l("Cancellation final"),
    "deceased": _l("Deceased"),
}
ACTIONS = {
    "nominate": _l("Nominated by a national public association"),
    "file_declarations": _l("Declarations of assets and liabilities filed"),
    "start_medical_check": _l("Referred for the medical examination"),
    "submit_documents": _l("Registration documents submitted"),
    "register": _l("Registered by the Central Election Commission"),
    "refuse": _l("Registration refused by the Central Election Commission"),
    "refuse_incomplete": _l("Registration refused: documents incomplete when registration closed"),
    "cancel_registration": _l("Registration cancelled by the Central Election Commission"),
    "appeal": _l("Appeal filed with the Supreme Court"),
    "uphold_appeal": _l("Appeal upheld by the Supreme Court"),
    "dismiss_appeal": _l("Appeal dismissed by the Supreme Court"),
    "close_appeal_window": _l("No appeal within the time allowed: the decision is final"),
    "withdraw": _l("The candidate withdrew"),
    "revoke_nomination": _l("The association revoked the nomination"),
    "record_death": _l("The candidate's death was recorded"),
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
DECISIONS = {
    "establish_results": _l("Results established"),
    "call_second_round": _l("Second round called"),
    "declare_void": _l("Election declared void"),
    "register_president": _l("President registered"),
    "refuse_president": _l("Registration of the President-elect refused"),
    "uphold_president_appeal": _l("Refusal annulled by the Supreme Court"),
    "dismiss_president_appeal": _l("Appeal dismissed by the Supreme Court"),
    "call_rerun": _l("Re-run called"),
}
BODIES = {"CEC": _l("Central Election Commission"), "Supreme Court": _l("Supreme Court")}
PRESIDENT_STATUSES = {
    "elected": _l("President-elect"),
    "registered": _l("President, registered by the CEC"),
    "refused": _l("President-elect: registration refused"),
    "appealed": _l("President-elect: the refusal is before the Supreme Court"),
}


def _label(table: dict[str, Any]) -> Any:
    return lambda name: table.get(name, (name or "").replace("_", " "))


@bp.app_context_processor
def words() -> dict[str, Any]:
    return {
        "milestone_label": _label(MILESTONES),
        "phase_label": _label(PHASES),
        "state_label": _label(STATES),
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


@bp.app_template_filter("number")
def _number(value: int) -> str:
    return count(value)


@bp.app_template_filter("percent")
def _percent(value: str) -> str:
    return percent(value)
