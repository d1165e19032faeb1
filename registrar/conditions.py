"""The law's conditions, one function per rule, each returning what is unmet and why.

A condition reads the stored records of a candidacy (the action has already written the
ones it brings, in the same transaction), so the same check serves the step that files a
document and the registration decision that relies on it. Nothing here writes.

A condition is applied ``@under`` its rule: where the election kind's rules file has no
such rule, the condition is not applied and says nothing (a kind without D4 collects no
signatures). Numbers in the reasons are the rules', read where they are stated.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registrar import tally
from registrar.calendar import ElectionCalendar, local_date, months_after
from registrar.eligibility import Unmet, unmet_requirements
from registrar.models import (
    Association,
    Candidacy,
    Contribution,
    Deadline,
    Declaration,
    Document,
    Election,
    LanguageConclusion,
    MedicalConclusion,
    NominationDecision,
    SignatureProtocol,
)
from registrar.rules import Rules, as_decimal


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

    def local(self, moment: dt.datetime) -> str:
        return self.calendar.local(moment).strftime("%Y-%m-%d %H:%M %z")

    def one(self, model: type[Any]) -> Any:
        """The candidacy's one record of ``model`` (a medical conclusion, the contribution ...), or None."""
        if model not in self.read:
            self.read[model] = self.session.scalar(select(model).where(model.candidacy_id == self.candidacy.id))
        return self.read[model]

    def every(self, model: type[Any]) -> list[Any]:
        """The candidacy's records of ``model`` (its declarations, its signature protocols ...)."""
        key = (model, "every")
        if key not in self.read:
            self.read[key] = list(self.session.scalars(select(model).where(model.candidacy_id == self.candidacy.id)))
        found: list[Any] = self.read[key]
        return found

    def document_kinds(self) -> set[str]:
        """The kinds of registration document received for the candidacy."""
        if Document not in self.read:
            self.read[Document] = set(
                self.session.scalars(select(Document.kind).where(Document.candidacy_id == self.candidacy.id))
            )
        kinds: set[str] = self.read[Document]
        return kinds

    def forget(self) -> None:
        """Records were written: read them again."""
        self.read.clear()


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
        kinds = ", ".join(ctx.rules.N1.nominator_kinds)
        unmet.append(Unmet("N1", f"{association.name} is a {association.kind} association; only {kinds} ones nominate"))
    day = local_date(ctx.at, ctx.rules)
    if association.registered_on > day or (association.liquidated_on and association.liquidated_on <= day):
        unmet.append(Unmet("N1", f"{association.name} is not a registered association on {day.isoformat()}"))
    return unmet


