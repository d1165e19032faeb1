"""Random protocols and decisions after the vote, on a real database, against a model kept in the test.

A hypothesis ``RuleBasedStateMachine`` starts from the 2029 election in its counting phase
with 2 to 5 registered candidates (nominated and walked through the real actions, the ballot
fixed by the sweep at voting_opens) and then, in any order:

- submits a protocol for a random unit (V3), with figures that add up or are deliberately
  wrong in one way (a sum, a stage holding more than the one before it, a candidate missing or
  not on the ballot, a negative count, too few or too many signatures, an unknown unit, no
  "against all", not an object);
- submits the protocols of every unit still missing, shaped so that majorities, exactly 50%,
  ties for a place and landslides all come up;
- corrects a random protocol, with its reason or without one;
- submits a protocol a second time (a duplicate);
- establishes the results (V4/V5; refused while protocols are missing or when the law does not
  name the two leaders);
- calls the second round (V5), withdraws a candidate before it (V5: the next takes the place),
  moves the clock to the second round's count (with or without the sweep at its opening),
  submits its protocols and establishes it.

Every action is also tried where it does not apply (a protocol outside the count, a decision in
the wrong phase), and every refusal must be the one the inputs call for and leave every table
exactly as it was (no row, no audit event).

After every step:
- exactly one protocol is in force per (round, unit); its versions are 1..n without gaps, each
  holding the figures the test sent;
- the audit chain verifies and holds exactly the setup's events plus one per successful action
  (the sweep's own events are counted after it);
- ``results.results()``: every round's totals, candidates and "against all" equal the sums of the
  protocols in force, computed here; every share's votes are at most the valid votes and its
  percentage is exact (``tally.percent`` and an independent Fraction computation agree with it);
  the established outcome is the model's (votes * 2 > valid elects; a second round between the
  two leaders; a tie for second place is for the CEC); what was established rests on the
  figures still in force;
- the phase is one of ``states.PHASES``, is the model's, and moved only along
  ``machines.ELECTION_STEPS`` (a decision) or the calendar (the hours of the vote);
- the second round's ballot is the two leaders of round 1 still registered, once fixed and before.

Budget: 12 examples of up to 30 steps on SQLite (copies of one database per candidate count,
built once), 2 of 20 on PostgreSQL (built per example): about 25 s together on two busy cores.
REGISTRAR_TEST_RESULTS_EXAMPLES raises it for a hunt (200 on SQLite: about 6 minutes).

Below the machine, short deterministic tests pin what it found.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from registrar import actions, audit, machines, results, states, sweep, tally, territory
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed, StaleVersion
from registrar.models import AuditEvent, Candidacy, Election, ElectionResult, Protocol
from registrar.rules import as_decimal, for_kind
from tests.conftest import _empty_postgresql

from .conftest import ELECTION_DAY, ELECTION_ID, World, build_world
from .test_stateful import SETTINGS, snapshot

REFUSALS = (NotAllowed, GuardFailed, InvalidPayload, StaleVersion)
# A longer hunt: REGISTRAR_TEST_RESULTS_EXAMPLES=200 (the suite's budget is the default).
EXAMPLES = int(os.environ.get("REGISTRAR_TEST_RESULTS_EXAMPLES", "12"))
ACTOR = "test:stateful-results"
RULES = for_kind("presidential")
UNITS = [unit.code for unit in territory.current().units]
MEMBERS = {unit.code: unit.members for unit in territory.current().units}
# The model elects on votes * 2 > valid: the rule (V4.majority_percent) must still say 50.
assert as_decimal(RULES.V4.majority_percent) == 50
COUNTING = {"counting": 1, "second_round_counting": 2}
# V5: the second round is held within two months of the first (2029-11-25), counted by hand here.
assert int(RULES.V5.second_round_within_months) == 2
LATEST_SECOND_ROUND = dt.date(2030, 1, 25)
AGAINST = 0  # the model's key for "against all" among the parts of the valid votes

# The calendar moves the phase too: the first round's hours (machines.PHASE_STEPS) and the
# second round's (machines.current_phase); the clock may jump over several at once.
TIMED = {(s.source, s.dest) for s in machines.PHASE_STEPS} | {
    ("second_round", "second_round_voting"),
    ("second_round_voting", "second_round_counting"),
}
DECIDED = {(source, s.dest) for s in machines.ELECTION_STEPS for source in s.source}


def _closure(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    reach = set(edges)
    while True:
        more = {(a, d) for a, b in reach for c, d in reach if b == c} - reach
        if not more:
            return reach
        reach |= more


MOVES = _closure(TIMED) | DECIDED

PROFILES = ("random", "random", "favourite", "favourite", "half", "small", "tie")
BREAKAGES = ("consistent", "consistent", "consistent", "consistent", "sum", "issued_over_voters", "cast_over_issued",
             "invalid_over_cast", "missing_candidate", "stranger", "negative", "signatures", "unknown_unit",
             "no_against_all", "junk")  # fmt: skip
# The field each breakage must be refused on (None: the refusal is enough).
FAULT: dict[str, str | None] = {
    "sum": "votes",
    "issued_over_voters": "ballots_issued",
    "cast_over_issued": "ballots_cast",
    "invalid_over_cast": "invalid_ballots",
    "negative": "against_all",
    "signatures": "members_signed",
    "unknown_unit": "unit",
    "no_against_all": "against_all",
    "junk": None,
}
SCHEMA_BREAKAGES = ("negative", "unknown_unit", "junk")  # refused before the unit's protocols are looked at


# --- The world before the count -------------------------------------------------------------


def counted_world(db: Database, candidates: int) -> tuple[World, list[int]]:
    """The 2029 election with ``candidates`` registered through the real actions, its ballot fixed at voting_opens."""
    world = build_world(db, RULES, national=candidates)
    ids = []
    for i in range(candidates):
        candidacy = world.nominate(world.associations[i], full_name=f"Candidate {i + 1}")
        world.walk(candidacy, "registered")
        ids.append(candidacy)
    sweep.sweep(db, world.calendar.voting_opens + dt.timedelta(minutes=1))
    return world, ids


def protocol(unit: str, ballot: list[int], parts: dict[int, int], voters: int, issued: int, cast: int, invalid: int,
             signed_on: dt.date) -> dict[str, Any]:  # fmt: skip
    return {"unit": unit, "voters_on_list": voters, "ballots_issued": issued, "ballots_cast": cast,
            "invalid_ballots": invalid, "votes": {str(c): parts[c] for c in ballot}, "against_all": parts[AGAINST],
            "chair": f"Chair of {unit}", "members_signed": 4, "signed_on": signed_on.isoformat()}  # fmt: skip


Counts = tuple[int, int, int, int, dict[int, int]]  # voters, issued, cast, invalid, votes (AGAINST: against all)


def draw_figures(data: st.DataObject, ballot: list[int], profile: str, favourite: int) -> Counts:
    """Figures that add up (V3): voters >= issued >= cast >= invalid, the valid votes split among the ballot and "against all"."""
    top = 6 if profile == "small" else 5000
    voters = data.draw(st.integers(0, top), label="voters_on_list")
    issued = data.draw(st.integers(0, voters), label="ballots_issued")
    cast = data.draw(st.integers(0, issued), label="ballots_cast")
    invalid = data.draw(st.integers(0, cast), label="invalid_ballots")
    if profile == "half" and (cast - invalid) % 2:
        invalid += 1  # an even number of valid votes, so the favourite has exactly half
    valid = cast - invalid
    fixed: dict[int, int] = {}
    if profile == "favourite":
        fixed[favourite] = valid * data.draw(st.integers(60, 100), label="favourite percent") // 100
    elif profile == "half":
        fixed[favourite] = valid // 2
    elif profile == "tie":
        each = data.draw(st.integers(0, valid // len(ballot)), label="each")
        fixed = dict.fromkeys(ballot, each)
    rest = valid - sum(fixed.values())
    others = [c for c in [*ballot, AGAINST] if c not in fixed]
    cuts = sorted(data.draw(st.lists(st.integers(0, rest), min_size=len(others) - 1, max_size=len(others) - 1),
                            label="split"))  # fmt: skip
    bounds = [0, *cuts, rest]
    parts = fixed | {c: bounds[i + 1] - bounds[i] for i, c in enumerate(others)}
    return voters, issued, cast, invalid, parts


def exact_percent(part: int, whole: int) -> str:
    """The percentage to the hundredth, half up, by Fractions: a second opinion on tally.percent."""
    if whole == 0:
        return "0.00"
    hundredths = math.floor(Fraction(part * 10_000, whole) + Fraction(1, 2))
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def ranking(votes: dict[int, int]) -> list[tuple[int, int]]:
    """Most votes first; equal votes by candidacy id (the order results() lists them in)."""
    return sorted(votes.items(), key=lambda item: (-item[1], item[0]))


def runoff(votes: dict[int, int], out: set[int]) -> tuple[int, int] | None:
    """V5, modelled: the two leaders still in the race; None where fewer remain or two tie for the last place."""
    in_race = [(c, v) for c, v in ranking(votes) if c not in out]
    if len(in_race) < 2 or (len(in_race) > 2 and in_race[2][1] == in_race[1][1]):
        return None
    return in_race[0][0], in_race[1][0]


# --- The machine ----------------------------------------------------------------------------


class ResultsMachine(RuleBasedStateMachine):
    """One election in its count, protocols and decisions driven through registrar.results."""

    def __init__(self, make_db: Callable[[int], tuple[Database, list[int], Callable[[], None]]]):
        super().__init__()
        self.make_db = make_db
        self.db: Database | None = None
        self.cleanup: Callable[[], None] = lambda: None
        self.calendar: ElectionCalendar | None = None
        self.at = dt.datetime.min  # three hours into the count, once the election exists
        self.ids: list[int] = []
        self.out: set[int] = set()  # withdrawn before the second round
        self.history: dict[tuple[int, str], list[dict[str, Any]]] = {}  # every version the test sent
        self.phase = "counting"
        self.seen = "counting"
        self.second_round_called = False
        self.outcomes: dict[int, tuple[str, int | None, list[int]]] = {}
        self.fixed_pair: tuple[int, int] | None = None
        self.resolutions = 0
        self.events = 0

    def teardown(self) -> None:
        if self.db is not None:
            self.db.dispose()
        self.cleanup()

    # --- the model ---

    @property
    def database(self) -> Database:
        assert self.db is not None
        return self.db

    def _in_force(self, round_: int) -> dict[str, dict[str, Any]]:
        return {unit: versions[-1] for (r, unit), versions in self.history.items() if r == round_}

    def _round(self) -> int | None:
        return COUNTING.get(self.phase)

    def _missing(self) -> bool:
        round_ = self._round()
        return round_ is not None and len(self._in_force(round_)) < len(UNITS)

    def _pair_now(self) -> tuple[int, int] | None:
        return self.fixed_pair or runoff(self._votes(1), self.out)

    def _ballot(self, round_: int) -> list[int]:
        if round_ == 1:
            return self.ids
        pair = self._pair_now()
        return list(pair) if pair is not None else []

    def _votes(self, round_: int) -> dict[int, int]:
        votes = dict.fromkeys(self._ballot(round_), 0)
        for figures in self._in_force(round_).values():
            for candidacy, count in figures["votes"].items():
                votes[int(candidacy)] += count
        return votes

    def _sums(self, round_: int) -> dict[str, int]:
        in_force = self._in_force(round_).values()
        sums = {key: sum(f[key] for f in in_force) for key in ("voters_on_list", "ballots_issued", "ballots_cast",
                                                               "invalid_ballots", "against_all")}  # fmt: skip
        return sums | {"valid": sums["ballots_cast"] - sums["invalid_ballots"], "units": len(in_force)}

    def _verdict(self, round_: int) -> tuple[str, int | None, list[int]]:
        """What the law makes of the round, computed here: ("elected" | "second_round" | "no_winner" | "undecided", ...)."""
        valid = self._sums(round_)["valid"]
        ranked = ranking(self._votes(round_))
        if round_ == 1:
            leader, votes = ranked[0]
            if votes * 2 > valid:
                return "elected", leader, []
            pair = runoff(dict(ranked), set())  # no one withdraws during the count
            return ("second_round", None, list(pair)) if pair else ("undecided", None, [])
        (first, a), (second, b) = ranked
        return ("no_winner", None, [first, second]) if a == b else ("elected", first, [first, second])

    # --- helpers ---

    def _local_day(self) -> dt.date:
        assert self.calendar is not None
        return self.calendar.local(self.at).date()

    def _tick(self) -> None:
        self.at += dt.timedelta(minutes=1)

    def _resolution(self) -> dict[str, Any]:
        self.resolutions += 1
        return {"number": f"CEC-{self.resolutions}", "decided_on": self._local_day().isoformat()}

    def _refused(self, before: dict[str, list[Any]], err: Exception, what: str) -> None:
        assert snapshot(self.database) == before, f"{what} was refused ({err!r}) but left rows behind"

    def _event(self, seq: int) -> AuditEvent:
        with self.database.reading() as session:
            event = session.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).one()
            session.expunge(event)
            return event

    def _counted_events(self) -> int:
        with self.database.reading() as session:
            return audit.verify(session).events

    def _submit(self, payload: Any, *, correction: bool, expect: tuple[type, str | None] | None, what: str) -> None:
        """Send one protocol; a refusal must be the expected one and write nothing; a success is the model's next version."""
        self._tick()
        before = snapshot(self.database) if expect is not None else {}
        try:
            view = results.submit_protocol(self.database, ELECTION_ID, payload, actor=ACTOR, at=self.at, correction=correction)
        except REFUSALS as err:
            assert expect is not None, f"{what} in {self.phase} was refused: {err!r}"
            kind, key = expect
            assert isinstance(err, kind), f"{what} in {self.phase}: expected {kind.__name__}, got {err!r}"
            if key is not None:
                assert isinstance(err, InvalidPayload) and key in err.errors, f"{what}: expected a fault in {key}, got {err!r}"
            self._refused(before, err, what)
            return
        assert expect is None, f"{what} in {self.phase} was accepted; expected {expect[0].__name__} on {expect[1]}"
        round_ = self._round()
        assert round_ is not None
        if round_ == 2 and self.fixed_pair is None:
            self.fixed_pair = self._pair_now()  # the first protocol fixes the ballot if the sweep did not
        versions = self.history.setdefault((round_, payload["unit"]), [])
        versions.append({k: payload[k] for k in ("voters_on_list", "ballots_issued", "ballots_cast", "invalid_ballots",
                                                 "against_all")} | {"votes": dict(payload["votes"])})  # fmt: skip
        self.events += 1
        assert (view["round"], view["unit"], view["version"]) == (round_, payload["unit"], len(versions))
        event = self._event(self.events)
        assert (event.action, event.subject_id) == ("correct_protocol" if correction else "submit_protocol", ELECTION_ID)
        said = event.payload
        assert (said["round"], said["unit"], said["version"]) == (round_, payload["unit"], len(versions))

    def _payload(self, data: st.DataObject, unit: str, breakage: str, profile: str, *, reason: bool) -> Any:
        round_ = self._round() or 1
        ballot = self._ballot(round_) or self.ids[:2]
        favourite = data.draw(st.sampled_from(ballot), label="favourite")
        voters, issued, cast, invalid, parts = draw_figures(data, ballot, profile, favourite)
        payload = protocol(unit, ballot, parts, voters, issued, cast, invalid, self._local_day())
        if reason:
            payload["reason"] = "a recount found an arithmetic slip"
        match breakage:
            case "sum":
                payload["votes"][str(ballot[0])] += 1
            case "issued_over_voters":
                payload["ballots_issued"] = voters + 1
            case "cast_over_issued":
                payload["ballots_cast"] = issued + 1
            case "invalid_over_cast":
                payload["invalid_ballots"] = cast + 1
            case "missing_candidate":
                del payload["votes"][str(ballot[0])]
            case "stranger":
                strangers = [c for c in self.ids if c not in ballot] or [max(self.ids) + 1000]
                payload["votes"][str(data.draw(st.sampled_from(strangers), label="stranger"))] = 0
            case "negative":
                payload["against_all"] = -1
            case "signatures":
                members = MEMBERS[unit]
                payload["members_signed"] = data.draw(st.sampled_from([members // 2, members + 1]), label="signed")
            case "unknown_unit":
                payload["unit"] = "XXX"
            case "no_against_all":
                del payload["against_all"]
            case "junk":
                return ["not", "a", "protocol"]
        return payload

    def _expect(self, payload: Any, breakage: str, *, correction: bool) -> tuple[type, str | None] | None:
        """The refusal the inputs call for, in the order submit_protocol checks: phase, schema, the unit's protocols, figures."""
        round_ = self._round()
        if round_ is None:
            return NotAllowed, None
        if breakage in SCHEMA_BREAKAGES:
            return InvalidPayload, FAULT[breakage]
        if correction and "reason" not in payload:
            return InvalidPayload, "reason"
        submitted = (round_, payload["unit"]) in self.history
        if correction != submitted:
            return InvalidPayload, "unit"  # a correction of nothing, or a protocol sent twice
        if round_ == 2 and self._pair_now() is None:
            return NotAllowed, None  # V5: no ballot to count votes for
        if breakage in ("missing_candidate", "stranger"):
            ballot = {str(c) for c in self._ballot(round_)}
            (odd,) = set(payload["votes"]) ^ ballot
            return InvalidPayload, f"votes.{odd}"
        if breakage != "consistent":
            return InvalidPayload, FAULT[breakage]
        return None

    def _decide(self, trigger: str, payload: dict[str, Any], expect: str | type) -> Any:
        """One decision on the election; ``expect`` is the phase it leads to, or the refusal it must bring."""
        self._tick()
        before = snapshot(self.database) if isinstance(expect, type) else {}
        try:
            outcome = results.perform_election(self.database, ELECTION_ID, trigger, payload, actor=ACTOR, at=self.at)
        except REFUSALS as err:
            assert isinstance(expect, type) and isinstance(err, expect), (
                f"{trigger} in {self.phase}: expected {expect}, got {err!r}"
            )
            self._refused(before, err, trigger)
            return err
        assert outcome.phase == expect, f"{trigger} in {self.phase} led to {outcome.phase}; the model expected {expect}"
        assert outcome.previous_phase == self.phase
        assert (outcome.previous_phase, outcome.phase) in DECIDED
        self.events += 1
        assert outcome.event_seq == self.events
        event = self._event(outcome.event_seq)
        assert (event.action, event.from_state, event.to_state) == (trigger, self.phase, outcome.phase)
        self.phase = self.seen = outcome.phase  # a decision may be followed by the clock within one rule
        return outcome

    # --- rules ---

    @initialize(candidates=st.integers(2, 5))
    def an_election_in_its_count(self, candidates: int) -> None:
        self.db, self.ids, self.cleanup = self.make_db(candidates)
        with self.db.reading() as session:
            election = session.get(Election, ELECTION_ID)
            assert election is not None
            self.calendar = actions.calendar_of(election)
        self.at = self.calendar.voting_closes + dt.timedelta(hours=3)
        self.events = self._counted_events()
        assert results.show_election(self.db, ELECTION_ID, at=self.at)["phase"] == "counting"

    @rule(data=st.data(), breakage=st.sampled_from(BREAKAGES), profile=st.sampled_from(PROFILES))
    def submit(self, data: st.DataObject, breakage: str, profile: str) -> None:
        """A protocol for a unit still missing where there is one (else any unit: a duplicate), at any phase."""
        round_ = self._round() or 1
        missing = [u for u in UNITS if (round_, u) not in self.history] or UNITS
        unit = data.draw(st.sampled_from(missing), label="unit")
        payload = self._payload(data, unit, breakage, profile, reason=False)
        self._submit(payload, correction=False, expect=self._expect(payload, breakage, correction=False), what="submit")

    @precondition(lambda self: self._round() is not None and any(r == self._round() for r, _ in self.history))
    @rule(data=st.data(), profile=st.sampled_from(PROFILES))
    def submit_duplicate(self, data: st.DataObject, profile: str) -> None:
        round_ = self._round()
        unit = data.draw(st.sampled_from(sorted(u for r, u in self.history if r == round_)), label="unit")
        payload = self._payload(data, unit, "consistent", profile, reason=False)
        self._submit(payload, correction=False, expect=(InvalidPayload, "unit"), what="a duplicate")

    @precondition(lambda self: self._missing())
    @rule(data=st.data(), profile=st.sampled_from(PROFILES))
    def submit_the_rest(self, data: st.DataObject, profile: str) -> None:
        """Every missing unit's protocol, one favourite for all (so majorities, 50% and ties come up nationally)."""
        round_ = self._round() or 1
        ballot = self._ballot(round_) or self.ids[:2]
        favourite = data.draw(st.sampled_from(ballot), label="favourite")
        for unit in [u for u in UNITS if (round_, u) not in self.history]:
            voters, issued, cast, invalid, parts = draw_figures(data, ballot, profile, favourite)
            payload = protocol(unit, ballot, parts, voters, issued, cast, invalid, self._local_day())
            self._submit(payload, correction=False, expect=self._expect(payload, "consistent", correction=False),
                         what="submit")  # fmt: skip

    @rule(data=st.data(), breakage=st.sampled_from(BREAKAGES), profile=st.sampled_from(PROFILES),
          reason=st.sampled_from((True, True, True, False)))  # fmt: skip
    def correct(self, data: st.DataObject, breakage: str, profile: str, reason: bool) -> None:
        """A new version of a submitted protocol (any unit when none is: a correction of nothing)."""
        round_ = self._round() or 1
        submitted = sorted(u for r, u in self.history if r == round_) or UNITS
        unit = data.draw(st.sampled_from(submitted), label="unit")
        payload = self._payload(data, unit, breakage, profile, reason=reason)
        self._submit(payload, correction=True, expect=self._expect(payload, breakage, correction=True), what="correct")

    @precondition(lambda self: self.phase in (*COUNTING, "second_round_due", "elected"))
    @rule(data=st.data(), the_rest_first=st.booleans(), profile=st.sampled_from(PROFILES))
    def establish_results(self, data: st.DataObject, the_rest_first: bool, profile: str) -> None:
        """V4/V5, after sending the missing protocols or not (so the results come even where that rule is left out)."""
        if the_rest_first and self._missing():
            self.submit_the_rest(data, profile)
        round_ = self._round()
        if round_ is None:
            self._decide("establish_results", self._resolution(), NotAllowed)
            return
        if round_ == 2 and self._pair_now() is None:
            self._decide("establish_results", self._resolution(), NotAllowed)  # V5: no ballot, nothing to count
            return
        if len(self._in_force(round_)) < len(UNITS):
            err = self._decide("establish_results", self._resolution(), GuardFailed)
            assert "V3" in {u.rule for u in err.unmet}, err
            return
        kind, winner, leaders = self._verdict(round_)
        if kind == "undecided":
            err = self._decide("establish_results", self._resolution(), GuardFailed)
            assert {u.rule for u in err.unmet} == {"V5"}, err
            return
        dest = {"elected": "elected", "second_round": "second_round_due", "no_winner": "no_winner"}[kind]
        outcome = self._decide("establish_results", self._resolution(), dest)
        assert (outcome.details["outcome"], outcome.details["winner"], outcome.details["leaders"]) == (kind, winner, leaders)
        self.outcomes[round_] = (kind, winner, leaders)

    @precondition(lambda self: self.phase in ("second_round_due", "second_round", "counting"))
    @rule(weeks=st.integers(0, 10), count_now=st.sampled_from((None, None, False, True)))
    def call_second_round(self, weeks: int, count_now: bool | None) -> None:
        """V5: on a day after today and within two months of the first round; mostly such a day, now and then not.

        ``count_now`` (not None): the clock moves on to the second round's count straight away,
        with or without the sweep at its opening; otherwise a withdrawal may come first.
        """
        day = ELECTION_DAY + dt.timedelta(weeks=weeks)
        payload = self._resolution() | {"voting_day": day.isoformat()}
        if self.phase != "second_round_due":
            self._decide("call_second_round", payload, NotAllowed)
            return
        if not self._local_day() < day <= LATEST_SECOND_ROUND:
            err = self._decide("call_second_round", payload, GuardFailed)
            assert {u.rule for u in err.unmet} == {"V5"}, err
            return
        if self._pair_now() is None:
            self._decide("call_second_round", payload, NotAllowed)  # V5: fewer than two left, or a tie: the CEC decides
            return
        outcome = self._decide("call_second_round", payload, "second_round")
        assert outcome.details["candidates"] == list(self._pair_now() or ())
        self.second_round_called = True
        if count_now is not None:
            self.count_the_second_round(count_now)

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        """V5: a registered candidate may withdraw before the second round (and only then, after the vote)."""
        candidacy = data.draw(st.sampled_from(self.ids), label="candidacy")
        allowed = self.phase in ("second_round_due", "second_round") and candidacy not in self.out
        self._tick()
        before = snapshot(self.database) if not allowed else {}
        try:
            outcome = actions.perform(self.database, candidacy, "withdraw", self._resolution(), actor=ACTOR, at=self.at)
        except REFUSALS as err:
            assert not allowed, f"withdraw of {candidacy} in {self.phase} was refused: {err!r}"
            assert isinstance(err, NotAllowed | GuardFailed), err
            self._refused(before, err, "withdraw")
            return
        assert allowed, f"candidacy {candidacy} withdrew in {self.phase} (withdrawn before: {candidacy in self.out})"
        assert outcome.state == "withdrawn"
        self.events += 1
        assert outcome.event_seq == self.events
        self.out.add(candidacy)

    @precondition(lambda self: self.phase == "second_round")
    @rule(sweep_at_opening=st.booleans())
    def count_the_second_round(self, sweep_at_opening: bool) -> None:
        """The clock moves to three hours after the second round closes; the sweep at its opening fixes the ballot."""
        with self.database.reading() as session:
            election = session.get(Election, ELECTION_ID)
            assert election is not None and election.second_round_opens_at and election.second_round_closes_at
            opens, closes = election.second_round_opens_at, election.second_round_closes_at
        if sweep_at_opening:
            sweep.sweep(self.database, opens + dt.timedelta(minutes=1))
            self.events = self._counted_events()  # the sweep's own events
            with self.database.reading() as session:
                fixed = session.scalar(select(Election.second_round_ballot).where(Election.id == ELECTION_ID))
            pair = self._pair_now()
            assert fixed == (list(pair) if pair else None), f"the sweep fixed {fixed}; the model's pair is {pair}"
            self.fixed_pair = pair
        self.at = closes + dt.timedelta(hours=3)
        self.phase = "second_round_counting"

    # --- invariants ---

    @invariant()
    def one_protocol_in_force_per_unit_with_versions_without_gaps(self) -> None:
        if self.db is None:
            return
        with self.db.reading() as session:
            rows = session.scalars(select(Protocol).order_by(Protocol.round, Protocol.unit, Protocol.version)).all()
            stored: dict[tuple[int, str], list[Protocol]] = {}
            for row in rows:
                stored.setdefault((row.round, row.unit), []).append(row)
            assert set(stored) == set(self.history), set(stored) ^ set(self.history)
            for key, versions in stored.items():
                assert [p.version for p in versions] == list(range(1, len(versions) + 1)), (key, [p.version for p in versions])
                in_force = [p for p in versions if p.superseded_at is None]
                assert in_force == [versions[-1]], f"{key}: {len(in_force)} protocols in force"
                sent = self.history[key]
                assert [results.figures_of(p) for p in versions] == [
                    tally.Figures(f["voters_on_list"], f["ballots_issued"], f["ballots_cast"], f["invalid_ballots"],
                                  {int(k): v for k, v in f["votes"].items()}, f["against_all"]) for f in sent
                ], key  # fmt: skip

    @invariant()
    def audit_chain_holds_every_action(self) -> None:
        if self.db is None:
            return
        with self.db.reading() as session:
            verdict = audit.verify(session)
        assert verdict.ok, verdict
        assert verdict.events == self.events, f"{verdict.events} audit events, {self.events} expected"

    @invariant()
    def phase_is_the_models_and_moved_along_the_table(self) -> None:
        if self.db is None:
            return
        shown = results.show_election(self.db, ELECTION_ID, at=self.at)
        phase = shown["phase"]
        assert phase in states.PHASES, phase
        assert phase == self.phase, f"the election is in {phase}; the model says {self.phase}"
        assert phase == self.seen or (self.seen, phase) in MOVES, f"{self.seen} -> {phase} is no step of the election"
        self.seen = phase
        round_ = self._round()
        if round_ is not None:
            assert shown["missing_units"] == [u for u in UNITS if (round_, u) not in self.history]

    @invariant()
    def results_are_the_sums_of_the_protocols_in_force(self) -> None:
        if self.db is None:
            return
        public = results.results(self.db, ELECTION_ID, at=self.at)
        rounds = {r["round"]: r for r in public["rounds"]}
        assert set(rounds) == ({1, 2} if self.second_round_called else {1}), set(rounds)
        for round_, shown in rounds.items():
            sums, votes = self._sums(round_), self._votes(round_)
            in_force = self._in_force(round_)
            totals = shown["totals"]
            assert shown["protocols"] == {"received": len(in_force), "expected": len(UNITS)}
            assert {k: totals[k] for k in ("units", "voters_on_list", "ballots_issued", "ballots_cast", "invalid_ballots",
                                           "valid")} == {k: sums[k] for k in totals if k != "turnout_percent"}  # fmt: skip
            assert totals["turnout_percent"] == exact_percent(sums["ballots_cast"], sums["voters_on_list"])
            valid = sums["valid"]
            assert [(c["candidacy_id"], c["votes"]) for c in shown["candidates"]] == ranking(votes)
            shares = [(c["votes"], c["percent"]) for c in shown["candidates"]]
            if in_force:
                assert shown["against_all"] is not None and shown["against_all"]["votes"] == sums["against_all"]
                shares.append((sums["against_all"], shown["against_all"]["percent"]))
            else:
                assert shown["against_all"] is None
            for count, percent in shares:
                assert count <= valid, f"{count} votes of {valid} valid"
                assert percent == f"{tally.percent(count, valid):.2f}" == exact_percent(count, valid), (count, valid, percent)
            assert {u["code"]: u["version"] for u in shown["units"]} == {
                unit: len(self.history[(round_, unit)]) for unit in in_force
            }  # fmt: skip
            if round_ in self.outcomes:
                kind, winner, leaders = self.outcomes[round_]
                assert shown["status"] == "established"
                said = shown["outcome"]
                assert (said["kind"], said["winner"], said["leaders"]) == (kind, winner, leaders)
                # Nothing can change the figures once established: they still say what was decided.
                assert self._verdict(round_) == (kind, winner, leaders)
            else:
                assert shown["status"] == "counting" and shown["outcome"] is None
        with self.db.reading() as session:
            established = {r.round: r for r in session.scalars(select(ElectionResult))}
        assert set(established) == set(self.outcomes)
        for round_, result in established.items():
            sums = self._sums(round_)
            keys = ("units", "valid", "ballots_cast", "invalid_ballots", "voters_on_list")
            assert {k: result.tally[k] for k in keys} == {k: sums[k] for k in keys}
            assert [(c["candidacy_id"], c["votes"]) for c in result.tally["candidates"]] == ranking(self._votes(round_))

    @invariant()
    def second_round_ballot_is_the_two_leaders_still_registered(self) -> None:
        if self.db is None or 1 not in self.outcomes or self.outcomes[1][0] != "second_round":
            return
        with self.db.reading() as session:
            election = session.get(Election, ELECTION_ID)
            assert election is not None
            states: dict[int, str] = {row.id: row.state for row in session.execute(select(Candidacy.id, Candidacy.state))}
            try:
                on_ballot: list[int] | None = results.ballot(session, election, 2)
            except NotAllowed:
                on_ballot = None
            fixed = election.second_round_ballot
        assert {c for c, s in states.items() if s != "registered"} == self.out
        pair = runoff(self._votes(1), self.out)
        if fixed is not None:
            assert fixed == list(self.fixed_pair or ()), (fixed, self.fixed_pair)
            assert all(states[c] == "registered" for c in fixed), states
            assert tuple(fixed) == pair, f"the second round's ballot is {fixed}; the leaders still registered are {pair}"
        else:
            assert self.fixed_pair is None
            assert on_ballot == (list(pair) if pair else None), (on_ballot, pair)


# --- Running it -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def counted_templates(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[int], Path]]:
    """One migrated SQLite file per candidate count, built through the actions once and copied for each example."""
    directory = tmp_path_factory.mktemp("counted")
    built: dict[int, Path] = {}

    def template(candidates: int) -> Path:
        if candidates not in built:
            path = directory / f"counted-{candidates}.sqlite3"
            shutil.copy(sqlite_template, path)
            db = Database(f"sqlite:///{path}")
            counted_world(db, candidates)
            db.dispose()
            built[candidates] = path
        return built[candidates]

    yield template


def _candidates_in(db: Database) -> list[int]:
    with db.reading() as session:
        return list(session.scalars(select(Candidacy.id).where(Candidacy.state == "registered").order_by(Candidacy.id)))


def test_random_protocols_and_decisions_keep_the_invariants_on_sqlite(
    counted_templates: Callable[[int], Path], tmp_path: Path
) -> None:
    def make_db(candidates: int) -> tuple[Database, list[int], Callable[[], None]]:
        directory = Path(tempfile.mkdtemp(dir=tmp_path))
        shutil.copy(counted_templates(candidates), directory / "registrar.sqlite3")
        db = Database(f"sqlite:///{directory / 'registrar.sqlite3'}")
        return db, _candidates_in(db), lambda: shutil.rmtree(directory, ignore_errors=True)

    class OnSqlite(ResultsMachine):
        def __init__(self) -> None:
            super().__init__(make_db)

    run_state_machine_as_test(OnSqlite, settings=settings(max_examples=EXAMPLES, stateful_step_count=30, **SETTINGS))


@pytest.mark.postgresql
def test_random_protocols_and_decisions_keep_the_invariants_on_postgresql(pg_url: str) -> None:
    def make_db(candidates: int) -> tuple[Database, list[int], Callable[[], None]]:
        db = _empty_postgresql(pg_url)
        _, ids = counted_world(db, candidates)
        return db, ids, lambda: None

    class OnPostgresql(ResultsMachine):
        def __init__(self) -> None:
            super().__init__(make_db)

    budget = settings(max_examples=max(2, EXAMPLES // 5), stateful_step_count=20, **SETTINGS)
    run_state_machine_as_test(OnPostgresql, settings=budget)


# --- What the machine found, pinned ---------------------------------------------------------


def _call(db: Database, day: str, at: dt.datetime) -> results.ElectionOutcome:
    payload = {"number": "CEC-2", "decided_on": "2029-11-26", "voting_day": day}
    return results.perform_election(db, ELECTION_ID, "call_second_round", payload, actor=ACTOR, at=at)


def _to_the_second_round(db: Database, parts: dict[int, int]) -> tuple[World, list[int], dt.datetime]:
    """Three candidates, every unit counting ``parts`` (indices 1-3 the candidates, AGAINST against all), results established."""
    world, ids = counted_world(db, 3)
    at = world.calendar.voting_closes + dt.timedelta(hours=3)
    votes = {ids[i - 1] if i else AGAINST: n for i, n in parts.items()}
    valid = sum(votes.values())
    for unit in UNITS:
        results.submit_protocol(db, ELECTION_ID, protocol(unit, ids, votes, valid, valid, valid, 0, ELECTION_DAY),
                                actor=ACTOR, at=at)  # fmt: skip
    outcome = results.perform_election(db, ELECTION_ID, "establish_results", {"number": "CEC-1", "decided_on": "2029-11-26"},
                                       actor=ACTOR, at=at + dt.timedelta(hours=1))  # fmt: skip
    assert outcome.phase == "second_round_due"
    return world, ids, at + dt.timedelta(hours=2)


def test_v5_the_second_round_is_called_for_a_day_ahead_within_two_months_of_the_first(db: Database) -> None:
    """Found by the machine: call_second_round took any voting day (2030-06-16 was accepted).

    conditions.second_round_in_time (V5: within 2 months of the first round, on a day after
    today) existed but the ELECTION_STEPS row for call_second_round named no condition.
    """
    _, _, at = _to_the_second_round(db, {1: 4, 2: 3, 3: 2, AGAINST: 1})
    late = (LATEST_SECOND_ROUND + dt.timedelta(days=1)).isoformat()
    for day in (late, "2030-06-16", "2029-11-26", "2029-11-20"):
        with pytest.raises(GuardFailed) as refused:
            _call(db, day, at)
        assert {u.rule for u in refused.value.unmet} == {"V5"}, day
    assert _call(db, LATEST_SECOND_ROUND.isoformat(), at).phase == "second_round"


def test_v5_withdrawals_after_the_call_that_leave_one_candidate_leave_the_cec_to_decide(db: Database) -> None:
    """Found by the machine: after the call, withdrawals may leave one candidate in the race.

    V5 passes a withdrawn leader's place to the next in the first round, but with no one left
    to take it the law is silent: the sweep at the opening fixes no ballot, no protocol can be
    received nor result established (NotAllowed, V5), and what stays open is the CEC's
    declare_void (V6), which is where the election can go on from.
    """
    world, ids, at = _to_the_second_round(db, {1: 4, 2: 3, 3: 2, AGAINST: 1})
    _call(db, "2029-12-16", at)
    for step, candidacy in enumerate(ids[1:]):
        moment = at + dt.timedelta(days=1, hours=step)
        world.act(candidacy, "withdraw", {"number": f"W-{step}", "decided_on": "2029-11-27"}, at=moment)
    with db.reading() as session:
        election = session.get(Election, ELECTION_ID)
        assert election is not None and election.second_round_opens_at and election.second_round_closes_at
        opens, closes = election.second_round_opens_at, election.second_round_closes_at
    sweep.sweep(db, opens + dt.timedelta(minutes=1))
    with db.reading() as session:
        assert session.scalar(select(Election.second_round_ballot).where(Election.id == ELECTION_ID)) is None
    counting = closes + dt.timedelta(hours=3)
    assert results.show_election(db, ELECTION_ID, at=counting)["phase"] == "second_round_counting"
    with pytest.raises(NotAllowed, match="fewer than two candidates"):
        results.submit_protocol(db, ELECTION_ID, protocol(UNITS[0], ids[:1], {ids[0]: 1, AGAINST: 0}, 1, 1, 1, 0,
                                                          dt.date(2029, 12, 16)), actor=ACTOR, at=counting)  # fmt: skip
    with pytest.raises(NotAllowed, match="fewer than two candidates"):
        results.perform_election(db, ELECTION_ID, "establish_results", {"number": "CEC-3", "decided_on": "2029-12-16"},
                                 actor=ACTOR, at=counting)  # fmt: skip
    void = results.perform_election(db, ELECTION_ID, "declare_void",
                                    {"number": "CEC-3", "decided_on": "2029-12-16", "reason": "no second candidate"},
                                    actor=ACTOR, at=counting)  # fmt: skip
    assert void.phase == "void"
