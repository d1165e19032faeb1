"""The candidacy and the election as state machines, written as tables a lawyer can read.

Each row of :data:`CANDIDACY_STEPS` is one thing the law lets someone do: the trigger, the
states it applies in, the state it leads to (``None``: a record is added, the state stays),
the rule it enforces, who acts, the election phases it is open in, and the conditions that
must hold. One ``transitions`` machine is built from the table at import time and serves
every candidacy (no machine per object, no ``add_model``); the state is a column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from transitions import Machine, MachineError
from transitions.extensions import GraphMachine

from registrar import conditions as law
from registrar.calendar import ElectionCalendar
from registrar.conditions import Context
from registrar.eligibility import Unmet
from registrar.errors import GuardFailed, NotAllowed

# --- The election's phases --------------------------------------------------------------

PHASES = ("announced", "nomination", "registration", "campaign", "voting", "counting", "results")


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
    transitions=[
        {"trigger": s.trigger, "source": s.source, "dest": s.dest, "conditions": [_reached(s)]} for s in PHASE_STEPS
    ]
    + [
        # N7: with fewer than two registered, the CEC reopens nomination (and so registration).
        {"trigger": "extend_nomination", "source": ["registration", "campaign"], "dest": "registration"},
        # V4: the CEC establishes the results (next issues).
        {"trigger": "establish_results", "source": "counting", "dest": "results"},
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


# --- The candidacy ----------------------------------------------------------------------

STATES = (
    "nominated",
    "declarations_filed",
    "medical_check",
    "documents_submitted",
    "registered",
    "refused",
    "registration_cancelled",
    "appealed",
    "withdrawn",
    "revoked",
    "refused_final",
    "cancelled_final",
)
FINAL = frozenset({"withdrawn", "revoked", "refused_final", "cancelled_final"})
BEFORE_DECISION = ("nominated", "declarations_filed", "medical_check", "documents_submitted")
STANDING = (*BEFORE_DECISION, "registered")
# Once the documents are submitted the set is complete; only a corrected signature protocol
# may still replace one (the audit keeps both).
PREPARING = BEFORE_DECISION[:3]
OPEN_FOR_PAPERS = ("nomination", "registration")


@dataclass(frozen=True)
class Window:
    """When in the election the step is open: its phases and the milestone that ends it."""

    rule: str
    phases: tuple[str, ...]
    until: str | None = None


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


PAPERS = Window("G1", OPEN_FOR_PAPERS, "registration_closes")
DECISION = Window("G1", ("registration",), "registration_closes")


def _decided_from(state: str) -> Callable[[Context], bool]:
    return lambda ctx: ctx.candidacy.decided_from == state


def _appealed_from(state: str) -> Callable[[Context], bool]:
    return lambda ctx: ctx.candidacy.appealed_from == state


CANDIDACY_STEPS: tuple[Step, ...] = (
    # Documents and checks (Art. 56-58)
    Step("file_declarations", ("nominated",), "declarations_filed", "D1", "clerk",
         "the candidate and the spouse file their declarations of assets and liabilities",
         (law.declarations_filed,), PAPERS),
    Step("send_information_request", STANDING, None, "D2", "clerk",
         "the CEC asks an organisation about the candidate's assets; it answers within 4 days"),
    Step("answer_information_request", STANDING, None, "D2", "clerk",
         "the organisation's answer is recorded"),
    Step("start_medical_check", ("declarations_filed",), "medical_check", "D3", "clerk",
         "the candidate is referred for the medical examination", (), PAPERS),
    Step("record_medical_conclusion", ("medical_check",), None, "D3", "clerk",
         "the medical conclusion is received", (), PAPERS),
    Step("record_language_conclusion", PREPARING, None, "E3", "clerk",
         "the linguistic commission's conclusion is received", (), PAPERS),
    Step("record_signature_protocol", BEFORE_DECISION, None, "D4", "clerk",
         "a territorial commission's protocol of verified signatures is received", (), PAPERS),
    Step("record_contribution", PREPARING, None, "D5", "clerk",
         "the election contribution is paid", (), PAPERS),
    Step("record_document", PREPARING, None, "D6", "clerk",
         "a registration document is received (consent, biography ...)", (), PAPERS),
    Step("submit_documents", ("medical_check",), "documents_submitted", "D6", "clerk",
         "the complete set of registration documents is with the CEC; the 5-day check starts (D7)",
         (law.nomination_papers, law.registration_documents), PAPERS),
    # Registration and refusal (Art. 59-60)
    Step("register", ("documents_submitted",), "registered", "G2", "commission",
         "the CEC registers a candidate who meets every rule and issues the certificate",
         (law.nominator_qualifies, law.supreme_body_majority, law.eligible, law.nomination_papers,
          law.registration_documents, law.declarations_filed, law.medically_fit, law.enough_signatures,
          law.contribution_paid), DECISION),
    Step("refuse", BEFORE_DECISION, "refused", "G3", "commission",
         "the CEC refuses registration on the grounds of G3 or G5", (), DECISION),
    Step("refuse_incomplete", PREPARING, "refused", "G3", "system",
         "registration closes with the documents incomplete: registration is refused (G1, G3)",
         (law.registration_closed,)),
    Step("record_declaration_verification", ("registered",), None, "G4", "revenue",
         "the revenue authorities report the verification of a declaration (15 days)"),
    Step("cancel_registration", ("registered",), "registration_cancelled", "G3", "commission",
         "the CEC cancels a registration on the grounds of G3, G4 or G5",
         (), Window("G3", ("registration", "campaign"), "voting_opens")),
    # Appeal to the Supreme Court (G6)
    Step("appeal", ("refused", "registration_cancelled"), "appealed", "G6", "court",
         "the candidate appeals to the Supreme Court within the window", (law.appeal_window_open,)),
    *(Step("uphold_appeal", ("appealed",), state, "G6", "court",
           f"the court annuls the decision; the candidacy returns to {state.replace('_', ' ')}; the ruling is final",
           when=_decided_from(state)) for state in STANDING),
    Step("dismiss_appeal", ("appealed",), "refused_final", "G6", "court",
         "the court dismisses the appeal against a refusal; the refusal is final",
         when=_appealed_from("refused")),
    Step("dismiss_appeal", ("appealed",), "cancelled_final", "G6", "court",
         "the court dismisses the appeal against a cancellation; the cancellation is final",
         when=_appealed_from("registration_cancelled")),
    Step("close_appeal_window", ("refused",), "refused_final", "G6", "system",
         "no appeal within the window: the refusal is final", (law.appeal_window_lapsed,)),
    Step("close_appeal_window", ("registration_cancelled",), "cancelled_final", "G6", "system",
         "no appeal within the window: the cancellation is final", (law.appeal_window_lapsed,)),
    # Leaving the race (G7)
    Step("withdraw", STANDING, "withdrawn", "G7", "candidate",
         "the candidate withdraws", (), Window("G7", PHASES[:4], "voting_opens")),
    Step("revoke_nomination", STANDING, "revoked", "G7", "association",
         "the association revokes its nomination", (), Window("G7", PHASES[:4], "voting_opens")),
)  # fmt: skip

TRIGGERS = tuple(dict.fromkeys(step.trigger for step in CANDIDACY_STEPS))


def window_unmet(window: Window, calendar: ElectionCalendar, at: dt.datetime) -> list[Unmet]:
    """The phase gate: a step outside its phases, or after its closing milestone, is refused with the rule."""
    phase = phase_at(calendar, at)
    if phase not in window.phases:
        return [Unmet(window.rule, f"not open in the {phase} phase (open in: {', '.join(window.phases)})")]
    if window.until is not None:
        closes = calendar.milestones()[window.until]
        if isinstance(closes, dt.datetime) and at >= closes:
            local = calendar.local(closes).strftime("%Y-%m-%d %H:%M %z")
            return [Unmet(window.rule, f"{window.until.replace('_', ' ')} at {local}")]
    return []


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
        unmet = window_unmet(window, ctx.calendar, ctx.at) if window else []
        for condition in step.conditions:
            unmet += condition(ctx)
        ctx.unmet.extend(unmet)
        return not unmet

    return holds


CANDIDACY_MACHINE = Machine(
    model=None,
    states=list(STATES),
    initial="nominated",
    transitions=[
        {"trigger": s.trigger, "source": list(s.source), "dest": s.dest, "conditions": [_condition(s)]}
        for s in CANDIDACY_STEPS
    ],
    auto_transitions=False,
    send_event=True,
)


def steps_from(state: str) -> list[Step]:
    return [step for step in CANDIDACY_STEPS if state in step.source]


def step_for(trigger: str, state: str) -> Step:
    """The row of the table that ``trigger`` would use from ``state`` (the first, for routed triggers)."""
    for step in CANDIDACY_STEPS:
        if step.trigger == trigger and state in step.source:
            return step
    if trigger not in TRIGGERS:
        raise NotAllowed(
            trigger, state, f"{trigger!r} is not an action on a candidacy ({state!r}; known: {', '.join(TRIGGERS)})"
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


def allowed_triggers(state: str, calendar: ElectionCalendar, at: dt.datetime, *, court_reinstated: bool = False) -> list[str]:
    """What may be attempted now: the state and the phase allow it (conditions are checked when fired)."""
    windows = ((s, window_for(s, court_reinstated)) for s in steps_from(state))
    return list(dict.fromkeys(s.trigger for s, w in windows if w is None or not window_unmet(w, calendar, at)))


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
