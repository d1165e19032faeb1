"""The law's conditions, one function per rule, each returning what is unmet and why.

A condition reads the stored records of a candidacy (the action has already written the
ones it brings, in the same transaction), so the same check serves the step that files a
document and the registration decision that relies on it. Nothing here writes.

A condition is applied ``@under`` its rule: where the election kind's rules file has no
such rule, the condition is not applied and says nothing (a kind without D4 collects no
signatures). Numbers in the reasons are the rules', read where they are stated.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, func, literal, null, select, union_all
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from registrar import tally
from registrar.calendar import ElectionCalendar, local_date, months_after
from registrar.eligibility import PersonFacts, Unmet, unmet_requirements
from registrar.models import (
    Appeal,
    Association,
    Candidacy,
    Contribution,
    Deadline,
    Decision,
    Declaration,
    Document,
    Election,
    ElectionResult,
    LanguageConclusion,
    MedicalConclusion,
    NominationDecision,
    SignatureProtocol,
)
from registrar.rules import Rules, as_decimal
from registrar.schemas import recording_the_past


@dataclass
class Context:
    """What a condition may look at: the records, the law, the calendar and the moment."""

    session: Session
    rules: Rules
    calendar: ElectionCalendar
    election: Election
    candidacy: Candidacy
    at: dt.datetime
    trigger: str = ""
    # What the step's recorder adds to its event: who else is told (an organisation asked, D2),
    # under which topic, and what the audit event notes (the certificate's number, the deadline
    # that acted for the sweep).
    told: list[str] = field(default_factory=list)
    topic: str | None = None
    noted: dict[str, Any] = field(default_factory=dict)
    unmet: list[Unmet] = field(default_factory=list)
    # The candidacy's records the conditions have read, by kind. Conditions write nothing, so
    # what one of them read another finds here (registration reads most kinds twice); an
    # action that writes records after they were read forgets them (:meth:`forget`).
    read: dict[Any, Any] = field(default_factory=dict)

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` in the capital's time (T1), as the reasons show it."""
        return self.calendar.local(moment)

    def one(self, model: type[Any]) -> Any:
        """The candidacy's one record of ``model`` (a medical conclusion, the contribution ...), or None."""
        if model in PAPERS:
            found = self.every(model)
            return found[0] if found else None
        if model not in self.read:
            self.read[model] = self.session.scalar(select(model).where(model.candidacy_id == self.candidacy.id))
        return self.read[model]

    def every(self, model: type[Any]) -> list[Any]:
        """The candidacy's records of ``model`` (its declarations, its signature protocols ...), in the
        order they were recorded; of the :data:`PAPERS`, read-only rows of their columns."""
        if model in PAPERS:
            if PAPERS not in self.read:
                self.read[PAPERS] = papers_of(self.session, self.candidacy.id)
            papers: dict[type[Any], list[Any]] = self.read[PAPERS]
            return papers[model]
        key = (model, "every")
        if key not in self.read:
            self.read[key] = list(self.session.scalars(select(model).where(model.candidacy_id == self.candidacy.id)))
        found: list[Any] = self.read[key]
        return found

    def document_kinds(self) -> set[str]:
        """The kinds of registration document received for the candidacy."""
        return {document.kind for document in self.every(Document)}

    def forget(self) -> None:
        """Records were written: read them again."""
        self.read.clear()


# The candidacy's papers the conditions weigh. The first condition that needs one of them reads
# them all in one statement: registration weighs every kind, and a statement each cost it eight
# round trips (issue 15). Conditions write nothing, so each is read as a row of its columns.
PAPERS = (NominationDecision, Declaration, MedicalConclusion, LanguageConclusion, Contribution, SignatureProtocol,
          Document, Decision)  # fmt: skip


@functools.cache
def _papers() -> tuple[Any, tuple[tuple[type[Any], Any, slice], ...]]:
    """The statement of :func:`papers_of`, a UNION ALL with a column slot for each column of each kind
    (typed NULLs in the slots of the other kinds), and for each kind its row type and its slots."""
    slots = [(model, column) for model in PAPERS for column in cast(Table, model.__table__).c]
    branches, shapes, start = [], [], 1
    for index, model in enumerate(PAPERS):
        table = cast(Table, model.__table__)
        branches.append(
            select(literal(index).label("paper"),
                   *((column if owner is model else sql_cast(null(), column.type)).label(f"s{i}")
                     for i, (owner, column) in enumerate(slots)))
            .where(table.c.candidacy_id == bindparam("candidacy_id"))
        )  # fmt: skip
        names = [column.name for column in table.c]
        shapes.append((model, collections.namedtuple(model.__name__, names), slice(start, start + len(names))))
        start += len(names)
    return union_all(*branches), tuple(shapes)


