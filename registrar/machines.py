"""The candidacy and the election as state machines, written as tables a lawyer can read.

Each row of :data:`CANDIDACY_STEPS` is one thing the law lets someone do: the trigger, the
states it applies in, the state it leads to (``None``: a record is added, the state stays),
the rule it enforces, who acts, the election phases it is open in, and the conditions that
must hold. One ``transitions`` machine is built from the table at import time and serves
every candidacy (no machine per object, no ``add_model``); the state is a column.

The tables serve every election kind, so what a row says names the rules' numbers by their
keys (``{D2.answer_days}``), rendered with the kind's rules where it is shown (:func:`says`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from marshmallow import Schema
from transitions import Machine, MachineError
from transitions.extensions import GraphMachine

from registrar import conditions as law
from registrar import records, schemas
from registrar.calendar import ElectionCalendar
from registrar.conditions import Context, ElectionContext
from registrar.eligibility import Unmet
from registrar.errors import GuardFailed, NotAllowed
from registrar.records import Recorder
from registrar.rules import Rules
from registrar.states import AFTER_COUNT, BEFORE_DECISION, PHASES, PREPARING, STANDING, STATES


def N_(words: str) -> str:  # noqa: N802  (gettext's own name for it, which the extractor knows)
    """Mark English words the web shows in the reader's language (gettext_noop): the domain names
    a step's words once, with the step, and the web's catalogues translate them."""
    return words


# --- The election's phases --------------------------------------------------------------


@dataclass(frozen=True)
class PhaseStep:
    trigger: str
    source: str
    dest: str
    rule: str
    starts_at: str  # the calendar milestone from which it happens


PHASE_STEPS = (
    PhaseStep("open_nomination", "announced", "nomination", "N2", "nomination_opens"),
    PhaseStep("open_registration", "nomination", "registration", "G1", "registration_opens"),
    PhaseStep("close_registration", "registration", "campaign", "G1", "registration_closes"),
    PhaseStep("open_voting", "campaign", "voting", "V2", "voting_opens"),
    PhaseStep("close_voting", "voting", "counting", "V2", "voting_closes"),
)


class _Phase:
    def __init__(self, state: str):
        self.state = state


def _reached(step: PhaseStep) -> Callable[[Any], bool]:
    def reached(event: Any) -> bool:
        calendar: ElectionCalendar = event.kwargs["calendar"]
        at: dt.datetime = event.kwargs["at"]
        moment = calendar.milestones()[step.starts_at]
        return isinstance(moment, dt.datetime) and at >= moment

    return reached


ELECTION_MACHINE = Machine(
    model=None,
    states=list(PHASES),
    initial="announced",
    transitions=[{"trigger": s.trigger, "source": s.source, "dest": s.dest, "conditions": [_reached(s)]} for s in PHASE_STEPS]
    + [
        # N7: with fewer than two registered, the CEC reopens nomination (and so registration).
        {"trigger": "extend_nomination", "source": ["registration", "campaign"], "dest": "registration"},
    ],
    auto_transitions=False,
    send_event=True,
)


@lru_cache(maxsize=4096)
def phase_at(calendar: ElectionCalendar, at: dt.datetime) -> str:
    """The phase the calendar puts the election in at ``at``: the time-driven steps, replayed."""
    phase = _Phase("announced")
    for step in PHASE_STEPS:
        if phase.state != step.source or not ELECTION_MACHINE.events[step.trigger].trigger(phase, calendar=calendar, at=at):
            break
    return phase.state


def current_phase(election: Any, calendar: ElectionCalendar, at: dt.datetime) -> str:
    """The phase at ``at``: the calendar's, until the vote is counted; then the decisions taken
    since (the stored phase), with the second round's own hours applied (V2, V5)."""
    timed = phase_at(calendar, at)
    phase: str = election.phase
    if timed != "counting" or phase not in AFTER_COUNT:
        return timed
    if phase == "second_round" and election.second_round_opens_at and at >= election.second_round_opens_at:
        phase = "second_round_voting"
    if phase == "second_round_voting" and election.second_round_closes_at and at >= election.second_round_closes_at:
        phase = "second_round_counting"
    return phase


