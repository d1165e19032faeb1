"""Exact tallies: checking a protocol, adding up a round, and what the law makes of the sums.

Pure functions over integers, so the same numbers give the same answer on every machine and
a court can redo the sums by hand. Percentages are ``Decimal`` rounded half up to the
hundredth from integer arithmetic, and every comparison with a threshold is made on the
integers themselves (``votes * 100 > valid * V4.majority_percent``), never on a rounded
percentage: a share a little above the threshold displays as the threshold and is still a
majority, and exactly the threshold is not.

- V3: a territorial commission's protocol must add up (:func:`protocol_errors`).
- V4: the CEC sums the protocols (:func:`total`); more than V4.majority_percent of the valid
  votes elects (:func:`majority`, :func:`first_round`); "against all", where on the ballot, is
  a valid vote where V4.against_all_is_valid says so, and is otherwise counted apart.
- V5: otherwise the two leaders go to a second round; one who withdraws or dies is replaced
  by the next in the first round (:func:`runoff_pair`); in the second round the one with
  more votes wins (:func:`second_round`). A second round with no winner leads to V6's re-run.
- V7: the CEC may refuse to register the president-elect where at least V7.refusal_share of
  the units were void or violated (:func:`violated_share`, :func:`refusal_allowed`).
- D5: the election contribution is refunded on the grounds of D5.refund_on: to the winner, at
  a share of the first-round votes, and on a candidate's death (:func:`refunds`).

Where the law is silent (a tie for a place in the second round), the verdict is
"undecided" with the reason, for the CEC to decide; the code does not invent a tie-break.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from registrar.reasons import said

AGAINST_ALL = "against_all"

ELECTED = "elected"
SECOND_ROUND = "second_round"
NO_WINNER = "no_winner"
UNDECIDED = "undecided"


@dataclass(frozen=True)
class Figures:
    """V3: the numbers of one protocol of a territorial commission."""

    voters_on_list: int
    ballots_issued: int
    ballots_cast: int
    invalid_ballots: int
    votes: Mapping[int, int] = field(default_factory=dict)  # candidacy id -> votes
    against_all: int | None = None  # None when "against all" is not on the ballot

    @property
    def valid(self) -> int:
        """The valid ballots, cast less invalid ("against all" among them; whether it is a
        valid *vote* for the result is V4.against_all_is_valid, applied by :func:`total`)."""
        return self.ballots_cast - self.invalid_ballots


def _n(value: int) -> str:
    return f"{value:,}"


def protocol_errors(figures: Figures, *, ballot: Collection[int], against_all_on_ballot: bool) -> dict[str, list[str]]:
    """Every inconsistency, keyed by the field at fault (empty dict: the protocol adds up). V3.

    Each message is a field error by its message id with the numbers it names (:func:`registrar.reasons.said`),
    so the form and the API say it in the reader's language; as a string it is the English it always was."""
    errors: dict[str, list[str]] = {}

    def fault(key: str, message: str, **params: int) -> None:
        errors.setdefault(key, []).append(said(message, **params))

    counts = {
        "voters_on_list": figures.voters_on_list,
        "ballots_issued": figures.ballots_issued,
        "ballots_cast": figures.ballots_cast,
        "invalid_ballots": figures.invalid_ballots,
    }
    counts |= {f"votes.{candidacy}": votes for candidacy, votes in figures.votes.items()}
    if figures.against_all is not None:
        counts[AGAINST_ALL] = figures.against_all
    for key, value in counts.items():
        if value < 0:
            fault(key, "protocol.negative")
    negative = bool(errors)

    # Each ballot passes through the list, issue, the box and the count: no stage can hold
    # more than the one before it. A negative number already has its own message.
    def at_most(key: str, value: int, limit: int, message: str) -> None:
        if value >= 0 and limit >= 0 and value > limit:
            fault(key, message, limit=limit)

    at_most("ballots_issued", figures.ballots_issued, figures.voters_on_list, "protocol.issued_over_list")
    at_most("ballots_cast", figures.ballots_cast, figures.ballots_issued, "protocol.cast_over_issued")
    at_most("invalid_ballots", figures.invalid_ballots, figures.ballots_cast, "protocol.invalid_over_cast")

    on_ballot = set(ballot)
    for candidacy in sorted(set(figures.votes) - on_ballot):
        fault(f"votes.{candidacy}", "protocol.not_on_ballot")
    for candidacy in sorted(on_ballot - set(figures.votes)):
        fault(f"votes.{candidacy}", "protocol.votes_required")
    if figures.against_all is not None and not against_all_on_ballot:
        fault(AGAINST_ALL, "protocol.against_all_not_on_ballot")
    if figures.against_all is None and against_all_on_ballot:
        fault(AGAINST_ALL, "protocol.against_all_required")

    # The sum is only worth comparing when every term is a count of the right candidates
    # and the valid ballots are a count too; otherwise the messages above say what to fix.
    comparable = (
        not negative
        and set(figures.votes) == on_ballot
        and (figures.against_all is not None) == against_all_on_ballot
        and figures.invalid_ballots <= figures.ballots_cast
    )
    if comparable:
        for_candidates = sum(figures.votes.values())
        against = figures.against_all or 0
        if for_candidates + against != figures.valid:
            sums = {"candidates": for_candidates, "valid": figures.valid, "cast": figures.ballots_cast,
                    "invalid": figures.invalid_ballots}  # fmt: skip
            if against_all_on_ballot:
                fault("votes", "protocol.sum_with_against_all", against=against, total=for_candidates + against, **sums)
            else:
                fault("votes", "protocol.sum", **sums)
    return errors