def papers_of(session: Session, candidacy_id: int) -> dict[type[Any], list[Any]]:
    """The candidacy's :data:`PAPERS` by kind, each kind's in the order they were recorded."""
    statement, shapes = _papers()
    found: dict[type[Any], list[Any]] = {model: [] for model in PAPERS}
    for row in session.execute(statement, {"candidacy_id": candidacy_id}):
        model, shape, columns = shapes[row[0]]
        found[model].append(shape(*row[columns]))
    for records in found.values():
        records.sort(key=lambda record: record.id)
    return found


Condition = Callable[[Context], list[Unmet]]
_Ctx = TypeVar("_Ctx", "Context", "ElectionContext")


def under(rule_id: str) -> Callable[[Callable[[_Ctx], list[Unmet]]], Callable[[_Ctx], list[Unmet]]]:
    """Apply a condition only where the election kind's rules have ``rule_id``."""

    def applied_under(condition: Callable[[_Ctx], list[Unmet]]) -> Callable[[_Ctx], list[Unmet]]:
        @functools.wraps(condition)
        def applied(ctx: _Ctx) -> list[Unmet]:
            return condition(ctx) if ctx.rules.has(rule_id) else []

        return applied

    return applied_under


# --- Nomination --------------------------------------------------------------------------


@under("N1")
def nominator_qualifies(ctx: Context) -> list[Unmet]:
    """N1: a national public association, registered and not liquidated, nominates."""
    association: Association = ctx.candidacy.association
    unmet = []
    if association.kind not in ctx.rules.N1.nominator_kinds:
        unmet.append(
            Unmet.because(
                "N1",
                "N1.not_nominator_kind",
                association=association.name,
                kind=association.kind,
                kinds=list(ctx.rules.N1.nominator_kinds),
            )
        )
    day = local_date(ctx.at, ctx.rules)
    # An archive's association whose registration day the public record does not give: that the
    # CEC accepted its nomination is all the record says, and the day is not judged.
    registered_on = association.registered_on or day
    if registered_on > day or (association.liquidated_on and association.liquidated_on <= day):
        unmet.append(Unmet.because("N1", "N1.not_registered", association=association.name, day=day))
    return unmet


@under("N3")
def supreme_body_majority(ctx: Context) -> list[Unmet]:
    """N3: a majority of the supreme body's members (or of those present, if configured) voted for."""
    decision: NominationDecision | None = ctx.one(NominationDecision)
    if decision is None:
        return [Unmet.because("N3", "N3.no_decision")]
    base = decision.members if ctx.rules.N3.majority_of == "members" else decision.present
    if decision.votes_for is None or base is None:
        return []  # a past congress whose votes the public record does not give: the CEC accepted its decision
    if decision.votes_for * 2 <= base:
        return [
            Unmet.because(
                "N3", "N3.no_majority", votes_for=decision.votes_for, base=base, majority_of=str(ctx.rules.N3.majority_of)
            )
        ]
    return []


@under("N5")
def one_candidacy_per_association(ctx: Context) -> list[Unmet]:
    """N5: an association nominates one candidate; a withdrawn or revoked one no longer counts."""
    limit = ctx.rules.N5.candidacies_per_association
    others = ctx.session.scalar(
        select(func.count(Candidacy.id)).where(
            Candidacy.election_id == ctx.election.id,
            Candidacy.association_id == ctx.candidacy.association_id,
            Candidacy.id != ctx.candidacy.id,
            Candidacy.state.not_in(REPLACEABLE),
        )
    )
    if others and others >= limit:
        return [Unmet.because("N5", "N5.already_nominated", association=ctx.candidacy.association.name, others=others)]
    return []


REPLACEABLE = ("withdrawn", "revoked")


# --- Documents --------------------------------------------------------------------------


def _required_filers(ctx: Context) -> list[str]:
    filers = list(ctx.rules.D1.filers)
    if not ctx.candidacy.person.married and "spouse" in filers:
        filers.remove("spouse")
    return filers