# --- The candidacy ----------------------------------------------------------------------

OPEN_FOR_PAPERS = ("nomination", "registration")


@dataclass(frozen=True)
class Window:
    """When in the election the step is open: its phases and the milestone that ends it.

    ``until_from`` names a rule's key whose value is that milestone (``"G7.until_milestone"``):
    the law leaves the last moment to the kind's rules; where they have no such rule, the
    phases alone gate the step."""

    rule: str
    phases: tuple[str, ...]
    until: str | None = None
    until_from: str | None = None

    def closing(self, rules: Rules | None) -> str | None:
        """The milestone that ends the window under ``rules`` (None: the step's phases alone)."""
        if self.until_from is None:
            return self.until
        return rules.value(self.until_from) if rules is not None else None


@dataclass(frozen=True)
class Step:
    trigger: str
    source: tuple[str, ...]
    dest: str | None
    rule: str
    by: str
    says: str
    conditions: tuple[law.Condition, ...] = ()
    window: Window | None = None
    when: Callable[[Context], bool] | None = None  # routes one trigger from one state to one of several states
    schema: type[Schema] = schemas.Empty  # what the step's payload must be (registrar.schemas)
    record: Recorder | None = None  # what it writes before the machine fires (registrar.records)
    title: str = ""  # the officer's words for it, a message the web translates
    done: str = ""  # what the candidacy's public history says of it; only a change of state is public

    def applies(self, rules: Rules) -> bool:
        """Whether the election's rules have this step: one that only adds a record adds one the
        law asks for (no signature protocols where the rules have no D4, no contribution without D5)."""
        return self.dest is not None or rules.has(self.rule)


PAPERS = Window("G1", OPEN_FOR_PAPERS, "registration_closes")
# G7: a candidate may leave the race until the milestone the rules name, and never once voting opens.
LEAVING = Window("G7", PHASES[:4], until_from="G7.until_milestone")
DECISION = Window("G1", ("registration",), "registration_closes")


def _decided_from(state: str) -> Callable[[Context], bool]:
    return lambda ctx: ctx.candidacy.decided_from == state


def _appealed_from(state: str) -> Callable[[Context], bool]:
    return lambda ctx: ctx.candidacy.appealed_from == state


