"""The law as data, for real (issue 11): each key of the rules file changes what the code does.

Every test loads a modified copy of the presidential rules (``rules.parse``) and shows the
behaviour following it; the last part runs the conditions under a rules file that leaves
out the optional rules, which must then not be applied, nor crash.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from registrar import conditions as law
from registrar import deadlines, machines, public, sweep, tally
from registrar import rules as rules_module
from registrar.calendar import compute
from registrar.eligibility import unmet_requirements
from registrar.models import Candidacy, Election, Person
from registrar.rules import Rules, RulesError

from .conftest import ANNOUNCED, ELECTION_DAY, World
from .test_eligibility import CALENDAR, DOCUMENT, ELIGIBLE, FLUENT, PATH, RULES


def modified(**tables: dict[str, Any]) -> Rules:
    document = copy.deepcopy(DOCUMENT)
    for rule_id, values in tables.items():
        document[rule_id] |= values
    return rules_module.parse(document, PATH)


def without(*rule_ids: str) -> Rules:
    document = {k: v for k, v in copy.deepcopy(DOCUMENT).items() if k not in rule_ids}
    return rules_module.parse(document, PATH)


def refused(**tables: dict[str, Any]) -> str:
    with pytest.raises(RulesError) as err:
        modified(**tables)
    return str(err.value)


# --- G2: the published fields --------------------------------------------------------------------

PERSON = Person(full_name="Marat Kenzhebekov", birth_date=dt.date(1971, 3, 4), position="Deputy",
                place_of_work="Mazhilis", place_of_residence="Astana")  # fmt: skip


def test_g2_the_list_publishes_the_rules_fields_in_their_order() -> None:
    presidential = public.PublishedCandidate.of(PERSON, RULES)
    assert list(presidential) == ["full_name", "birth_year", "position", "place_of_work", "place_of_residence"]
    assert presidential.birth_year == 1971 and presidential["place_of_residence"] == "Astana"
    fewer = public.PublishedCandidate.of(PERSON, modified(G2={"published_fields": ["full_name", "place_of_residence"]}))
    assert dict(fewer) == {"full_name": "Marat Kenzhebekov", "place_of_residence": "Astana"}
    with pytest.raises(AttributeError, match="not published"):
        _ = fewer.birth_year
    assert public.as_json(fewer) == {"full_name": "Marat Kenzhebekov", "place_of_residence": "Astana"}


def test_g2_a_list_names_its_candidates_and_publishes_only_known_facts() -> None:
    assert "G2.published_fields: must name full_name" in refused(G2={"published_fields": ["birth_year"]})
    assert "G2.published_fields: must name full_name" in refused(G2={"published_fields": ["full_name", "full_name"]})
    with pytest.raises(RulesError, match=r"G2\.published_fields: birth_date: not a fact"):
        public.published_fields(modified(G2={"published_fields": ["full_name", "birth_date"]}))
    assert public.published_fields(without("G2")) == ("full_name",)
    assert public.published_fields(RULES) == tuple(RULES.G2.published_fields)


def test_g2_an_elections_columns_are_its_kinds_published_fields(world: World) -> None:
    assert public.published_columns(world.db, "kz-2029") == public.published_fields(RULES)
    candidacy = world.nominate(full_name="Listed Candidate")
    world.walk(candidacy, "registered")
    [listed] = public.published_list(world.db, "kz-2029")
    assert tuple(listed.candidate) == public.published_columns(world.db, "kz-2029")


def test_g2_the_api_describes_every_publishable_fact_and_no_other() -> None:
    from web.api.schemas import PublishedCandidateSchema

    assert set(PublishedCandidateSchema._declared_fields) == set(public.PUBLISHABLE)


# --- G7: the last moment to leave the race ----------------------------------------------------------


def test_g7_withdrawal_closes_at_the_milestone_the_rules_name() -> None:
    calendar = compute(ANNOUNCED, ELECTION_DAY, RULES)
    campaign = calendar.registration_closes + dt.timedelta(days=1)
    assert machines.window_unmet(machines.LEAVING, calendar, campaign, rules=RULES) == []
    earlier = modified(G7={"until_milestone": "registration_closes"})
    [unmet] = machines.window_unmet(machines.LEAVING, calendar, campaign, rules=earlier)
    assert unmet.rule == "G7" and unmet.reason.startswith("registration closes at")
    assert "withdraw" not in machines.allowed_triggers("registered", calendar, campaign, rules=earlier)
    assert "withdraw" in machines.allowed_triggers("registered", calendar, campaign, rules=RULES)
    # Without G7 the phases alone gate it.
    assert machines.window_unmet(machines.LEAVING, calendar, campaign, rules=without("G7")) == []


# --- D4.rounding -------------------------------------------------------------------------------


@pytest.mark.parametrize(("rounding", "voters", "needed"), [
    ("up", 12_345_640, 123_457), ("half_up", 12_345_640, 123_456), ("half_up", 12_345_650, 123_457),
    ("down", 12_345_650, 123_456), ("up", 12_345_600, 123_456), ("down", 12_345_600, 123_456),
])  # fmt: skip
def test_d4_the_share_of_the_voters_is_made_whole_as_the_rules_say(rounding: str, voters: int, needed: int) -> None:
    total, _, _ = law.signatures_required(modified(D4={"rounding": rounding}), voters)
    assert total == needed


def test_d4_a_rounding_the_code_cannot_apply_is_refused() -> None:
    assert "D4.rounding: Must be one of: up, half_up, down" in refused(D4={"rounding": "sideways"})


# --- D5.refund_on ----------------------------------------------------------------------------


def test_d5_contributions_are_refunded_only_on_the_grounds_the_rules_name() -> None:
    counted = tally.total([tally.Figures(1000, 900, 900, 0, {1: 620, 2: 250, 3: 30})], [1, 2, 3], against_all_is_valid=True)

    def grounds(rules: Rules) -> dict[int, tuple[str, ...]]:
        found = tally.refunds(
            {1: 10, 2: 10, 3: 10},
            tally=counted,
            elected=1,
            deceased=[3],
            share_percent=Decimal(rules.D5.refund_vote_share_percent),
            refund_on=rules.D5.refund_on,
        )
        return {r.candidacy_id: r.reasons for r in found}  # fmt: skip

    assert grounds(RULES) == {1: ("elected", "vote_share"), 2: ("vote_share",), 3: ("death",)}
    assert grounds(modified(D5={"refund_on": ["elected"]})) == {1: ("elected",)}
    assert grounds(modified(D5={"refund_on": ["death", "vote_share"]})) == {1: ("vote_share",), 2: ("vote_share",),
                                                                            3: ("death",)}  # fmt: skip
    assert "D5.refund_on.0: Must be one of" in refused(D5={"refund_on": ["bankruptcy"]})


# --- V4.against_all_is_valid ---------------------------------------------------------------------


def test_v4_against_all_counts_among_the_valid_votes_where_the_rules_say_so() -> None:
    figures = [tally.Figures(200, 110, 110, 10, {1: 45, 2: 30}, against_all=25)]

    def verdict(rules: Rules) -> tally.Verdict:
        counted = tally.total(figures, [1, 2], against_all_is_valid=rules.V4.against_all_is_valid)
        return tally.first_round(counted, percent_needed=Decimal(rules.V4.majority_percent))

    assert verdict(RULES).outcome == "second_round"  # 45 of 100 valid votes
    apart = verdict(modified(V4={"against_all_is_valid": False}))
    assert (apart.outcome, apart.winner) == ("elected", 1)  # 45 of the 75 votes for candidates
    counted = tally.total(figures, [1, 2], against_all_is_valid=False)
    assert (counted.valid, counted.candidates[0].percent, counted.against_all) == (
        75, Decimal("60.00"), tally.Share(None, 25, Decimal("25.00")))  # fmt: skip


# --- E3: the linguistic commission's examination --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Examined:
    fluent: bool
    linguists: int
    decided_on: dt.date
    tests: tuple[str, ...]
    speech_minutes: int


def test_e3_a_conclusion_recording_its_examination_is_checked_against_the_rules() -> None:
    held = Examined(True, FLUENT.linguists, FLUENT.decided_on, ("essay", "reading_aloud", "speech"), 15)
    assert unmet_requirements(ELIGIBLE, CALENDAR, RULES, held) == []
    [longer] = unmet_requirements(ELIGIBLE, CALENDAR, modified(E3={"speech_minutes": 20}), held)
    assert (longer.rule, longer.reason) == ("E3", "the speech before the commission of 2029-10-01 lasted 15 minutes, "
                                                  "20 minutes required")  # fmt: skip
    [more] = unmet_requirements(ELIGIBLE, CALENDAR, modified(E3={"tests": ["essay", "dictation"]}), held)
    assert more.reason == "the commission of 2029-10-01 did not hold: dictation"
    # Without a speech among the tests, its length is no condition.
    assert unmet_requirements(ELIGIBLE, CALENDAR, modified(E3={"tests": ["essay"], "speech_minutes": 60}), held) == []
    # A conclusion that records only its result (the stored one) is the commission's word.
    assert unmet_requirements(ELIGIBLE, CALENDAR, modified(E3={"speech_minutes": 60}), FLUENT) == []


# --- Prose renders the rules' numbers --------------------------------------------------------------

STEPS = [step for steps in machines.STEPS_BY_TRIGGER.values() for step in steps]
NUMBER_IN_PROSE = re.compile(r"\b[0-9]+ ?(days?|hours?|months?|%)|within [0-9]|[0-9]-day")


def all_prose() -> dict[str, str]:
    texts = {f"deadline {k}": d.says for k, d in deadlines.DEADLINES.items()}
    texts |= {f"effect {k}": d.effect_says for k, d in deadlines.DEADLINES.items()}
    texts |= {f"step {s.trigger} {s.source}": s.says for s in STEPS}
    return texts


def test_no_legal_number_is_written_in_the_prose_and_every_key_named_renders() -> None:
    assert {name: text for name, text in all_prose().items() if NUMBER_IN_PROSE.search(text)} == {}
    rendered = {name: RULES.say(text) for name, text in all_prose().items()}
    assert {name: text for name, text in rendered.items() if "{" in text} == {}


def test_changing_a_period_in_the_rules_changes_every_text_that_states_it() -> None:
    changed = modified(G6={"appeal_days": 14, "court_review_days": 12}, V3={"protocol_days": 3},
                       V4={"results_days": 9, "majority_percent": "60"}, V7={"appeal_days": 11, "refusal_share": [1, 3]},
                       D4={"signature_share_percent": "2"}, V5={"second_round_within_months": 3})  # fmt: skip
    assert deadlines.says("appeal_window", RULES).endswith("within 10 days")
    assert deadlines.says("appeal_window", changed).endswith("within 14 days")
    assert deadlines.says("court_review", changed).endswith("within 12 days")
    assert deadlines.says("protocols_due", changed).endswith("within 3 days")
    assert deadlines.says("president_appeal_window", changed).endswith("within 11 days")
    assert sweep.effect_says("protocols_due", changed).endswith("missing after 3 days")
    assert "within 9 days" in sweep.effect_says("results_due", changed)
    assert "within 3 months" in sweep.effect_says("second_round_due", changed)
    assert "12 days to decide" in sweep.effect_says("court_review", changed)
    assert sweep.effect_says("registration_closes", RULES).endswith("fewer than 2 registered")
    steps = {(s.trigger, s.dest): machines.says(s, changed) for s in STEPS if s.source[0] != "second_round_counting"}
    assert steps[("appeal", "appealed")].endswith("within 14 days")
    assert steps[("appeal_president_refusal", "president_appealed")].endswith("within 11 days")
    assert "at least 1/3 of the units" in steps[("refuse_president", "president_refused")]
    assert "more than 60% of the valid votes" in steps[("establish_results", "elected")]
    assert [s.says for s in public.diagram("refused", rules=changed).steps if s.trigger == "appeal"] == [
        "the candidate appeals to the Supreme Court within 14 days"] * 2  # fmt: skip
    # A key the kind has no rule for is shown as the key, not as a number from elsewhere.
    assert without("G6").say("within {G6.appeal_days} days") == "within G6.appeal_days days"


def test_d4_the_refusal_states_the_share_of_the_rules(world: World) -> None:
    candidacy = world.nominate()
    with world.db.transaction() as session:
        election = session.get(Election, "kz-2029")
        assert election is not None
        election.registered_voters = 1_000_000
        ctx = context(world, session, candidacy, modified(D4={"signature_share_percent": "2"}))
        reasons = [u.reason for u in law.enough_signatures(ctx)]
    assert reasons[0] == "0 valid signatures, 20,000 needed (2% of 1,000,000 voters)"


# --- D3 and the rules a kind leaves out ------------------------------------------------------------


def context(world: World, session: Any, candidacy_id: int, rules: Rules) -> law.Context:
    candidacy = session.get(Candidacy, candidacy_id)
    return law.Context(session, rules, world.calendar, candidacy.election, candidacy, world.registration_time)


def test_d3_without_a_required_conclusion_its_absence_is_no_ground(world: World) -> None:
    candidacy = world.nominate()
    with world.db.reading() as session:
        assert [u.rule for u in law.medically_fit(context(world, session, candidacy, RULES))] == ["D3"]
        optional = modified(D3={"conclusion_required": False})
        assert law.medically_fit(context(world, session, candidacy, optional)) == []


# Every optional rule the candidacy's conditions read (REQUIRED_RULES stay).
OPTIONAL = ("N1", "N3", "N5", "N6", "D3", "D4", "D5", "D6", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9",
            "G2", "G3", "G4", "G5", "G6", "G7", "N4", "N7", "D2", "D7", "V3", "V4", "V5", "V6", "V7")  # fmt: skip


def test_a_kind_without_the_optional_rules_applies_none_of_their_conditions(world: World) -> None:
    bare = without(*OPTIONAL)
    assert not any(bare.has(rule_id) for rule_id in OPTIONAL) and bare.get("N6") is None
    candidacy = world.nominate(full_name="Bare Candidate", citizen_by_birth=False)
    conditions = {c for step in machines.CANDIDACY_STEPS for c in step.conditions}
    conditions |= {law.nominator_qualifies, law.supreme_body_majority, law.one_candidacy_per_association}
    with world.db.reading() as session:
        ctx = context(world, session, candidacy, bare)
        said = {c.__name__: c(ctx) for c in conditions}
        presidential = {c.__name__: c(context(world, session, candidacy, RULES)) for c in conditions}
    # What is left is the required rules' (D1, G1; G2's registration from the public record, outside
    # an import of it) and the appeal windows, which read deadlines.
    assert {name for name, unmet in said.items() if unmet} == {"declarations_filed", "registration_closed",
                                                               "appeal_window_open", "from_the_public_record"}  # fmt: skip
    assert {name for name, unmet in presidential.items() if unmet} > {"eligible", "nomination_papers",
                                                                      "registration_documents", "enough_signatures",
                                                                      "contribution_paid", "medically_fit"}  # fmt: skip
    assert machines.LEAVING.closing(bare) is None
    assert public.published_fields(bare) == ("full_name",)
    with world.db.transaction() as session:
        assert (
            deadlines.open_deadline(
                session,
                "appeal_window",
                candidacy,
                started_at=world.registration_time,
                rules=bare,
                calendar=world.calendar,
                now=world.registration_time,
            )
            is None
        )
        person = session.scalar(select(Person).join(Candidacy).where(Candidacy.id == candidacy))
        assert person is not None
        assert dict(public.PublishedCandidate.of(person, bare)) == {"full_name": "Bare Candidate"}


def test_the_election_conditions_of_absent_rules_are_not_applied(world: World) -> None:
    bare = without("V5", "V6", "V7")
    with world.db.reading() as session:
        election = session.get(Election, "kz-2029")
        assert election is not None
        ctx = law.ElectionContext(session, bare, world.calendar, election, world.registration_time, "second_round_due",
                                  "call_second_round", {"voting_day": ELECTION_DAY + dt.timedelta(days=400),
                                                        "election_day": ELECTION_DAY + dt.timedelta(days=400)})  # fmt: skip
        assert law.second_round_in_time(ctx) == [] and law.rerun_in_time(ctx) == []
        assert law.quarter_of_units_violated(ctx) == [] and law.results_decided(ctx) == []
        ctx.rules = RULES
        assert [u.rule for u in law.second_round_in_time(ctx)] == ["V5"]
        assert [u.rule for u in law.quarter_of_units_violated(ctx)] == ["V7"]