@under("D1")
def declarations_filed(ctx: Context) -> list[Unmet]:
    """D1: candidate and spouse each declared, valued as of the first day of the nomination month."""
    filed = {d.filer: d for d in ctx.every(Declaration)}
    unmet = []
    for filer in _required_filers(ctx):
        declaration = filed.get(filer)
        if declaration is None:
            unmet.append(Unmet.because("D1", "D1.not_filed", filer=filer))
        elif declaration.valued_as_of != ctx.calendar.declarations_as_of:
            unmet.append(
                Unmet.because(
                    "D1",
                    "D1.valued_as_of",
                    filer=filer,
                    valued_as_of=declaration.valued_as_of,
                    as_of=ctx.calendar.declarations_as_of,
                )
            )
    return unmet


def _has_document(ctx: Context, kind: str) -> bool:
    probes: dict[str, Callable[[], bool]] = {
        "minutes_extract": lambda: ctx.one(NominationDecision) is not None,
        "signature_protocols": lambda: bool(ctx.every(SignatureProtocol)),
        "declaration_certificates": lambda: not declarations_filed(ctx),
        "contribution_receipt": lambda: ctx.one(Contribution) is not None,
        "medical_conclusion": lambda: ctx.one(MedicalConclusion) is not None,
        "language_conclusion": lambda: ctx.one(LanguageConclusion) is not None,
    }
    probe = probes.get(kind)
    if probe is not None:
        return probe()
    return kind in ctx.document_kinds()


@under("N6")
def nomination_papers(ctx: Context) -> list[Unmet]:
    """N6: the papers of N6.documents (consent, minutes extract, contribution receipt) are with the CEC."""
    return [
        Unmet.because("N6", "documents.missing", document=kind) for kind in ctx.rules.N6.documents if not _has_document(ctx, kind)
    ]


@under("D6")
def registration_documents(ctx: Context) -> list[Unmet]:
    """D6: the complete set of registration documents (those N6 already names are reported there)."""
    named_by_n6 = set(ctx.rules.value("N6.documents", ()))
    return [
        Unmet.because("D6", "documents.missing", document=kind)
        for kind in ctx.rules.D6.documents
        if kind not in named_by_n6 and not _has_document(ctx, kind)
    ]


@under("D3")
def medically_fit(ctx: Context) -> list[Unmet]:
    """D3: the medical conclusion finds no disease on the list that prevents registration.

    Where D3.conclusion_required is false the examination is not a condition of registration,
    but a conclusion on file that finds such a disease still stands against it."""
    conclusion: MedicalConclusion | None = ctx.one(MedicalConclusion)
    if conclusion is None:
        return [Unmet.because("D3", "D3.no_conclusion")] if ctx.rules.D3.conclusion_required else []
    if not conclusion.fit:
        return [Unmet.because("D3", "D3.unfit", number=conclusion.number)]
    return []


# D4.rounding: how the share of the voters becomes a whole number of signatures.
_ROUNDING = {"up": ROUND_CEILING, "half_up": ROUND_HALF_UP, "down": ROUND_FLOOR}


def signatures_required(rules: Rules, voters: int) -> tuple[int, int, int]:
    """D4: (signatures needed, regions needed, signatures a region must hold to count).

    The total is D4.signature_share_percent of the voters, made whole by D4.rounding; the
    regions are "at least" their fraction, and so is a region's part of an even split."""
    share = Decimal(voters) * as_decimal(rules.D4.signature_share_percent) / 100
    total = int(share.quantize(Decimal(1), rounding=_ROUNDING[rules.D4.rounding]))
    numerator, denominator = rules.D4.min_regions_fraction
    regions = math.ceil(Decimal(len(rules.D4.regions) * numerator) / denominator)
    per_region = math.ceil(Decimal(total) / regions * as_decimal(rules.D4.even_split_min_fraction))
    return total, regions, per_region