# fmt: off
CANDIDACY_STEPS: tuple[Step, ...] = (
    # Documents and checks (Art. 56-58)
    Step("file_declarations", ("nominated",), "declarations_filed", "D1", "clerk",
         "the candidate and the spouse file their declarations of assets and liabilities",
         (law.declarations_filed,), PAPERS, schema=schemas.FileDeclarationsSchema, record=records.declarations,
         title=N_("Record the declarations (D1)"), done=N_("Declarations of assets and liabilities filed")),
    Step("send_information_request", STANDING, None, "D2", "clerk",
         "the CEC asks an organisation about the candidate's assets; it answers within {D2.answer_days} days",
         schema=schemas.InformationRequestSchema, record=records.information_request,
         title=N_("Send an information request (D2)")),
    Step("answer_information_request", STANDING, None, "D2", "clerk",
         "the organisation's answer is recorded",
         schema=schemas.InformationAnswerSchema, record=records.information_answer,
         title=N_("Record an organisation's answer (D2)")),
    Step("start_medical_check", ("declarations_filed",), "medical_check", "D3", "clerk",
         "the candidate is referred for the medical examination", (), PAPERS, schema=schemas.MedicalReferralSchema,
         title=N_("Refer for the medical examination (D3)"), done=N_("Referred for the medical examination")),
    Step("record_medical_conclusion", ("medical_check",), None, "D3", "clerk",
         "the medical conclusion is received", (), PAPERS,
         schema=schemas.MedicalConclusionSchema, record=records.medical_conclusion,
         title=N_("Record the medical conclusion (D3)")),
    Step("record_language_conclusion", PREPARING, None, "E3", "clerk",
         "the linguistic commission's conclusion is received", (), PAPERS,
         schema=schemas.LanguageConclusionSchema, record=records.language_conclusion,
         title=N_("Record the language commission's conclusion (E3)")),
    Step("record_signature_protocol", BEFORE_DECISION, None, "D4", "clerk",
         "a territorial commission's protocol of verified signatures is received", (), PAPERS,
         schema=schemas.SignatureProtocolSchema, record=records.signature_protocol,
         title=N_("Record a signature protocol (D4)")),
    Step("record_contribution", PREPARING, None, "D5", "clerk",
         "the election contribution is paid", (), PAPERS,
         schema=schemas.ContributionSchema, record=records.contribution,
         title=N_("Record the election contribution (D5)")),
    Step("record_document", PREPARING, None, "D6", "clerk",
         "a registration document is received (consent, biography ...)", (), PAPERS,
         schema=schemas.DocumentSchema, record=records.document,
         title=N_("Record a registration document (D6)")),
    Step("submit_documents", ("medical_check",), "documents_submitted", "D6", "clerk",
         "the complete set of registration documents is with the CEC; the CEC's check of {D7.check_days} days "
         "starts (D7)",
         (law.nomination_papers, law.registration_documents), PAPERS,
         title=N_("The documents are complete (D6)"), done=N_("Registration documents submitted")),
    # Registration and refusal (Art. 59-60)
    Step("register", ("documents_submitted",), "registered", "G2", "commission",
         "the CEC registers a candidate who meets every rule and issues the certificate",
         (law.nominator_qualifies, law.supreme_body_majority, law.eligible, law.nomination_papers,
          law.registration_documents, law.declarations_filed, law.medically_fit, law.enough_signatures,
          law.contribution_paid), DECISION, schema=schemas.ResolutionRecordSchema, record=records.cec_decision,
         title=N_("Register the candidate (G2)"), done=N_("Registered by the Central Election Commission")),
    # A past election loaded from its public record (issue 14, the archive): the CEC's resolution
    # registering a candidate is in the record, the papers it judged are not. Only an import
    # records it, in the registration period and dated within it; what it does not judge, the
    # record's notes say.
    Step("record_registration", BEFORE_DECISION, "registered", "G2", "record",
         "the CEC's registration of a candidate in a past election, as its public record gives it "
         "(the papers the CEC judged are not in the record)",
         (law.from_the_public_record, law.nominator_qualifies), DECISION, schema=schemas.ResolutionRecordSchema,
         record=records.cec_decision, title=N_("Record the registration from the public record (G2)"),
         done=N_("Registered by the Central Election Commission")),
    Step("refuse", BEFORE_DECISION, "refused", "G3", "commission",
         "the CEC refuses registration on the grounds of G3 or G5", (), DECISION,
         schema=schemas.RefuseSchema, record=records.refusal,
         title=N_("Refuse registration (G3)"), done=N_("Registration refused by the Central Election Commission")),
    Step("refuse_incomplete", PREPARING, "refused", "G3", "system",
         "registration closes with the documents incomplete: registration is refused (G1, G3)",
         (law.registration_closed,), record=records.refusal_at_close,
         title=N_("Refuse: documents incomplete at the close (G1, G3)"),
         done=N_("Registration refused: documents incomplete when registration closed")),
    Step("record_declaration_verification", ("registered",), None, "G4", "revenue",
         "the revenue authorities report the verification of a declaration ({G4.verification_days} days)",
         schema=schemas.DeclarationVerificationSchema, record=records.verification,
         title=N_("Record a declaration's verification (G4)")),
    Step("cancel_registration", ("registered",), "registration_cancelled", "G3", "commission",
         "the CEC cancels a registration on the grounds of G3, G4 or G5",
         (), Window("G3", ("registration", "campaign"), "voting_opens"), schema=schemas.CancelSchema, record=records.refusal,
         title=N_("Cancel the registration (G3)"), done=N_("Registration cancelled by the Central Election Commission")),
    # Appeal to the Supreme Court (G6)
    Step("appeal", ("refused", "registration_cancelled"), "appealed", "G6", "court",
         "the candidate appeals to the Supreme Court within {G6.appeal_days} days", (law.appeal_window_open,),
         schema=schemas.AppealSchema, record=records.appeal,
         title=N_("Record an appeal to the Supreme Court (G6)"), done=N_("Appeal filed with the Supreme Court")),
    *(Step("uphold_appeal", ("appealed",), state, "G6", "court",
           f"the court annuls the decision; the candidacy returns to {state.replace('_', ' ')}; the ruling is final",
           when=_decided_from(state), schema=schemas.ResolutionRecordSchema, record=records.court_upholds,
           title=N_("The court upholds the appeal (G6)"), done=N_("Appeal upheld by the Supreme Court"))
      for state in STANDING),
    *(Step("dismiss_appeal", ("appealed",), final, "G6", "court",
           f"the court dismisses the appeal against a {against}; the {against} is final",
           when=_appealed_from(appealed), schema=schemas.ResolutionRecordSchema, record=records.court_dismisses,
           title=N_("The court dismisses the appeal (G6)"), done=N_("Appeal dismissed by the Supreme Court"))
      for appealed, final, against in (("refused", "refused_final", "refusal"),
                                       ("registration_cancelled", "cancelled_final", "cancellation"))),
    *(Step("close_appeal_window", (appealed,), final, "G6", "system",
           f"no appeal within the window: the {against} is final", (law.appeal_window_lapsed,),
           title=N_("Close the appeal window (G6)"), done=N_("No appeal within the time allowed: the decision is final"))
      for appealed, final, against in (("refused", "refused_final", "refusal"),
                                       ("registration_cancelled", "cancelled_final", "cancellation"))),
    # Leaving the race (G7)
    Step("withdraw", STANDING, "withdrawn", "G7", "candidate",
         "the candidate withdraws", (), LEAVING, schema=schemas.ResolutionRecordSchema, record=records.candidate_statement,
         title=N_("The candidate withdraws (G7)"), done=N_("The candidate withdrew")),
    Step("revoke_nomination", STANDING, "revoked", "G7", "association",
         "the association revokes its nomination", (), LEAVING,
         schema=schemas.ResolutionRecordSchema, record=records.association_decision,
         title=N_("The association revokes the nomination (G7)"), done=N_("The association revoked the nomination")),
    # V5: before the second round, a candidate may still withdraw; the next in the first round
    # takes the place on its ballot.
    Step("withdraw", ("registered",), "withdrawn", "V5", "candidate",
         "a candidate withdraws before the second round; the next in the first round takes the place",
         (), Window("V5", ("second_round_due", "second_round")),
         schema=schemas.ResolutionRecordSchema, record=records.candidate_statement,
         title=N_("The candidate withdraws (G7)"), done=N_("The candidate withdrew")),
    # D5: the contribution is refunded on a candidate's death; before a second round the next
    # in the first round takes the place (V5).
    Step("record_death", STANDING, "deceased", "D5", "clerk",
         "the candidate's death is recorded; the election contribution is refunded",
         schema=schemas.ResolutionRecordSchema, record=records.cec_decision,
         title=N_("Record the candidate's death (D5)"), done=N_("The candidate's death was recorded")),
)
# fmt: on

