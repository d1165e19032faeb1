"""Exact tallies (registrar/tally.py): a protocol adds up (V3), the national sum and its
percentages to the hundredth (V4), the majority and the second round (V4, V5), the quarter
of violated units (V7) and the refunds of the contribution (D5). Pure arithmetic, no database.

Every expected percentage is derived by hand in a comment: hundredths of a percent are
part * 10_000 / whole, rounded half up.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registrar.rules import for_kind
from registrar.tally import (
    Figures,
    Refund,
    Share,
    Tally,
    Verdict,
    first_round,
    majority,
    percent,
    protocol_errors,
    refunds,
    refusal_allowed,
    runoff_pair,
    second_round,
    total,
    violated_share,
)

RULES = for_kind("presidential")
HALF = RULES.V4.majority_percent  # 50
FIVE = RULES.D5.refund_vote_share_percent  # 5
QUARTER = Fraction(*RULES.V7.refusal_share)  # 1/4
VALID = bool(RULES.V4.against_all_is_valid)  # true: "against all" is a valid vote
GROUNDS = tuple(RULES.D5.refund_on)  # elected, vote_share, death


def protocol(votes: dict[int, int], *, against_all: int | None = None, invalid: int = 0, absent: int = 0) -> Figures:
    """A protocol that adds up: every ballot issued was cast, the valid ones are the votes."""
    cast = sum(votes.values()) + (against_all or 0) + invalid
    return Figures(
        voters_on_list=cast + absent,
        ballots_issued=cast,
        ballots_cast=cast,
        invalid_ballots=invalid,
        votes=votes,
        against_all=against_all,
    )


def tally_of(votes: dict[int, int], *, against_all: int | None = None, invalid: int = 0) -> Tally:
    return total([protocol(votes, against_all=against_all, invalid=invalid)], list(votes), against_all_is_valid=VALID)


# --- percent and majority (V4) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        # 4_500_001 * 10_000 / 9_000_000 = 5000.0011 -> 5000 hundredths
        (4_500_001, 9_000_000, "50.00"),
        (4_500_000, 9_000_000, "50.00"),
        # 4_612_345 * 10_000 = 46_123_450_000 = 9_000_000 * 5124 + 7_450_000; 2 * 7_450_000 >= 9_000_000 -> 5125
        (4_612_345, 9_000_000, "51.25"),
        # 450_450 / 9_000_000 = 5.005% exactly: half up gives 5.01 (half to even would give 5.00)
        (450_450, 9_000_000, "5.01"),
        # 450_449 * 10_000 = 9_000_000 * 500 + 4_490_000, and 2 * 4_490_000 < 9_000_000 -> 500
        (450_449, 9_000_000, "5.00"),
        (1, 8, "12.50"),  # 12.5 exactly
        (1, 800, "0.13"),  # 0.125: half up (half to even would give 0.12)
        (1, 3, "33.33"),  # 33.333...
        (2, 3, "66.67"),  # 66.666...
        (5, 200_000, "0.00"),  # 0.0025
        (1, 20_000, "0.01"),  # 0.005: the half rounds up
        (0, 9_000_000, "0.00"),
        (9_000_000, 9_000_000, "100.00"),
        (0, 0, "0.00"),  # nothing counted yet
    ],
)
def test_v4_percent_to_the_hundredth_rounded_half_up(part: int, whole: int, expected: str) -> None:
    result = percent(part, whole)
    assert str(result) == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(("part", "whole"), [(-1, 10), (11, 10), (1, 0), (0, -1)])
def test_v4_percent_refuses_what_is_not_a_share(part: int, whole: int) -> None:
    with pytest.raises(ValueError, match="not a share"):
        percent(part, whole)


def test_v4_majority_is_strictly_more_than_half_compared_exactly() -> None:
    # 4_500_001 of 9_000_000 shows as 50.00% and is a majority; 4_500_000 is exactly half, and not.
    assert majority(4_500_001, 9_000_000, HALF)
    assert not majority(4_500_000, 9_000_000, HALF)
    assert not majority(0, 0, HALF)
    # A threshold with decimals is compared exactly too: 50.5% of 9_000_000 is 4_545_000.
    assert majority(4_545_001, 9_000_000, Decimal("50.5"))
    assert not majority(4_545_000, 9_000_000, Decimal("50.5"))


def exactly_rounded(part: int, whole: int) -> Decimal:
    """The percentage by Fractions: floor(part/whole * 100 * 100 + 1/2) hundredths."""
    hundredths = Fraction(part * 100, whole) * 100 + Fraction(1, 2)
    return Decimal(hundredths.numerator // hundredths.denominator) / Decimal(100)


@given(st.integers(min_value=1, max_value=10**9).flatmap(lambda w: st.tuples(st.integers(0, w), st.just(w))))
def test_v4_percent_is_the_exactly_rounded_fraction(pair: tuple[int, int]) -> None:
    part, whole = pair
    assert percent(part, whole) == exactly_rounded(part, whole)


@given(
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=12),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)),
)
def test_v4_shares_add_up_to_100_within_the_rounding(counts: list[int], against_all: int | None) -> None:
    votes = {candidacy: count for candidacy, count in enumerate(counts, start=1)}
    tally = tally_of(votes, against_all=against_all, invalid=7)
    shares = list(tally.candidates) + ([tally.against_all] if tally.against_all else [])
    if tally.valid == 0:
        assert all(share.percent == 0 for share in shares)
    else:
        # each share is off by at most half a hundredth
        added = sum((share.percent for share in shares), Decimal(0))
        assert abs(added - 100) <= Decimal("0.01") * len(shares)


# --- protocol_errors (V3) ----------------------------------------------------------------------

BALLOT = (1, 2)


def good(**changes: Any) -> Figures:
    """1,000 on the list, 900 issued, 880 cast, 20 invalid: 860 valid = 500 + 300 + 60 against all."""
    figures: dict[str, Any] = {
        "voters_on_list": 1000,
        "ballots_issued": 900,
        "ballots_cast": 880,
        "invalid_ballots": 20,
        "votes": {1: 500, 2: 300},
        "against_all": 60,
    }
    return Figures(**(figures | changes))


def errors(figures: Figures, *, against_all_on_ballot: bool = True) -> dict[str, list[str]]:
    return protocol_errors(figures, ballot=BALLOT, against_all_on_ballot=against_all_on_ballot)


def test_v3_a_protocol_that_adds_up_has_no_errors() -> None:
    assert errors(good()) == {}
    assert good().valid == 860
    assert errors(good(against_all=None, votes={1: 500, 2: 360}), against_all_on_ballot=False) == {}


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"voters_on_list": -1}, "voters_on_list"),
        ({"ballots_issued": -1}, "ballots_issued"),
        ({"ballots_cast": -1}, "ballots_cast"),
        ({"invalid_ballots": -1}, "invalid_ballots"),
        ({"votes": {1: -1, 2: 300}}, "votes.1"),
        ({"against_all": -1}, "against_all"),
    ],
)
def test_v3_no_count_can_be_negative(changes: dict[str, Any], key: str) -> None:
    found = errors(good(**changes))
    assert found[key] == ["cannot be negative"]
    # a negative number makes the order and the sum meaningless: no second message about it
    assert "votes" not in found
    assert all(messages == ["cannot be negative"] for messages in found.values())


def test_v3_ballots_issued_cannot_exceed_the_voters_on_the_list() -> None:
    assert errors(good(ballots_issued=1001)) == {"ballots_issued": ["cannot exceed the voters on the list (1,000)"]}


def test_v3_ballots_cast_cannot_exceed_the_ballots_issued() -> None:
    # 901 cast - 41 invalid keeps 860 valid, so only the order is wrong
    assert errors(good(ballots_cast=901, invalid_ballots=41)) == {"ballots_cast": ["cannot exceed the ballots issued (900)"]}


def test_v3_invalid_ballots_cannot_exceed_the_ballots_cast() -> None:
    assert errors(good(invalid_ballots=881)) == {"invalid_ballots": ["cannot exceed the ballots cast (880)"]}


def test_v3_votes_for_someone_not_on_the_ballot() -> None:
    assert errors(good(votes={1: 500, 2: 300, 3: 0})) == {"votes.3": ["not a candidate on this ballot"]}


def test_v3_the_votes_of_every_candidate_on_the_ballot_are_required() -> None:
    assert errors(good(votes={1: 500})) == {"votes.2": ["the votes for every candidate on the ballot are required"]}


def test_v3_against_all_only_where_it_is_on_the_ballot() -> None:
    assert errors(good(), against_all_on_ballot=False) == {"against_all": ["not on this ballot"]}
    assert errors(good(against_all=None)) == {"against_all": ["required: against all is on this ballot"]}


def test_v3_the_votes_must_add_up_to_the_valid_ballots() -> None:
    assert errors(good(votes={1: 501, 2: 300})) == {
        "votes": [
            "the votes for the candidates (801) and against all (60) add up to 861, "
            "but the valid ballots are 860 (cast 880 - invalid 20)"
        ]
    }


def test_v3_the_sum_without_against_all_at_national_scale() -> None:
    figures = Figures(
        voters_on_list=12_000_000,
        ballots_issued=9_300_000,
        ballots_cast=9_200_000,
        invalid_ballots=200_000,
        votes={1: 5_000_000, 2: 3_999_999},
    )
    assert errors(figures, against_all_on_ballot=False) == {
        "votes": [
            "the votes for the candidates add up to 8,999,999, but the valid ballots are 9,000,000 "
            "(cast 9,200,000 - invalid 200,000)"
        ]
    }


def test_v3_several_faults_are_all_reported() -> None:
    found = errors(good(ballots_issued=1001, votes={1: 500, 3: 300}))
    assert set(found) == {"ballots_issued", "votes.2", "votes.3"}


@st.composite
def consistent(draw: st.DrawFn) -> tuple[Figures, tuple[int, ...], bool]:
    """A protocol that adds up, from its parts: the votes, against all, invalid, unused, absent."""
    counts = draw(st.lists(st.integers(0, 10**6), min_size=1, max_size=8))
    on_ballot = draw(st.booleans())
    against = draw(st.integers(0, 10**6)) if on_ballot else None
    invalid, unused, absent = (draw(st.integers(0, 10**5)) for _ in range(3))
    votes = {candidacy: count for candidacy, count in enumerate(counts, start=10)}
    cast = sum(counts) + (against or 0) + invalid
    figures = Figures(cast + unused + absent, cast + unused, cast, invalid, votes, against)
    return figures, tuple(votes), on_ballot


@given(consistent(), st.data())
def test_v3_a_consistent_protocol_is_accepted_and_one_vote_more_is_caught(
    case: tuple[Figures, tuple[int, ...], bool], data: st.DataObject
) -> None:
    figures, ballot, on_ballot = case
    assert protocol_errors(figures, ballot=ballot, against_all_on_ballot=on_ballot) == {}
    candidacy = data.draw(st.sampled_from(ballot))
    perturbed = Figures(
        figures.voters_on_list,
        figures.ballots_issued,
        figures.ballots_cast,
        figures.invalid_ballots,
        dict(figures.votes) | {candidacy: figures.votes[candidacy] + 1},
        figures.against_all,
    )
    found = protocol_errors(perturbed, ballot=ballot, against_all_on_ballot=on_ballot)
    assert list(found) == ["votes"]
    assert f"the valid ballots are {figures.valid:,}" in found["votes"][0]


# --- total (V4) --------------------------------------------------------------------------------


def test_v4_total_sums_every_protocol_and_keeps_candidates_without_votes() -> None:
    north = Figures(1_000_000, 700_000, 690_000, 10_000, {7: 400_000, 3: 200_000, 5: 0}, 80_000)
    south = Figures(2_000_000, 1_500_000, 1_480_000, 20_000, {7: 700_000, 3: 700_000, 5: 0}, 60_000)
    tally = total([north, south], ballot=[3, 5, 7], against_all_is_valid=VALID)
    assert (tally.units, tally.voters_on_list, tally.ballots_issued) == (2, 3_000_000, 2_200_000)
    assert (tally.ballots_cast, tally.invalid_ballots, tally.valid) == (2_170_000, 30_000, 2_140_000)
    # turnout 2_170_000 / 3_000_000 = 72.333...%
    assert tally.turnout == Decimal("72.33")
    # 1_100_000 / 2_140_000 = 51.401...%; 900_000 / 2_140_000 = 42.056...%; 140_000 / 2_140_000 = 6.542...%
    assert tally.candidates == (
        Share(7, 1_100_000, Decimal("51.40")),
        Share(3, 900_000, Decimal("42.06")),
        Share(5, 0, Decimal("0.00")),
    )
    assert tally.against_all == Share(None, 140_000, Decimal("6.54"))
    assert tally.votes_of(3) == 900_000
    with pytest.raises(KeyError, match="candidacy 4 is not on this ballot"):
        tally.votes_of(4)
    assert tally.as_dict() == {
        "units": 2,
        "voters_on_list": 3_000_000,
        "ballots_issued": 2_200_000,
        "ballots_cast": 2_170_000,
        "invalid_ballots": 30_000,
        "valid": 2_140_000,
        "turnout": "72.33",
        "candidates": [
            {"candidacy_id": 7, "votes": 1_100_000, "percent": "51.40"},
            {"candidacy_id": 3, "votes": 900_000, "percent": "42.06"},
            {"candidacy_id": 5, "votes": 0, "percent": "0.00"},
        ],
        "against_all": {"votes": 140_000, "percent": "6.54"},
    }


def test_v4_equal_votes_are_listed_by_candidacy_id_and_no_against_all_is_none() -> None:
    tally = total([protocol({9: 10, 4: 10, 6: 20})], ballot=[9, 4, 6], against_all_is_valid=VALID)
    assert [share.candidacy_id for share in tally.candidates] == [6, 4, 9]
    assert tally.against_all is None
    assert tally.as_dict()["against_all"] is None


def test_v4_total_refuses_votes_for_someone_not_on_the_ballot() -> None:
    with pytest.raises(ValueError, match="candidacy 8, which is not on the ballot"):
        total([protocol({1: 10, 8: 5})], ballot=[1], against_all_is_valid=VALID)


def test_v4_no_protocols_yet() -> None:
    tally = total([], ballot=[1, 2], against_all_is_valid=VALID)
    assert (tally.units, tally.valid, tally.turnout) == (0, 0, Decimal("0.00"))
    assert [share.votes for share in tally.candidates] == [0, 0]


# --- first round (V4, V5) ----------------------------------------------------------------------


def test_v4_a_clear_majority_elects() -> None:
    # 5_000_000 of 9_000_000 valid = 55.555...% -> 55.56
    tally = tally_of({1: 5_000_000, 2: 3_000_000, 3: 500_000}, against_all=500_000, invalid=100_000)
    verdict = first_round(tally, percent_needed=HALF)
    assert verdict == Verdict("elected", winner=1, reason="V4: candidacy 1 has 55.56% of the valid votes (more than 50%)")


def test_v4_exactly_half_is_not_elected_and_one_vote_more_is() -> None:
    half = tally_of({1: 4_500_000, 2: 4_000_000, 3: 500_000})
    assert first_round(half, percent_needed=HALF).outcome == "second_round"
    more = tally_of({1: 4_500_001, 2: 3_999_999, 3: 500_000})
    verdict = first_round(more, percent_needed=HALF)
    assert (verdict.outcome, verdict.winner) == ("elected", 1)
    assert "50.00%" in verdict.reason  # shown rounded, decided exactly


def test_v4_against_all_counts_among_the_valid_votes() -> None:
    # 4_600_000 of 9_000_000 candidates' votes, but 9_200_000 valid with against all: 50.0% -> no majority
    tally = tally_of({1: 4_600_000, 2: 4_400_000}, against_all=200_000)
    assert first_round(tally, percent_needed=HALF).outcome == "second_round"


def test_v5_no_majority_sends_the_two_leaders_to_a_second_round() -> None:
    tally = tally_of({1: 3_000_000, 2: 4_000_000, 3: 2_000_000}, against_all=1_000_000)
    verdict = first_round(tally, percent_needed=HALF)
    assert verdict.outcome == "second_round"
    assert verdict.leaders == (2, 1)
    assert verdict.winner is None
    assert verdict.reason == (
        "V4: no candidate has more than 50% of the valid votes (the most: candidacy 2 with 40.00%); "
        "V5: a second round between candidacies 2 and 1"
    )


def test_v5_a_leader_out_of_the_race_is_replaced_by_the_next_in_the_first_round() -> None:
    tally = tally_of({1: 4_000_000, 2: 3_000_000, 3: 2_000_000, 4: 1_000_000})
    verdict = first_round(tally, percent_needed=HALF, out_of_race={2})
    assert verdict.outcome == "second_round"
    assert verdict.leaders == (1, 3)
    assert "candidacy 2 out of the race; the next in the first round takes the place" in verdict.reason
    assert runoff_pair(tally, {1}) == (2, 3)
    assert runoff_pair(tally, {1, 3}) == (2, 4)
    # someone out of the race below the two leaders replaces no one
    assert "out of the race" not in first_round(tally, percent_needed=HALF, out_of_race={4}).reason


def test_v5_a_tie_for_second_place_is_undecided() -> None:
    tally = tally_of({1: 4_000_000, 2: 2_500_000, 3: 2_500_000})
    verdict = first_round(tally, percent_needed=HALF)
    assert verdict.outcome == "undecided"
    assert verdict.leaders == ()
    assert "V5: candidacies 2 and 3 are tied for second place with 2,500,000 votes each" in verdict.reason
    assert "the CEC must decide" in verdict.reason
    with pytest.raises(ValueError, match="tied for second place"):
        runoff_pair(tally, ())


def test_v5_three_equal_leaders_are_undecided_but_two_equal_leaders_both_go() -> None:
    three = tally_of({1: 3_000_000, 2: 3_000_000, 3: 3_000_000, 4: 10})
    assert "candidacies 1, 2 and 3 are tied for first place" in first_round(three, percent_needed=HALF).reason
    two = tally_of({1: 3_000_000, 2: 3_000_000, 3: 2_999_999})
    assert first_round(two, percent_needed=HALF).leaders == (1, 2)


def test_v5_a_tie_created_by_a_withdrawal_is_undecided() -> None:
    tally = tally_of({1: 4_000_000, 2: 3_000_000, 3: 1_000_000, 4: 1_000_000})
    assert first_round(tally, percent_needed=HALF, out_of_race={2}).outcome == "undecided"


def test_v5_fewer_than_two_left_in_the_race_is_undecided() -> None:
    tally = tally_of({1: 4_000_000, 2: 3_000_000, 3: 2_000_000})
    verdict = first_round(tally, percent_needed=HALF, out_of_race={2, 3})
    assert verdict.outcome == "undecided"
    assert "fewer than two candidates remain in the race for the second round (only candidacy 1)" in verdict.reason


def test_v4_a_winner_out_of_the_race_is_undecided() -> None:
    verdict = first_round(tally_of({1: 6_000_000, 2: 3_000_000}), percent_needed=HALF, out_of_race={1})
    assert verdict.outcome == "undecided"
    assert "candidacy 1 has 66.67% of the valid votes (more than 50%) but is out of the race" in verdict.reason


# --- second round (V5, V6) ---------------------------------------------------------------------


def test_v5_the_one_with_more_votes_wins_the_second_round() -> None:
    # 4_600_000 / 9_000_000 = 51.11%; 4_400_000 / 9_000_000 = 48.89%
    verdict = second_round(tally_of({3: 4_400_000, 8: 4_600_000}))
    assert verdict == Verdict(
        "elected",
        winner=8,
        leaders=(8, 3),
        reason=("V5: candidacy 8 has more votes in the second round (4,600,000, 51.11%) than candidacy 3 (4,400,000, 48.89%)"),
    )


def test_v5_against_all_does_not_stop_the_one_with_more_votes() -> None:
    verdict = second_round(tally_of({3: 3_000_000, 8: 2_000_000}, against_all=4_000_000))
    assert (verdict.outcome, verdict.winner) == ("elected", 3)


def test_v5_equal_votes_in_the_second_round_is_no_winner_and_v6_follows() -> None:
    verdict = second_round(tally_of({3: 4_500_000, 8: 4_500_000}))
    assert (verdict.outcome, verdict.winner, verdict.leaders) == ("no_winner", None, (3, 8))
    assert "V6: a re-run follows" in verdict.reason


def test_v5_a_second_round_is_between_two() -> None:
    assert second_round(tally_of({3: 10, 8: 5, 9: 1})).outcome == "undecided"


# --- V7 --------------------------------------------------------------------------------------


def test_v7_exactly_a_quarter_of_the_units_violated_allows_refusal() -> None:
    share = violated_share([True] * 5 + [False] * 15)
    assert share == Fraction(1, 4)
    assert refusal_allowed(share, QUARTER)


def test_v7_less_than_a_quarter_does_not() -> None:
    share = violated_share([False] * 16 + [True] * 4)
    assert share == Fraction(1, 5)
    assert not refusal_allowed(share, QUARTER)


def test_v7_no_units_no_share() -> None:
    assert violated_share([]) == Fraction(0)
    assert not refusal_allowed(violated_share(iter([])), QUARTER)


# --- refunds (D5) ------------------------------------------------------------------------------

CONTRIBUTION = 50 * 60_000


def test_d5_refunds_to_the_winner_at_five_percent_and_on_death() -> None:
    # valid 1_000_000: 5% is 50_000 votes exactly
    first = tally_of(
        {1: 600_000, 2: 50_000, 3: 49_999, 4: 10_000, 5: 200_000},
        against_all=90_001,
    )
    assert first.valid == 1_000_000
    contributions = dict.fromkeys([1, 2, 3, 4, 5, 6], CONTRIBUTION)
    found = refunds(contributions, tally=first, elected=1, deceased={4, 5}, share_percent=FIVE, refund_on=GROUNDS)
    assert found == [
        Refund(1, CONTRIBUTION, ("elected", "vote_share")),
        Refund(2, CONTRIBUTION, ("vote_share",)),  # exactly 5.00% counts
        Refund(4, CONTRIBUTION, ("death",)),
        Refund(5, CONTRIBUTION, ("vote_share", "death")),
    ]
    # 49_999 shows as 5.00% (4.9999% rounded) and is still below 5%: candidacy 3 is not refunded,
    # nor is 6, which was not on the ballot
    assert first.candidates[3] == Share(3, 49_999, Decimal("5.00"))


def test_d5_without_a_vote_only_death_refunds() -> None:
    found = refunds(
        {1: CONTRIBUTION, 2: 42_500 * 50}, tally=None, elected=None, deceased={2}, share_percent=FIVE, refund_on=GROUNDS
    )
    assert found == [Refund(2, 42_500 * 50, ("death",))]


def test_d5_the_reasons_are_the_names_of_the_rules_file() -> None:
    tally = tally_of({1: 10, 2: 1})
    found = refunds({1: 1, 2: 2}, tally=tally, elected=1, deceased={1}, share_percent=FIVE, refund_on=GROUNDS)
    assert found == [Refund(1, 1, ("elected", "vote_share", "death")), Refund(2, 2, ("vote_share",))]
    assert set(found[0].reasons) <= set(RULES.D5.refund_on)