@under("D4")
def enough_signatures(ctx: Context) -> list[Unmet]:
    """D4: D4.signature_share_percent of the voters, evenly representing D4.min_regions_fraction of the regions."""
    voters = ctx.election.registered_voters
    if not voters:
        return [Unmet.because("D4", "D4.no_voter_count")]
    total_needed, regions_needed, per_region = signatures_required(ctx.rules, voters)
    protocols = ctx.every(SignatureProtocol)
    valid = sum(p.valid for p in protocols)
    counted = [p.region for p in protocols if p.valid >= per_region]
    unmet = []
    if valid < total_needed:
        share = as_decimal(ctx.rules.D4.signature_share_percent)
        unmet.append(Unmet.because("D4", "D4.too_few_signatures", valid=valid, needed=total_needed, share=share, voters=voters))
    if len(counted) < regions_needed:
        unmet.append(
            Unmet.because("D4", "D4.too_few_regions", counted=len(counted), per_region=per_region, needed=regions_needed)
        )
    return unmet


@under("D5")
def contribution_paid(ctx: Context) -> list[Unmet]:
    """D5: D5.multiplier minimum wages as in force on the day of payment."""
    contribution: Contribution | None = ctx.one(Contribution)
    if contribution is None:
        return [Unmet.because("D5", "D5.not_paid")]
    due = ctx.rules.contribution_due_on(contribution.paid_on)
    if contribution.amount < due:
        return [
            Unmet.because(
                "D5",
                "D5.too_little",
                amount=contribution.amount,
                paid_on=contribution.paid_on,
                due=due,
                multiplier=ctx.rules.D5.multiplier,
                wage=ctx.rules.minimum_wage_on(contribution.paid_on),
            )
        ]
    return []


def from_the_public_record(ctx: Context) -> list[Unmet]:
    """G2 as a past election's public record gives it (record_registration): only an import of that
    record registers a candidate without the papers; a live registration is G2's, on its papers."""
    if recording_the_past():
        return []
    return [Unmet.because("G2", "G2.only_from_the_record")]


def eligible(ctx: Context) -> list[Unmet]:
    """E1-E9, with the linguistic commission's conclusion for E3."""
    language = ctx.one(LanguageConclusion)
    person = ctx.candidacy.person
    # A nominee of a past election loaded from the public record may lack a fact (issue 14): the
    # rule it decides is unmet for want of it, never decided on a guess.
    missing = [(rule, fact) for rule, fact in _FACT_RULES if getattr(person, fact) is None and rule in ctx.rules]
    if missing:
        return [Unmet.because(rule, f"{rule}.not_in_record") for rule, _ in missing]
    return unmet_requirements(cast(PersonFacts, person), ctx.calendar, ctx.rules, language)


# The person's facts the public record may not give, and the rule each decides.
_FACT_RULES = (("E1", "citizen_by_birth"), ("E2", "birth_date"), ("E5", "education_level"),
               ("E6", "public_service_months"))  # fmt: skip


# --- The date of a decision ---------------------------------------------------------------


def dated_within(rule: str, decided_on: dt.date, today: dt.date, opened: dt.date | None) -> list[Unmet]:
    """A decision is dated on or before the day it is recorded, and not before its window opened:
    a registration decided after election day, or before registration began, is no decision of the CEC."""
    if decided_on > today:
        return [Unmet.because(rule, "decision.in_future", decided_on=decided_on, today=today, field="decided_on")]
    if opened is not None and decided_on < opened:
        return [Unmet.because(rule, "decision.before_window", decided_on=decided_on, opened=opened, field="decided_on")]
    return []


def decision_dated(ctx: Context, rule: str, opened: dt.date | None) -> list[Unmet]:
    """The decision the step has just recorded is dated within its window (:func:`dated_within`);
    a court's ruling not before the appeal it decides was filed."""
    decision = next((d for d in reversed(ctx.every(Decision)) if d.kind == ctx.trigger), None)
    if decision is None or decision.recorded_at != ctx.at:
        return []  # nothing recorded by this action: nothing dated to check
    if decision.body == "Supreme Court":
        appeal = ctx.session.scalar(select(Appeal).where(Appeal.candidacy_id == ctx.candidacy.id).order_by(Appeal.id.desc()))
        if appeal is not None:
            filed = local_date(appeal.filed_at, ctx.rules)
            opened = filed if opened is None else max(opened, filed)
    return dated_within(rule, decision.decided_on, local_date(ctx.at, ctx.rules), opened)


# --- Appeals ----------------------------------------------------------------------------


@under("G1")
def registration_closed(ctx: Context) -> list[Unmet]:
    """G1: registration closes at its cut-off; from that second, what is incomplete is refused."""
    closes = ctx.calendar.registration_closes
    if ctx.at < closes:
        return [Unmet.because("G1", "G1.open_until", until=ctx.local(closes))]
    return []