TRIGGERS = tuple(dict.fromkeys(step.trigger for step in CANDIDACY_STEPS))


def _one_declaration(steps: tuple[Any, ...], *fields: str) -> None:
    """The rows of one trigger (routed by state or by rule) are one action: the same payload,
    recorder, actor and words, or the table is wrong."""
    first: dict[str, Any] = {}
    for step in steps:
        seen = first.setdefault(step.trigger, step)
        differ = [name for name in fields if getattr(step, name) != getattr(seen, name)]
        if differ:
            raise ValueError(f"{step.trigger}: its rows disagree on {', '.join(differ)}")


_one_declaration(CANDIDACY_STEPS, "schema", "record", "by", "title", "done")
# Each trigger's payload, from its declaration: the API documents them, the forms are built from them.
TRIGGER_SCHEMAS: dict[str, type[Schema]] = {step.trigger: step.schema for step in CANDIDACY_STEPS}


def says(step: Step | ElectionStep, rules: Rules) -> str:
    """What a row of the tables says, its numbers from the election kind's ``rules``."""
    return rules.say(step.says)


def window_unmet(window: Window, calendar: ElectionCalendar, at: dt.datetime, phase: str | None = None,
                 rules: Rules | None = None) -> list[Unmet]:  # fmt: skip
    """The phase gate: a step outside its phases, or after its closing milestone, is refused with the rule.

    ``phase``: the election's :func:`current_phase`, where the caller has the election (after
    the count the calendar alone does not know it); ``rules``: the kind's, for a window whose
    closing milestone is the rules' (:attr:`Window.until_from`)."""
    phase = phase or phase_at(calendar, at)
    if phase not in window.phases:
        return [Unmet.because(window.rule, "window.not_in_phase", phase=phase, phases=list(window.phases))]
    until = window.closing(rules)
    if until is not None:
        closes = calendar.milestones()[until]
        if isinstance(closes, dt.datetime) and at >= closes:
            return [Unmet.because(window.rule, "window.closed", milestone=until, at=calendar.local(closes))]
    return []