def percent(part: int, whole: int) -> Decimal:
    """``part`` as a percentage of ``whole``, to the hundredth, rounded half up (0.00 of nothing).

    Integer arithmetic: the hundredths of a percent are ``part * 10_000 / whole``, rounded half
    up by comparing twice the remainder with the divisor, so no digit is ever approximated.
    """
    if whole < 0 or part < 0 or part > whole:
        raise ValueError(f"percent: {part} of {whole} is not a share (need 0 <= part <= whole)")
    if whole == 0:
        return Decimal("0.00")
    hundredths, remainder = divmod(part * 10_000, whole)
    if 2 * remainder >= whole:
        hundredths += 1
    return Decimal(hundredths).scaleb(-2)


def percent_text(value: Decimal) -> str:
    """A percentage as the results show it: "51.23", to the hundredth; never a float."""
    return f"{value:.2f}"


def _exact(value: Decimal) -> Fraction:
    return Fraction(value)


def _shown(value: Decimal) -> str:
    """A threshold as the law writes it: 50, not 50.00 nor 5E+1."""
    return f"{value.normalize():f}"


def majority(votes: int, valid: int, percent_needed: Decimal) -> bool:
    """V4: strictly more than ``percent_needed`` of the valid votes, compared exactly (votes*100 > valid*percent)."""
    return votes * 100 > valid * _exact(percent_needed)


@dataclass(frozen=True)
class Share:
    """One line of the result: a candidacy (None: against all), its votes and its percent of the valid votes."""

    candidacy_id: int | None
    votes: int
    percent: Decimal


@dataclass(frozen=True)
class Counts:
    """V4: what a round's protocols in force add up to (``units`` of them)."""

    units: int
    voters_on_list: int
    ballots_issued: int
    ballots_cast: int
    invalid_ballots: int
    valid: int  # the valid votes, of which the shares are taken (see :func:`total`)


