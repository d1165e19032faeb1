"""A deadline kind is one declaration (registrar/deadlines.py): the sweep's effects and their words follow from it."""

from __future__ import annotations

import dataclasses
import re

import pytest

from registrar import deadlines, machines, states, sweep
from registrar.calendar import compute
from registrar.deadlines import DEADLINES, Act, Notice
from registrar.rules import for_kind

from .conftest import ANNOUNCED, ELECTION_DAY

RULES = for_kind("presidential")
NUMBER_IN_PROSE = re.compile(r"\b[0-9]+ ?(days?|hours?|months?|%)|within [0-9]|[0-9]-day")


def test_the_three_families_are_the_kinds_each_once_in_order() -> None:
    families = [deadlines.KINDS, deadlines.ELECTION_MILESTONES, deadlines.AFTER_VOTE]
    assert [name for family in families for name in family] == list(DEADLINES)
    assert len(DEADLINES) == 17


def test_every_kind_has_exactly_one_effect_the_sweep_knows() -> None:
    assert set(sweep.NOTICES).isdisjoint(sweep.ACTIONS)
    assert set(sweep.NOTICES) | set(sweep.ACTIONS) == set(DEADLINES)
    assert {name for name, kind in DEADLINES.items() if isinstance(kind.effect, Notice)} == set(sweep.NOTICES)
    assert set(sweep.EFFECT_SAYS) == set(DEADLINES)


def _with(name: str, effect: Notice | Act) -> dict[str, deadlines.DeadlineKind]:
    return DEADLINES | {name: dataclasses.replace(DEADLINES[name], effect=effect)}


@pytest.mark.parametrize(
    ("name", "effect", "refusal"),
    [
        ("rerun_due", Notice("told", to=("the_press",)), "its notice tells"),
        ("rerun_due", Notice("told", to=()), "tells no one"),
        ("appeal_window", Act("withdraw", "taken"), "no system step"),
        ("registration_closes", Act("move_phase", "moved"), "named by no deadline kind"),
    ],
)
def test_an_effect_the_sweep_cannot_apply_is_refused_when_it_loads(
    monkeypatch: pytest.MonkeyPatch, name: str, effect: Notice | Act, refusal: str
) -> None:
    monkeypatch.setattr(deadlines, "DEADLINES", _with(name, effect))
    with pytest.raises(LookupError, match=refusal):
        sweep._effects()


def test_an_act_takes_a_system_step_or_one_of_the_sweeps_own_effects() -> None:
    acts = {kind.effect.does for kind in DEADLINES.values() if isinstance(kind.effect, Act)}
    system = {s.trigger for s in (*machines.CANDIDACY_STEPS, *machines.ELECTION_STEPS) if s.by == "system"}
    assert acts - set(sweep.OWN_EFFECTS) <= system
    assert set(sweep.OWN_EFFECTS) <= acts


def test_where_a_kind_is_open_names_its_subjects_states_or_phases() -> None:
    for kind in deadlines.KINDS.values():
        assert set(kind.open_in) <= set(states.STATES), kind.name
        assert set(kind.opened_by_entering) <= set(kind.open_in), kind.name
        assert kind.period(RULES) > 0, kind.name
    for kind in deadlines.AFTER_VOTE.values():
        assert set(kind.open_in) <= set(states.PHASES), kind.name
    calendar = compute(ANNOUNCED, ELECTION_DAY, RULES)
    assert set(deadlines.ELECTION_MILESTONES) <= set(calendar.milestones())


def test_a_kind_counted_otherwise_has_no_period_in_days() -> None:
    assert deadlines.AFTER_VOTE["protocols_due"].period(RULES) == RULES.V3.protocol_days
    with pytest.raises(ValueError, match="second_round_due: no period in days"):
        deadlines.AFTER_VOTE["second_round_due"].period(RULES)


def test_what_a_kind_and_its_effect_say_names_the_rules_keys_and_renders() -> None:
    prose = {f"{name} says": kind.says for name, kind in DEADLINES.items()}
    prose |= {f"{name} effect": kind.effect_says for name, kind in DEADLINES.items()}
    assert {name: text for name, text in prose.items() if NUMBER_IN_PROSE.search(text)} == {}
    assert {name: text for name, text in prose.items() if "{" in RULES.say(text)} == {}
    assert deadlines.says("voting_opens", RULES) == "voting opens at 07:00 on election day"
    assert sweep.effect_says("information_request_answer", RULES).startswith("D2: ")
    assert sweep.effect_says("no_such_kind", RULES) == "none"


def test_what_the_sweep_recorded_reads_back_as_data() -> None:
    """The outcome the sweep writes on a fired row is read back where it is written (registrar.deadlines)."""
    from registrar import deadlines

    assert deadlines.what_followed(deadlines.moved("refused", "refused_final")) == ("moved", "refused", "refused_final")
    assert deadlines.what_followed("skipped: the candidacy is appealed") == ("skipped",)
    assert deadlines.what_followed("no effect: unknown kind 'x'") == ("skipped",)
    assert deadlines.what_followed("notified") == ("notified",)
    assert deadlines.what_followed(None) == ("notified",)