# The milestone from which the election is in each phase before the vote (its announcement: "announced").
PHASE_OPENS = {step.dest: step.starts_at for step in PHASE_STEPS}


def window_opens(window: Window, calendar: ElectionCalendar) -> dt.date | None:
    """The day a window opened: the start of its first phase, in the capital's time (None: after the vote)."""
    first = min(window.phases, key=PHASES.index)
    if first == "announced":
        return calendar.announced_on
    milestone = PHASE_OPENS.get(first)
    if milestone is None:
        return None
    moment = calendar.milestones()[milestone]
    return calendar.local(moment).date() if isinstance(moment, dt.datetime) else moment


def decision_opens(window: Window | None, calendar: ElectionCalendar) -> dt.date:
    """The first day a step's decision may be dated: its window's opening, or, for a step open at
    any time (a death, a court's ruling), the election's announcement: no decision on a candidacy
    predates the election it stands in."""
    opened = window_opens(window, calendar) if window is not None else None
    return opened if opened is not None else calendar.announced_on


def _dated(step: Step) -> bool:
    return "decided_on" in step.schema._declared_fields


# G6: the court's ruling is final and must be carried out, whenever it comes. A refusal in
# the last days of registration is often annulled during the campaign; the candidacy then
# goes on, and is decided, under this window instead of its step's own.
COURT_RULING = Window("G6", PHASES[:4], "voting_opens")


def window_for(step: Step, reinstated: bool) -> Window | None:
    """The window a step is open in: its own, or, for a candidacy the court reinstated, until voting opens."""
    return COURT_RULING if reinstated and step.window is not None else step.window


def reinstated(candidacy: Any) -> bool:
    """The court annulled a decision on it (an appeal that is not dismissed returns the candidacy)."""
    return candidacy.appealed_from is not None and candidacy.state != "appealed"


def _condition(step: Step) -> Callable[[Any], bool]:
    def holds(event: Any) -> bool:
        ctx: Context = event.kwargs["ctx"]
        if step.when is not None and not step.when(ctx):
            return False
        window = window_for(step, reinstated(ctx.candidacy))
        phase = current_phase(ctx.election, ctx.calendar, ctx.at)
        unmet = window_unmet(window, ctx.calendar, ctx.at, phase, ctx.rules) if window else []
        if _dated(step):
            # A decision is dated within its window, never ahead of the day it is recorded (part of every dated step).
            unmet += law.decision_dated(ctx, step.rule, decision_opens(window, ctx.calendar))
        for condition in step.conditions:
            unmet += condition(ctx)
        ctx.unmet.extend(unmet)
        return not unmet

    return holds