@under("N3")
def supreme_body_majority(ctx: Context) -> list[Unmet]:
    """N3: a majority of the supreme body's members (or of those present, if configured) voted for."""
    decision: NominationDecision | None = ctx.one(NominationDecision)
    if decision is None:
        return [Unmet("N3", "no decision of the association's supreme body is recorded")]
    base = decision.members if ctx.rules.N3.majority_of == "members" else decision.present
    if decision.votes_for * 2 <= base:
        return [Unmet("N3", f"{decision.votes_for} votes for is not a majority of the {base} {ctx.rules.N3.majority_of}")]
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
        return [Unmet("N5", f"{ctx.candidacy.association.name} has already nominated {others} candidate(s) in this election")]
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
            unmet.append(Unmet("D1", f"the {filer}'s declaration of assets and liabilities is not filed"))
        elif declaration.valued_as_of != ctx.calendar.declarations_as_of:
            unmet.append(
                Unmet(
                    "D1",
                    f"the {filer}'s declaration is valued as of {declaration.valued_as_of.isoformat()}, "
                    f"not {ctx.calendar.declarations_as_of.isoformat()}",
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
    return [Unmet("N6", f"missing: {kind.replace('_', ' ')}") for kind in ctx.rules.N6.documents if not _has_document(ctx, kind)]


@under("D6")
def registration_documents(ctx: Context) -> list[Unmet]:
    """D6: the complete set of registration documents (those N6 already names are reported there)."""
    named_by_n6 = set(ctx.rules.value("N6.documents", ()))
    return [
        Unmet("D6", f"missing: {kind.replace('_', ' ')}")
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
        return [Unmet("D3", "no medical conclusion")] if ctx.rules.D3.conclusion_required else []
    if not conclusion.fit:
        return [Unmet("D3", f"medical conclusion {conclusion.number} finds a disease that prevents registration")]
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
        return [Unmet("D4", "the number of registered voters on the reference date is not recorded for this election")]
    total_needed, regions_needed, per_region = signatures_required(ctx.rules, voters)
    protocols = ctx.every(SignatureProtocol)
    valid = sum(p.valid for p in protocols)
    counted = [p.region for p in protocols if p.valid >= per_region]
    unmet = []
    if valid < total_needed:
        share = ctx.rules.say("{D4.signature_share_percent}")
        unmet.append(Unmet("D4", f"{valid:,} valid signatures, {total_needed:,} needed ({share}% of {voters:,} voters)"))
    if len(counted) < regions_needed:
        unmet.append(
            Unmet(
                "D4",
                f"{len(counted)} regions hold at least {per_region:,} valid signatures each, {regions_needed} needed",
            )
        )
    return unmet


@under("D5")
def contribution_paid(ctx: Context) -> list[Unmet]:
    """D5: D5.multiplier minimum wages as in force on the day of payment."""
    contribution: Contribution | None = ctx.one(Contribution)
    if contribution is None:
        return [Unmet("D5", "the election contribution is not paid")]
    due = ctx.rules.contribution_due_on(contribution.paid_on)
    if contribution.amount < due:
        return [
            Unmet(
                "D5",
                f"{contribution.amount:,} tenge paid on {contribution.paid_on.isoformat()}, {due:,} due "
                f"({ctx.rules.D5.multiplier} x {ctx.rules.minimum_wage_on(contribution.paid_on):,})",
            )
        ]
    return []


def eligible(ctx: Context) -> list[Unmet]:
    """E1-E9, with the linguistic commission's conclusion for E3."""
    language = ctx.one(LanguageConclusion)
    return unmet_requirements(ctx.candidacy.person, ctx.calendar, ctx.rules, language)


# --- Appeals ----------------------------------------------------------------------------


@under("G1")
def registration_closed(ctx: Context) -> list[Unmet]:
    """G1: registration closes at its cut-off; from that second, what is incomplete is refused."""
    closes = ctx.calendar.registration_closes
    if ctx.at < closes:
        return [Unmet("G1", f"registration is open until {ctx.local(closes)}")]
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
        return [Unmet("G6", "no appeal window is open for this decision")]
    if ctx.at >= window.due_at:
        return [Unmet("G6", f"the appeal window closed at {ctx.local(window.due_at)}")]
    return []


def appeal_window_lapsed(ctx: Context) -> list[Unmet]:
    """G6: the decision becomes final only once the window has passed without an appeal."""
    window = _appeal_window(ctx)
    if window is not None and ctx.at < window.due_at:
        return [Unmet("G6", f"the appeal window is open until {ctx.local(window.due_at)}")]
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

    def local(self, moment: dt.datetime) -> str:
        return self.calendar.local(moment).strftime("%Y-%m-%d %H:%M %z")


ElectionCondition = Callable[[ElectionContext], list[Unmet]]


def protocols_complete(ctx: ElectionContext) -> list[Unmet]:
    """V3/V4: the CEC establishes the results on the protocols of every territorial commission."""
    if ctx.missing_units:
        return [Unmet("V3", f"no protocol yet from {len(ctx.missing_units)} territorial commissions: "
                            f"{', '.join(ctx.missing_units)}")]  # fmt: skip
    return []


@under("V5")
def results_decided(ctx: ElectionContext) -> list[Unmet]:
    """V5: the protocols must name the two leaders; a tie at the second place is not decided by the law."""
    if ctx.verdict is not None and ctx.verdict.outcome == "undecided":
        return [Unmet("V5", ctx.verdict.reason)]
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
        unmet.append(Unmet("V5", f"the second round must be held by {latest.isoformat()}, "
                                 f"{months} months after the first ({ctx.election.election_day.isoformat()})"))  # fmt: skip
    if day <= today:
        unmet.append(Unmet("V5", f"the second round's day must be after today ({today.isoformat()})"))
    return unmet


@under("V7")
def quarter_of_units_violated(ctx: ElectionContext) -> list[Unmet]:
    """V7: the CEC may refuse to register the president-elect only where the election was void or
    violated in at least V7.refusal_share of the territorial units."""
    numerator, denominator = ctx.rules.V7.refusal_share
    share = ctx.violated
    if share is None or not tally.refusal_allowed(share, Fraction(numerator, denominator)):
        shown = f"{share.numerator}/{share.denominator}" if share is not None else "0"
        return [Unmet("V7", f"the election was void or violated in {shown} of the units; "
                            f"a refusal needs at least {numerator}/{denominator}")]  # fmt: skip
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
        return [Unmet("V7", "no appeal window is open for this refusal")]
    if ctx.at >= window.due_at:
        return [Unmet("V7", f"the appeal window closed at {ctx.local(window.due_at)}")]
    return []


def president_appeal_lapsed(ctx: ElectionContext) -> list[Unmet]:
    """V7: the refusal becomes final only once its appeal window has passed."""
    window = _election_window(ctx, "president_appeal_window")
    if window is not None and ctx.at < window.due_at:
        return [Unmet("V7", f"the appeal window is open until {ctx.local(window.due_at)}")]
    return []


def president_elect_standing(ctx: ElectionContext) -> list[Unmet]:
    """V7: the CEC registers the President-elect, who must still stand: one whose death was recorded
    since the results cannot be (the CEC may declare the election void instead, V6)."""
    elect = ctx.president_elect
    if elect is not None and elect.state != "registered":
        return [Unmet("V7", f"the President-elect (candidacy {elect.id}) is {elect.state.replace('_', ' ')} "
                            "and cannot be registered")]  # fmt: skip
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
        return [Unmet("V6", f"the re-run must be held by {latest.isoformat()}, {months} months from the decision "
                            "that called for it")]  # fmt: skip
    return []