@dataclass(frozen=True)
class Tally(Counts):
    """V4: the national totals of one round."""

    turnout: Decimal  # ballots_cast / voters_on_list, percent
    candidates: tuple[Share, ...]  # by votes, most first; equal votes by candidacy id
    against_all: Share | None

    def votes_of(self, candidacy_id: int) -> int:
        for share in self.candidates:
            if share.candidacy_id == candidacy_id:
                return share.votes
        raise KeyError(f"candidacy {candidacy_id} is not on this ballot")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: counts as ints, percentages as strings ("51.23") so no reader rounds them again."""
        return {
            "units": self.units,
            "voters_on_list": self.voters_on_list,
            "ballots_issued": self.ballots_issued,
            "ballots_cast": self.ballots_cast,
            "invalid_ballots": self.invalid_ballots,
            "valid": self.valid,
            "turnout": str(self.turnout),
            "candidates": [
                {"candidacy_id": s.candidacy_id, "votes": s.votes, "percent": str(s.percent)} for s in self.candidates
            ],
            "against_all": (
                None if self.against_all is None else {"votes": self.against_all.votes, "percent": str(self.against_all.percent)}
            ),
        }


def total(protocols: Iterable[Figures], ballot: Sequence[int], *, against_all_is_valid: bool) -> Tally:
    """V4: the sum of every protocol; a candidate of the ballot with no votes anywhere still appears with 0.

    ``against_all_is_valid`` is V4.against_all_is_valid, always the caller's election's (no
    default, so no caller counts under a rule it did not read): when false, the valid votes, of
    which the candidates' shares and the majority are taken, are those for the candidates,
    and "against all" is shown as a share of the valid ballots. The protocols are expected to
    have passed :func:`protocol_errors`; a vote for someone not on ``ballot`` raises
    ``ValueError`` rather than being dropped from the count.
    """
    units = voters_on_list = ballots_issued = ballots_cast = invalid_ballots = 0
    votes = dict.fromkeys(ballot, 0)
    against_all: int | None = None
    for figures in protocols:
        units += 1
        voters_on_list += figures.voters_on_list
        ballots_issued += figures.ballots_issued
        ballots_cast += figures.ballots_cast
        invalid_ballots += figures.invalid_ballots
        for candidacy, count in figures.votes.items():
            if candidacy not in votes:
                raise ValueError(f"a protocol counts votes for candidacy {candidacy}, which is not on the ballot")
            votes[candidacy] += count
        if figures.against_all is not None:
            against_all = (against_all or 0) + figures.against_all
    ballots = ballots_cast - invalid_ballots
    valid = ballots if against_all_is_valid else ballots - (against_all or 0)
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
    return Tally(
        units=units,
        voters_on_list=voters_on_list,
        ballots_issued=ballots_issued,
        ballots_cast=ballots_cast,
        invalid_ballots=invalid_ballots,
        valid=valid,
        turnout=percent(ballots_cast, voters_on_list),
        candidates=tuple(Share(candidacy, count, percent(count, valid)) for candidacy, count in ranked),
        against_all=None if against_all is None else Share(None, against_all, percent(against_all, ballots)),
    )


@dataclass(frozen=True)
class Verdict:
    """What the law makes of a round's tally, with the sentence that says why."""

    outcome: str  # "elected" | "second_round" | "no_winner" | "undecided"
    winner: int | None = None
    leaders: tuple[int, ...] = ()  # the two on the second-round ballot
    reason: str = ""


def _names(candidacies: Sequence[int | None]) -> str:
    ids = [str(c) for c in candidacies]
    return ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"


def runoff_pair(tally: Tally, out_of_race: Collection[int]) -> tuple[int, int]:
    """V5: the two on the second-round ballot, most first-round votes first.

    A candidate out of the race (withdrawn or deceased after the first round) is passed over
    and the next in the first round takes the place. Raises ``ValueError(reason)`` when the
    law does not decide: fewer than two left, or a tie for the last place on the ballot.
    """
    in_race = [share for share in tally.candidates if share.candidacy_id not in out_of_race]
    if len(in_race) < 2:
        left = [share.candidacy_id for share in in_race if share.candidacy_id is not None]
        who = f" (only candidacy {left[0]})" if left else ""
        raise ValueError(
            f"V5: fewer than two candidates remain in the race for the second round{who}; "
            "the rules do not say what follows, the CEC must decide"
        )
    first, second = in_race[0], in_race[1]
    if len(in_race) > 2 and in_race[2].votes == second.votes:
        tied = [s.candidacy_id for s in in_race if s.votes == second.votes]
        place = "first" if first.votes == second.votes else "second"
        raise ValueError(
            f"V5: candidacies {_names(tied)} are tied for {place} place with {_n(second.votes)} votes each; "
            "the law does not say who goes to the second round, the CEC must decide"
        )
    assert first.candidacy_id is not None and second.candidacy_id is not None  # candidates, never "against all"
    return first.candidacy_id, second.candidacy_id