def _machine(states: tuple[str, ...], initial: str, steps: tuple[Any, ...], condition: Callable[[Any], Any],
             column: str = "state") -> Machine:  # fmt: skip
    """One shared machine for a table of steps (no machine per record); its state is the record's ``column``."""
    return Machine(
        model=None,
        states=list(states),
        initial=initial,
        model_attribute=column,
        transitions=[
            {"trigger": s.trigger, "source": list(s.source), "dest": s.dest, "conditions": [condition(s)]} for s in steps
        ],  # fmt: skip
        auto_transitions=False,
        send_event=True,
    )


CANDIDACY_MACHINE = _machine(STATES, "nominated", CANDIDACY_STEPS, _condition)


def steps_from(state: str) -> list[Step]:
    return [step for step in CANDIDACY_STEPS if state in step.source]


def step_for(trigger: str, state: str) -> Step:
    """The row of the table that ``trigger`` would use from ``state`` (the first, for routed triggers)."""
    for step in CANDIDACY_STEPS:
        if step.trigger == trigger and state in step.source:
            return step
    if trigger not in TRIGGERS:
        raise NotAllowed(
            trigger,
            state,
            message="not_allowed.unknown_trigger",
            params={"trigger": trigger, "state": state, "known": list(TRIGGERS)},
        )
    raise NotAllowed(trigger, state)


def fire(ctx: Context, trigger: str) -> str:
    """Fire ``trigger`` on the candidacy; return the new state or raise with every unmet rule."""
    step_for(trigger, ctx.candidacy.state)
    try:
        moved = CANDIDACY_MACHINE.events[trigger].trigger(ctx.candidacy, ctx=ctx)
    except MachineError:
        raise NotAllowed(trigger, ctx.candidacy.state) from None
    if not moved:
        raise GuardFailed(trigger, ctx.unmet)
    return ctx.candidacy.state


def allowed_triggers(
    state: str, calendar: ElectionCalendar, at: dt.datetime, *, court_reinstated: bool = False, phase: str | None = None,
    rules: Rules | None = None,
) -> list[str]:  # fmt: skip
    """What may be attempted now: the state and the phase allow it (conditions are checked when fired).

    With the election's ``rules``, only the steps those rules have; without them a window whose
    closing milestone is the rules' is gated by its phases alone."""
    steps = (s for s in steps_from(state) if rules is None or s.applies(rules))
    windows = ((s, window_for(s, court_reinstated)) for s in steps)
    return list(dict.fromkeys(s.trigger for s, w in windows
                              if w is None or not window_unmet(w, calendar, at, phase, rules)))  # fmt: skip


# --- The election after the vote (V3-V7) -----------------------------------------------------


@dataclass(frozen=True)
class ElectionStep:
    """One decision on the election as a whole, read like :class:`Step`."""

    trigger: str
    source: tuple[str, ...]
    dest: str
    rule: str
    by: str
    says: str
    conditions: tuple[law.ElectionCondition, ...] = ()
    when: Callable[[ElectionContext], bool] | None = None
    schema: type[Schema] = schemas.Empty
    title: str = ""
    done: str = ""  # what the public results page calls the decision ("": not listed there)


def _verdict(outcome: str) -> Callable[[ElectionContext], bool]:
    return lambda ctx: ctx.verdict is not None and ctx.verdict.outcome == outcome


# The CEC establishes a round's results by one action, whichever row the protocols route it to.
ESTABLISH: dict[str, Any] = {
    "schema": schemas.EstablishResultsSchema,
    "title": N_("Establish the results (V4, V5)"),
    "done": N_("Results established"),
}