def _appeal_window(ctx: Context) -> Deadline | None:
    return ctx.session.scalar(
        select(Deadline).where(
            Deadline.subject_type == "candidacy",
            Deadline.subject_id == str(ctx.candidacy.id),
            Deadline.kind == "appeal_window",
            Deadline.status == "pending",
        )
    )


def appeal_window_open(ctx: Context) -> list[Unmet]:
    """G6: an appeal is filed before the window closes."""
    window = _appeal_window(ctx)
    if window is None:
        return [Unmet.because("G6", "G6.no_window")]
    if ctx.at >= window.due_at:
        return [Unmet.because("G6", "appeal.window_closed", at=ctx.local(window.due_at))]
    return []


def appeal_window_lapsed(ctx: Context) -> list[Unmet]:
    """G6: the decision becomes final only once the window has passed without an appeal."""
    window = _appeal_window(ctx)
    if window is not None and ctx.at < window.due_at:
        return [Unmet.because("G6", "appeal.window_open", until=ctx.local(window.due_at))]
    return []


# --- The election after the vote (V3-V7) ---------------------------------------------------


@dataclass
class ElectionContext:
    """What an election-level condition may look at: the election, its round's figures, the payload.

    ``verdict`` is what the protocols decide (registrar.tally.Verdict), computed before the
    CEC establishes the results; ``violated`` is V7's share of units void or violated.
    """

    session: Session
    rules: Rules
    calendar: ElectionCalendar
    election: Election
    at: dt.datetime
    phase: str
    trigger: str
    data: dict[str, Any] = field(default_factory=dict)
    counted: Any = None  # registrar.tally.Tally
    verdict: Any = None
    missing_units: tuple[str, ...] = ()
    violated: Any = None  # fractions.Fraction
    president_elect: Any = None  # the elected Candidacy, for V7's registration
    unmet: list[Unmet] = field(default_factory=list)

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` in the capital's time (T1), as the reasons show it."""
        return self.calendar.local(moment)


ElectionCondition = Callable[[ElectionContext], list[Unmet]]


def election_decision_dated(ctx: ElectionContext, rule: str) -> list[Unmet]:
    """An election's decision is dated on or before today and not before the vote it decides on
    (the second round's, once there is one) nor before the results it follows."""
    decided_on = ctx.data.get("decided_on")
    if not isinstance(decided_on, dt.date):
        return []
    today = local_date(ctx.at, ctx.rules)
    opened: dt.date = ctx.election.election_day
    second = ctx.election.second_round_day
    if second is not None and second <= today and ctx.phase not in ("counting", "second_round_due"):
        opened = max(opened, second)
    if ctx.trigger != "establish_results":
        results = ctx.session.scalars(select(ElectionResult.decided_on).where(ElectionResult.election_id == ctx.election.id))
        opened = max([opened, *(day for day in results if day is not None)])
    return dated_within(rule, decided_on, today, opened)


def protocols_complete(ctx: ElectionContext) -> list[Unmet]:
    """V3/V4: the CEC establishes the results on the protocols of every territorial commission."""
    if ctx.missing_units:
        return [Unmet.because("V3", "V3.protocols_missing", count=len(ctx.missing_units), units=list(ctx.missing_units))]
    return []


@under("V5")
def results_decided(ctx: ElectionContext) -> list[Unmet]:
    """V5: the protocols must name the two leaders; a tie at the second place is not decided by the law."""
    if ctx.verdict is not None and ctx.verdict.outcome == "undecided":
        # The tally says which candidacies tie, in English; the catalogues say that the CEC must decide.
        return [Unmet("V5", ctx.verdict.reason, "V5.undecided", {"detail": ctx.verdict.reason})]
    return []


def within_months(start: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` calendar months from ``start`` (clamped to a shorter month's end)."""
    return months_after(start, months)


@under("V5")
def second_round_in_time(ctx: ElectionContext) -> list[Unmet]:
    """V5: the second round is held within V5.second_round_within_months of the first, on a day still ahead."""
    day: dt.date = ctx.data["voting_day"]
    months = int(ctx.rules.V5.second_round_within_months)
    latest = within_months(ctx.election.election_day, months)
    today = local_date(ctx.at, ctx.rules)
    unmet = []
    if day > latest:
        unmet.append(
            Unmet.because(
                "V5",
                "V5.second_round_too_late",
                latest=latest,
                months=months,
                first=ctx.election.election_day,
                field="voting_day",
            )
        )
    if day <= today:
        unmet.append(Unmet.because("V5", "V5.second_round_not_ahead", today=today, field="voting_day"))
    return unmet


@under("V7")
def quarter_of_units_violated(ctx: ElectionContext) -> list[Unmet]:
    """V7: the CEC may refuse to register the president-elect only where the election was void or
    violated in at least V7.refusal_share of the territorial units."""
    numerator, denominator = ctx.rules.V7.refusal_share
    share = ctx.violated
    if share is None or not tally.refusal_allowed(share, Fraction(numerator, denominator)):
        return [
            Unmet.because(
                "V7", "V7.too_few_violated", share=share if share is not None else 0, needed=f"{numerator}/{denominator}"
            )
        ]
    return []


def _election_window(ctx: ElectionContext, kind: str) -> Deadline | None:
    return ctx.session.scalar(
        select(Deadline).where(
            Deadline.subject_type == "election",
            Deadline.subject_id == ctx.election.id,
            Deadline.kind == kind,
            Deadline.status == "pending",
        )
    )


def president_appeal_open(ctx: ElectionContext) -> list[Unmet]:
    """V7: the refusal to register the president-elect may be appealed within V7.appeal_days."""
    window = _election_window(ctx, "president_appeal_window")
    if window is None:
        return [Unmet.because("V7", "V7.no_window")]
    if ctx.at >= window.due_at:
        return [Unmet.because("V7", "appeal.window_closed", at=ctx.local(window.due_at))]
    return []


def president_appeal_lapsed(ctx: ElectionContext) -> list[Unmet]:
    """V7: the refusal becomes final only once its appeal window has passed."""
    window = _election_window(ctx, "president_appeal_window")
    if window is not None and ctx.at < window.due_at:
        return [Unmet.because("V7", "appeal.window_open", until=ctx.local(window.due_at))]
    return []


def president_elect_standing(ctx: ElectionContext) -> list[Unmet]:
    """V7: the CEC registers the President-elect, who must still stand: one whose death was recorded
    since the results cannot be (the CEC may declare the election void instead, V6)."""
    elect = ctx.president_elect
    if elect is not None and elect.state != "registered":
        return [Unmet.because("V7", "V7.elect_not_standing", candidacy=str(elect.id), state=elect.state)]
    return []


@under("V6")
def rerun_in_time(ctx: ElectionContext) -> list[Unmet]:
    """V6: the re-run is held within V6.rerun_within_months of the decision that calls for it: the election declared
    void, the second round without a winner, the refusal final (when its ``rerun_due`` deadline began)."""
    day: dt.date = ctx.data["election_day"]
    months = int(ctx.rules.V6.rerun_within_months)
    due = _election_window(ctx, "rerun_due")
    # The deadline ends at 24:00 of the last day allowed, which is 00:00 of the next.
    latest = local_date(due.due_at, ctx.rules) - dt.timedelta(days=1) if due is not None else None
    if latest is None:
        latest = within_months(local_date(ctx.at, ctx.rules), months)
    if day > latest:
        return [Unmet.because("V6", "V6.rerun_too_late", latest=latest, months=months, field="election_day")]
    return []


# --- Extending nomination (N7) ------------------------------------------------------------


def extension_unmet(session: Session, election: Any, rules: Rules, calendar: ElectionCalendar, at: dt.datetime) -> list[Unmet]:
    """N7: the CEC may extend nomination once registration has closed with fewer than
    ``N7.min_registered`` registered (the action and the election's task list both ask)."""
    if not rules.has("N7"):
        return [Unmet.because("N7", "N7.not_extended", title=rules.title)]
    unmet = []
    if at < calendar.registration_closes:
        unmet.append(Unmet.because("N7", "N7.registration_open", until=calendar.local(calendar.registration_closes)))
    registered = session.scalar(
        select(func.count(Candidacy.id)).where(Candidacy.election_id == election.id, Candidacy.state == "registered")
    )
    if (registered or 0) >= rules.N7.min_registered:
        unmet.append(Unmet.because("N7", "N7.enough_registered", registered=registered, min_registered=rules.N7.min_registered))
    return unmet