def first_round(tally: Tally, *, percent_needed: Decimal, out_of_race: Collection[int] = ()) -> Verdict:
    """V4: a candidate with a majority of the valid votes is elected; otherwise V5: a second round."""
    needed = _shown(percent_needed)
    if not tally.candidates:
        return Verdict(UNDECIDED, reason="V4: no candidate was on the ballot")
    leader = tally.candidates[0]
    assert leader.candidacy_id is not None
    if majority(leader.votes, tally.valid, percent_needed):
        said = f"V4: candidacy {leader.candidacy_id} has {leader.percent}% of the valid votes (more than {needed}%)"
        if leader.candidacy_id in out_of_race:
            return Verdict(
                UNDECIDED,
                reason=f"{said} but is out of the race; the rules do not say what follows, the CEC must decide",
            )
        return Verdict(ELECTED, winner=leader.candidacy_id, reason=said)
    no_majority = (
        f"V4: no candidate has more than {needed}% of the valid votes "
        f"(the most: candidacy {leader.candidacy_id} with {leader.percent}%)"
    )
    try:
        pair = runoff_pair(tally, out_of_race)
    except ValueError as undecided:
        return Verdict(UNDECIDED, reason=f"{no_majority}; {undecided}")
    reason = f"{no_majority}; V5: a second round between candidacies {pair[0]} and {pair[1]}"
    # Those out of the race ranked above the second place taken are the ones it replaces.
    ranked = [share.candidacy_id for share in tally.candidates]
    replaced = [c for c in ranked[: ranked.index(pair[1])] if c in out_of_race]
    if replaced:
        reason += f" (candidacy {_names(replaced)} out of the race; the next in the first round takes the place)"
    return Verdict(SECOND_ROUND, leaders=pair, reason=reason)


def second_round(tally: Tally) -> Verdict:
    """V5: the one with more votes wins; equal votes: no winner (V6 then calls a re-run).

    "Against all" counts among the valid votes but elects no one, and does not stop the
    candidate with more votes from winning.
    """
    if len(tally.candidates) != 2:
        return Verdict(
            UNDECIDED,
            reason=f"V5: a second round is between two candidates, this ballot has {len(tally.candidates)}; the CEC must decide",
        )
    first, second = tally.candidates
    assert first.candidacy_id is not None and second.candidacy_id is not None
    if first.votes == second.votes:
        return Verdict(
            NO_WINNER,
            leaders=(first.candidacy_id, second.candidacy_id),
            reason=(
                f"V5: candidacies {first.candidacy_id} and {second.candidacy_id} have equal votes "
                f"({_n(first.votes)} each) in the second round; V6: a re-run follows"
            ),
        )
    return Verdict(
        ELECTED,
        winner=first.candidacy_id,
        leaders=(first.candidacy_id, second.candidacy_id),
        reason=(
            f"V5: candidacy {first.candidacy_id} has more votes in the second round "
            f"({_n(first.votes)}, {first.percent}%) than candidacy {second.candidacy_id} "
            f"({_n(second.votes)}, {second.percent}%)"
        ),
    )


def violated_share(flags: Iterable[bool]) -> Fraction:
    """V7: the units whose vote was void or violated, over all units (no units: 0)."""
    marks = list(flags)
    return Fraction(sum(1 for flag in marks if flag), len(marks)) if marks else Fraction(0)


def refusal_allowed(share: Fraction, threshold: Fraction) -> bool:
    """V7: the CEC may refuse to register the president-elect at "at least" the threshold (V7.refusal_share)."""
    return share >= threshold


@dataclass(frozen=True)
class Refund:
    """D5: a contribution to pay back, and why (the names of D5.refund_on)."""

    candidacy_id: int
    amount: int
    reasons: tuple[str, ...]


def refunds(
    contributions: Mapping[int, int],
    *,
    tally: Tally | None,
    elected: int | None,
    deceased: Collection[int],
    share_percent: Decimal,
    refund_on: Collection[str],
) -> list[Refund]:
    """D5: the contributions refunded, by candidacy id; a candidacy with no reason is not listed.

    On the grounds ``refund_on`` names (D5.refund_on of the election, no default): ``elected``, the winner; ``vote_share``,
    a candidate with at least ``share_percent`` of the valid votes of the first round
    (``tally``; exactly ``share_percent`` counts); ``death``, a candidate who died. Without a
    tally (no vote held) the vote share gives no refund.
    """
    threshold = _exact(share_percent)
    # Only a candidate on the ballot has a share of the votes (one withdrawn before the vote has none).
    first_round_votes = {} if tally is None or tally.valid == 0 else {s.candidacy_id: s.votes for s in tally.candidates}
    valid = 0 if tally is None else tally.valid
    found: list[Refund] = []
    for candidacy in sorted(contributions):
        reasons: list[str] = []
        if "elected" in refund_on and elected is not None and candidacy == elected:
            reasons.append("elected")
        if (
            "vote_share" in refund_on
            and candidacy in first_round_votes
            and first_round_votes[candidacy] * 100 >= valid * threshold
        ):
            reasons.append("vote_share")
        if "death" in refund_on and candidacy in deceased:
            reasons.append("death")
        if reasons:
            found.append(Refund(candidacy, contributions[candidacy], tuple(reasons)))
    return found