# fmt: off
ELECTION_STEPS: tuple[ElectionStep, ...] = (
    # Results (Art. 64-65)
    ElectionStep("establish_results", ("counting",), "elected", "V4", "commission",
                 "the CEC establishes the results: a candidate with more than {V4.majority_percent}% of the valid "
                 "votes is elected",
                 (law.protocols_complete,), _verdict("elected"), **ESTABLISH),
    ElectionStep("establish_results", ("counting",), "second_round_due", "V5", "commission",
                 "the CEC establishes the results: no candidate has a majority; the two leaders go to a second round",
                 (law.protocols_complete, law.results_decided), _verdict("second_round"), **ESTABLISH),
    ElectionStep("establish_results", ("counting",), "second_round_due", "V5", "commission",
                 "the CEC establishes the results: no candidate has a majority",
                 (law.protocols_complete, law.results_decided), _verdict("undecided"), **ESTABLISH),
    ElectionStep("call_second_round", ("second_round_due",), "second_round", "V5", "commission",
                 "the CEC calls the second round, within {V5.second_round_within_months} months of the first",
                 (law.second_round_in_time,), schema=schemas.SecondRoundSchema,
                 title=N_("Call the second round (V5)"), done=N_("Second round called")),
    ElectionStep("establish_results", ("second_round_counting",), "elected", "V5", "commission",
                 "the CEC establishes the second round's results: the candidate with more votes is elected",
                 (law.protocols_complete,), _verdict("elected"), **ESTABLISH),
    ElectionStep("establish_results", ("second_round_counting",), "no_winner", "V5", "commission",
                 "the CEC establishes the second round's results: equal votes, no winner (V6: a re-run follows)",
                 (law.protocols_complete,), _verdict("no_winner"), **ESTABLISH),
    ElectionStep("declare_void", ("counting", "second_round_counting", "elected"), "void", "V6", "commission",
                 "the CEC declares the election void; a re-run follows", schema=schemas.VoidSchema,
                 title=N_("Declare the election void (V6)"), done=N_("Election declared void")),
    # The president-elect (Art. 66)
    ElectionStep("register_president", ("elected",), "president_registered", "V7", "commission",
                 "the CEC registers the elected President, within {V7.registration_days} days of the results",
                 (law.president_elect_standing,), schema=schemas.ResolutionRecordSchema,
                 title=N_("Register the President-elect (V7)"), done=N_("President registered")),
    ElectionStep("refuse_president", ("elected",), "president_refused", "V7", "commission",
                 "the CEC refuses to register the President-elect: the election was void or violated "
                 "in at least {V7.refusal_share} of the units", (law.quarter_of_units_violated,),
                 schema=schemas.VoidSchema, title=N_("Refuse to register the President-elect (V7)"),
                 done=N_("Registration of the President-elect refused")),
    ElectionStep("appeal_president_refusal", ("president_refused",), "president_appealed", "V7", "court",
                 "the President-elect appeals the refusal to the Supreme Court within {V7.appeal_days} days",
                 (law.president_appeal_open,), schema=schemas.AppealSchema,
                 title=N_("Record the President-elect's appeal to the Supreme Court (V7)")),
    ElectionStep("uphold_president_appeal", ("president_appealed",), "elected", "V7", "court",
                 "the court annuls the refusal; the CEC registers the President-elect",
                 schema=schemas.ResolutionRecordSchema, title=N_("The court upholds the appeal (V7)"),
                 done=N_("Refusal annulled by the Supreme Court")),
    ElectionStep("dismiss_president_appeal", ("president_appealed",), "refusal_final", "V7", "court",
                 "the court dismisses the appeal; the refusal is final (V6: a re-run follows)",
                 schema=schemas.ResolutionRecordSchema, title=N_("The court dismisses the appeal (V7)"),
                 done=N_("Appeal dismissed by the Supreme Court")),
    ElectionStep("close_president_appeal_window", ("president_refused",), "refusal_final", "V7", "system",
                 "no appeal within the window: the refusal is final", (law.president_appeal_lapsed,),
                 title=N_("Close the appeal window (V7)")),
    # A re-run (Art. 66)
    ElectionStep("call_rerun", ("void", "no_winner", "refusal_final"), "rerun_called", "V6", "commission",
                 "the CEC calls a re-run within {V6.rerun_within_months} months, at the same polling stations, "
                 "with the same voter registers, on timelines it shortens (V1)", (law.rerun_in_time,),
                 schema=schemas.RerunSchema, title=N_("Call a re-run election (V6)"), done=N_("Re-run called")),
)
# fmt: on

ELECTION_TRIGGERS = tuple(dict.fromkeys(step.trigger for step in ELECTION_STEPS))
_one_declaration(ELECTION_STEPS, "schema", "by", "title", "done")
# Every step of both tables, by trigger: who takes it is what the roles and the sweep read.
_EVERY_STEP: tuple[Step | ElectionStep, ...] = (*CANDIDACY_STEPS, *ELECTION_STEPS)
STEPS_BY_TRIGGER: dict[str, tuple[Step | ElectionStep, ...]] = {
    trigger: tuple(step for step in _EVERY_STEP if step.trigger == trigger) for trigger in (*TRIGGERS, *ELECTION_TRIGGERS)
}
ELECTION_SCHEMAS: dict[str, type[Schema]] = {step.trigger: step.schema for step in ELECTION_STEPS}


def _election_condition(step: ElectionStep) -> Callable[[Any], bool]:
    def holds(event: Any) -> bool:
        ctx: ElectionContext = event.kwargs["ctx"]
        if step.when is not None and not step.when(ctx):
            return False
        if not ctx.rules.has(step.rule):
            # A kind without the rule (no V5: no second round) has no such outcome: the decision is
            # refused with the reason, and the CEC takes another the kind's rules have (V6: void).
            ctx.unmet.append(
                Unmet.because(
                    step.rule,
                    "rules.no_such_outcome",
                    title=ctx.rules.title,
                    rule_id=step.rule,
                    trigger=step.trigger,
                    phase=step.dest,
                )
            )
            return False
        unmet = law.election_decision_dated(ctx, step.rule)
        unmet += [u for condition in step.conditions for u in condition(ctx)]
        ctx.unmet.extend(unmet)
        return not unmet

    return holds


OUTCOME_MACHINE = _machine(PHASES, "counting", ELECTION_STEPS, _election_condition, column="phase")


def election_step_for(trigger: str, phase: str) -> ElectionStep:
    """The row of :data:`ELECTION_STEPS` ``trigger`` would use in ``phase`` (the first, for routed triggers)."""
    for step in ELECTION_STEPS:
        if step.trigger == trigger and phase in step.source:
            return step
    if trigger not in ELECTION_TRIGGERS:
        raise NotAllowed(
            trigger,
            phase,
            message="not_allowed.unknown_election_trigger",
            params={"trigger": trigger, "known": list(ELECTION_TRIGGERS)},
        )
    raise NotAllowed(trigger, phase, message="not_allowed.election_phase", params={"trigger": trigger, "phase": phase})


def fire_election(ctx: ElectionContext, trigger: str) -> str:
    """Fire ``trigger`` on the election (its phase is ``ctx.phase``); return the new phase or raise with every unmet rule."""
    election_step_for(trigger, ctx.phase)
    ctx.election.phase = ctx.phase
    try:
        moved = OUTCOME_MACHINE.events[trigger].trigger(ctx.election, ctx=ctx)
    except MachineError:
        raise NotAllowed(
            trigger, ctx.phase, message="not_allowed.election_phase", params={"trigger": trigger, "phase": ctx.phase}
        ) from None
    if not moved:
        raise GuardFailed(trigger, ctx.unmet)
    return str(ctx.election.phase)


def election_triggers_in(phase: str) -> list[str]:
    """What may be attempted on the election in ``phase`` (conditions are checked when fired)."""
    return list(dict.fromkeys(s.trigger for s in ELECTION_STEPS if phase in s.source and s.by != "system"))


@cache
def mermaid() -> str:
    """The candidacy machine as a Mermaid state diagram, each arrow labelled with its trigger and rule."""
    graph = GraphMachine(
        states=list(STATES),
        initial="nominated",
        transitions=[
            {"trigger": f"{s.trigger} [{s.rule}]", "source": list(s.source), "dest": s.dest or s.source[0]}
            for s in CANDIDACY_STEPS
            if s.dest is not None
        ],
        auto_transitions=False,
        graph_engine="mermaid",
        title="Candidacy",
    )
    return str(graph.get_graph().draw(None))
