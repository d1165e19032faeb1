"""Random sequences of real actions on a real database, with the invariants checked after every step.

A hypothesis ``RuleBasedStateMachine`` nominates, fires triggers (valid payloads from
``demo.papers``, or deliberately broken ones), files the paperwork and moves a clock that
stays mostly in the registration phase of a regular election, now and then jumping past an
appeal window (G6). Every action goes through ``actions.nominate`` / ``actions.perform`` on
a fresh database per example: a copy of the migrated SQLite template, or the session's
PostgreSQL database truncated.

After every step:
- every candidacy's state is one of ``states.STATES``;
- a registered candidacy has every document (``show_candidacy(...)["documents"]``, D6/N6) and
  exactly one live certificate (G2); a candidacy in any other state has none;
- no association has two candidacies in one election that are neither withdrawn nor revoked (N5);
- the audit chain verifies, and it holds exactly the setup events plus one per successful action;
- every pending deadline of a candidacy belongs to its current state (``deadlines.KINDS[kind].open_in``),
  and the state a candidacy entered opened its own (D7, G4 while a declaration is unverified, G6).

After every action: a refusal (NotAllowed, GuardFailed, InvalidPayload, StaleVersion) is the
one the inputs call for where they decide it (a stale version, a trigger the state does not
have, a malformed payload; for a nomination the exact rules N1/N2/N3/N5), and leaves every
table exactly as it was. A success moves the candidacy's version on (the optimistic lock),
appends its one audit event with the right states, queues its notifications, and a
registration leaves every condition of ``register`` true. Any other exception fails the test.

The machine builds its own database per example (hypothesis cannot take a function-scoped
fixture per example). Budget: about 25 examples of up to 25 steps on SQLite, 6 of 20 on
PostgreSQL, well under 90 s together.

Below the machine, short deterministic tests pin what the machine (and probing around it) found, one each.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import String, cast, func, select

from registrar import actions, audit, deadlines, demo, machines, states
from registrar.conditions import Context
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed, StaleVersion
from registrar.models import (
    AuditEvent,
    Base,
    Candidacy,
    Certificate,
    Deadline,
    Declaration,
    InformationRequest,
    OutboxMessage,
)
from registrar.rules import for_kind
from tests.conftest import _empty_postgresql

from .conftest import ELECTION_DAY, ELECTION_ID, World, build_world

REFUSALS = (NotAllowed, GuardFailed, InvalidPayload, StaleVersion)
ACTOR = "test:stateful"
RULES = for_kind("presidential")
# Shrinking a failing run re-plays it hundreds of times against a fresh database and takes
# minutes; it is off unless asked for (REGISTRAR_TEST_SHRINK=1), so a failure is reported
# as found. A failing example is saved and replayed first on the next run either way.
PHASES = tuple(Phase) if os.environ.get("REGISTRAR_TEST_SHRINK") else tuple(p for p in Phase if p is not Phase.shrink)
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "phases": PHASES,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
}


def snapshot(db: Database) -> dict[str, list[Any]]:
    """Every row of every table, in key order, as the driver returns it: what "nothing was written" is compared against."""
    with db.engine.connect() as connection:
        return {
            table.name: list(
                connection.exec_driver_sql(
                    f'SELECT * FROM "{table.name}" ORDER BY {", ".join(c.name for c in table.primary_key.columns)}'
                ).fetchall()
            )
            for table in Base.metadata.sorted_tables
        }


# --- Payloads -------------------------------------------------------------------------------

# Nomination tweaks: who is nominated and how the association decided.
TWEAKS: dict[str, dict[str, Any]] = {
    "eligible": {},
    "unmarried": {"married": False},
    "too_young": {"birth_date": ELECTION_DAY.replace(year=ELECTION_DAY.year - 35).isoformat()},  # E2
    "not_citizen_by_birth": {"citizen_by_birth": False},  # E1
    "no_degree": {"education_level": "secondary"},  # E5
    "criminal_record": {"unexpunged_criminal_record": True},  # E8
    "minority_vote": {},  # N3, on the decision
    "broken": {},  # no name: the schema refuses
}
# Eligible people are drawn more often, so candidacies get far enough to be registered.
NOMINEES = ("eligible", "eligible", "eligible", "unmarried", "unmarried", *sorted(set(TWEAKS) - {"eligible", "unmarried"}))
PAPERWORK = "medical_check"  # demo.papers' name for the records filed while in medical_check
BREAKAGES = ("valid", "valid", "valid", "valid", "odd", "junk", "drop_required", "wrong_type")
VERSIONS = ("current", "current", "none", "stale")
# Where a walk from "nominated" may lead without waiting for a window to lapse.
WALKS = ("registered", "registration_cancelled", "registered", "registration_cancelled", "documents_submitted",
         "refused", "appealed", "withdrawn", "revoked")  # fmt: skip
PREPARING = ("nominated", "declarations_filed", "medical_check")
APPEALABLE = ("refused", "registration_cancelled", "appealed")
# The usual next steps from each state (demo.ROUTES and the decisions after them).
FORWARD: dict[str, list[str]] = {
    "nominated": ["file_declarations"],
    "declarations_filed": ["start_medical_check"],
    "medical_check": [PAPERWORK, "submit_documents"],
    "documents_submitted": ["register", "refuse"],
    "registered": ["cancel_registration", "record_declaration_verification", "send_information_request"],
    "refused": ["appeal", "close_appeal_window"],
    "registration_cancelled": ["appeal", "close_appeal_window"],
    "appealed": ["uphold_appeal", "dismiss_appeal"],
}


def valid_payloads(world: World, trigger: str, day: dt.date) -> list[dict[str, Any]]:
    """Complete, valid payloads for ``trigger`` (several where the officer has a choice)."""
    if trigger == "send_information_request":
        return [{"organisation": "Halyk Bank", "subject": "accounts and deposits of the candidate"}]
    if trigger == "record_declaration_verification":
        return [{"filer": filer, "result": result, "verified_on": day.isoformat()}
                for filer in world.rules.D1.filers for result in ("confirmed", "false")]  # fmt: skip
    if trigger == "answer_information_request":
        return []  # needs a request id: see CandidacyMachine._payload
    records = demo.papers(PAPERWORK, world.calendar, world.rules, day)
    if any(p["_trigger"] == trigger for p in records):
        return [{k: v for k, v in p.items() if k != "_trigger"} for p in records if p["_trigger"] == trigger]
    return demo.papers(trigger, world.calendar, world.rules, day)


def odd(world: World, trigger: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Well-formed but wrong in substance: the law (a guard), not the schema, has to notice."""
    if trigger == "file_declarations":
        wrong = (world.calendar.declarations_as_of - dt.timedelta(days=31)).isoformat()
        return {"declarations": [d | {"valued_as_of": wrong} for d in payload["declarations"]]}
    changes: dict[str, dict[str, Any]] = {
        "record_medical_conclusion": {"fit": False},
        "record_language_conclusion": {"fluent": False, "linguists": 3},
        "record_contribution": {"amount": 1},
        "record_signature_protocol": {"valid": 1, "submitted": 2},
        "answer_information_request": {"request_id": 987654},
        "refuse": {"grounds": ["not_a_ground"]},
        "cancel_registration": {"grounds": ["false_declaration"]},
    }
    return payload | changes.get(trigger, {"number": "X" * 61})  # a resolution number longer than 60


def required_fields(trigger: str) -> list[str]:
    schema = machines.TRIGGER_SCHEMAS[trigger]()
    return sorted(name for name, field in schema.fields.items() if field.required)


# --- The machine ----------------------------------------------------------------------------


class CandidacyMachine(RuleBasedStateMachine):
    """One election, a few associations, candidacies driven through the real actions."""

    def __init__(self, make_db: Callable[[], Database], cleanup: Callable[[], None] = lambda: None):
        super().__init__()
        self.db = make_db()
        self.cleanup = cleanup
        self.world = build_world(self.db, RULES, national=3)
        self.calendar = self.world.calendar
        self.associations = [*self.world.associations, self.world.regional]
        # The clock starts an hour into the registration phase (G1): nominations are open until
        # 18:00 that day (N2), decisions can be taken from the start.
        self.at = self.calendar.registration_opens + dt.timedelta(hours=1)
        self.candidacies: list[int] = []
        self.events = self._audit().events  # the setup's events; one more per successful action

    def teardown(self) -> None:
        self.db.dispose()
        self.cleanup()

    # --- helpers ---

    def _audit(self) -> audit.Verdict:
        with self.db.reading() as session:
            return audit.verify(session)

    def _candidacy(self, candidacy_id: int) -> tuple[str, int]:
        with self.db.reading() as session:
            row = session.execute(select(Candidacy.state, Candidacy.version).where(Candidacy.id == candidacy_id)).one()
            return row.state, row.version

    def _active_for(self, association_id: int) -> int:
        with self.db.reading() as session:
            return (
                session.scalar(
                    select(func.count(Candidacy.id)).where(
                        Candidacy.election_id == ELECTION_ID,
                        Candidacy.association_id == association_id,
                        Candidacy.state.not_in(("withdrawn", "revoked")),
                    )
                )
                or 0
            )

    def _in(self, states: tuple[str, ...]) -> bool:
        with self.db.reading() as session:
            return (session.scalar(select(func.count(Candidacy.id)).where(Candidacy.state.in_(states))) or 0) > 0

    def _refused(self, before: dict[str, list[Any]], err: Exception, what: str) -> None:
        assert snapshot(self.db) == before, f"{what} was refused ({err!r}) but left rows behind"

    def _succeeded(self, outcome: actions.Outcome, trigger: str, before_state: str | None, before_version: int) -> None:
        self.events += 1
        state, version = self._candidacy(outcome.candidacy_id)
        assert (outcome.state, outcome.version) == (state, version)
        assert outcome.event_seq == self.events, f"{trigger}: event {outcome.event_seq}, expected {self.events}"
        assert version > before_version, (
            f"{trigger} succeeded on candidacy {outcome.candidacy_id} at {self.at.isoformat()} but its version stayed "
            f"at {before_version}: the optimistic lock did not move on"
        )
        with self.db.reading() as session:
            event = session.scalars(select(AuditEvent).where(AuditEvent.seq == outcome.event_seq)).one()
            assert (event.action, event.subject_id, event.from_state, event.to_state) == (
                trigger, str(outcome.candidacy_id), before_state, state
            )  # fmt: skip
            recipients = set(session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.event_seq == event.seq)))
        assert {"cec", f"candidate:{outcome.candidacy_id}"} <= recipients, recipients

    def _perform(self, candidacy_id: int, trigger: str, payload: Any, version_mode: str, expect: type | None) -> None:
        """Fire one trigger; check the refusal is the expected one (when one is certain) and wrote nothing."""
        state, version = self._candidacy(candidacy_id)
        expected_version = {"current": version, "none": None, "stale": version - 1}[version_mode]
        if version_mode == "stale":
            expect = StaleVersion
        elif not any(step.trigger == trigger for step in machines.steps_from(state)):
            expect = NotAllowed
        self.at += dt.timedelta(minutes=1)  # officers act one after another (same-instant actions: see below)
        before = snapshot(self.db)
        try:
            outcome = actions.perform(self.db, candidacy_id, trigger, payload, actor=ACTOR,
                                      expected_version=expected_version, at=self.at)  # fmt: skip
        except REFUSALS as err:
            if expect is not None:
                assert isinstance(err, expect), f"{trigger} from {state}: expected {expect.__name__}, got {err!r}"
            if isinstance(err, GuardFailed):
                assert err.unmet and all(u.rule for u in err.unmet), err
            self._refused(before, err, f"{trigger} on candidacy {candidacy_id} ({state})")
            return
        assert expect is None, f"{trigger} from {state} with {payload!r}: expected {expect.__name__}, it succeeded"
        self._succeeded(outcome, trigger, state, version)
        if trigger == "register":
            self._register_conditions_hold(candidacy_id)

    def _paperwork(self, candidacy_id: int) -> None:
        for payload in demo.papers(PAPERWORK, self.calendar, RULES, self.calendar.local(self.at).date()):
            trigger = payload.pop("_trigger")
            self._perform(candidacy_id, trigger, payload, "none", None)

    def _walk(self, data: st.DataObject, candidacy_id: int, goal: str) -> None:
        """Along demo.ROUTES[goal], at the clock's pace, each action checked like any other.

        The walk stops where an action is refused (an ineligible person is not registered).
        """
        for trigger in demo.ROUTES[goal]:
            if trigger == PAPERWORK:
                self._paperwork(candidacy_id)
                continue
            before = self._candidacy(candidacy_id)
            payload, _ = self._payload(data, candidacy_id, trigger, "valid")
            self._perform(candidacy_id, trigger, payload, "current", None)
            if self._candidacy(candidacy_id) == before:
                return

    def _register_conditions_hold(self, candidacy_id: int) -> None:
        """What the CEC decided on (G2) is still true of the stored records after the commit."""
        step = machines.step_for("register", "documents_submitted")
        with self.db.reading() as session:
            candidacy = session.get(Candidacy, candidacy_id)
            assert candidacy is not None
            ctx = Context(session, RULES, self.calendar, candidacy.election, candidacy, self.at)
            unmet = [u for condition in step.conditions for u in condition(ctx)]
        assert not unmet, f"candidacy {candidacy_id} was registered with unmet conditions: {unmet}"

    def _payload(self, data: st.DataObject, candidacy_id: int, trigger: str, breakage: str) -> tuple[Any, type | None]:
        """A payload for ``trigger``, valid or broken as ``breakage`` says, and the refusal it must bring."""
        day = self.calendar.local(self.at).date()
        if trigger == "answer_information_request":
            with self.db.reading() as session:
                requests = list(session.scalars(
                    select(InformationRequest.id).where(InformationRequest.candidacy_id == candidacy_id)))  # fmt: skip
            request_id = data.draw(st.sampled_from(requests), label="request") if requests else 1
            choices = [{"request_id": request_id, "answer": "two accounts, one deposit"}]
        else:
            choices = valid_payloads(self.world, trigger, day)
        payload: Any = data.draw(st.sampled_from(choices), label="payload")
        if breakage == "valid":
            return payload, None
        if breakage == "odd":
            return odd(self.world, trigger, payload), None
        if breakage == "junk":
            return "not an object", InvalidPayload
        required = required_fields(trigger)
        if not required:
            return ["not", "an", "object"], InvalidPayload
        name = data.draw(st.sampled_from(required), label="field")
        if breakage == "drop_required":
            return {k: v for k, v in payload.items() if k != name}, InvalidPayload
        return payload | {name: {"bogus": True}}, InvalidPayload

    # --- rules ---

    @initialize(data=st.data(), goal=st.sampled_from(("nominated", *WALKS)))
    def a_first_candidacy(self, data: st.DataObject, goal: str) -> None:
        """Every example starts with an eligible candidacy somewhere along its way."""
        self.nominate(0, "eligible")
        if goal != "nominated":
            self._walk(data, self.candidacies[0], goal)

    @precondition(lambda self: self.at < self.calendar.nomination_closes + dt.timedelta(hours=12))
    @rule(association=st.integers(0, 3), tweak=st.sampled_from(NOMINEES))
    def nominate(self, association: int, tweak: str) -> None:
        self.at += dt.timedelta(minutes=1)
        association_id = self.associations[association]
        local_day = self.calendar.local(self.at).date()
        person = demo.person(f"Candidate {len(self.candidacies) + 1}", ELECTION_DAY, **TWEAKS[tweak])
        decision = demo.decision(local_day - dt.timedelta(days=1), votes_for=60 if tweak == "minority_vote" else 101)
        if tweak == "broken":
            del person["full_name"]
        # The law's answer, known in advance: N1 regional, N2 window, N3 majority, N5 one per association.
        expected = set()
        if association_id == self.world.regional:
            expected.add("N1")
        if not (self.calendar.nomination_opens <= self.at < self.calendar.nomination_closes):
            expected.add("N2")
        if tweak == "minority_vote":
            expected.add("N3")
        if self._active_for(association_id):
            expected.add("N5")
        before = snapshot(self.db)
        try:
            outcome = actions.nominate(self.db, ELECTION_ID, {"association_id": association_id, "person": person,
                                                              "decision": decision}, actor=ACTOR, at=self.at)  # fmt: skip
        except InvalidPayload as err:
            assert tweak == "broken", err
            self._refused(before, err, "nominate")
            return
        except GuardFailed as err:
            assert tweak != "broken"
            assert {u.rule for u in err.unmet} == expected, err
            self._refused(before, err, "nominate")
            return
        assert tweak != "broken" and not expected, f"nominate succeeded; expected a refusal on {expected}"
        self._succeeded(outcome, "nominate", None, 0)
        assert outcome.state == "nominated"
        self.candidacies.append(outcome.candidacy_id)

    @precondition(lambda self: self.candidacies)
    @rule(data=st.data(), any_trigger=st.booleans(), breakage=st.sampled_from(BREAKAGES),
          version=st.sampled_from(VERSIONS))  # fmt: skip
    def fire(self, data: st.DataObject, any_trigger: bool, breakage: str, version: str) -> None:
        candidacy_id = data.draw(st.sampled_from(self.candidacies), label="candidacy")
        state, _ = self._candidacy(candidacy_id)
        possible = sorted({step.trigger for step in machines.steps_from(state)})
        triggers = list(machines.TRIGGERS) if any_trigger or not possible else possible
        trigger = data.draw(st.sampled_from(triggers), label="trigger")
        payload, expect = self._payload(data, candidacy_id, trigger, breakage)
        self._perform(candidacy_id, trigger, payload, version, expect)

    @precondition(lambda self: self.candidacies)
    @rule(data=st.data(), steps=st.integers(1, 4))
    def take_the_next_steps(self, data: st.DataObject, steps: int) -> None:
        """A few steps along the way a candidacy usually goes (demo.ROUTES), with valid payloads."""
        candidacy_id = data.draw(st.sampled_from(self.candidacies), label="candidacy")
        for _ in range(steps):
            state, _ = self._candidacy(candidacy_id)
            if state not in FORWARD:
                return
            trigger = data.draw(st.sampled_from(FORWARD[state]), label="trigger")
            if trigger == PAPERWORK:
                self._paperwork(candidacy_id)
                continue
            payload, _ = self._payload(data, candidacy_id, trigger, "valid")
            self._perform(candidacy_id, trigger, payload, "current", None)

    @precondition(lambda self: self._in(("nominated",)))
    @rule(data=st.data(), goal=st.sampled_from(WALKS))
    def walk(self, data: st.DataObject, goal: str) -> None:
        with self.db.reading() as session:
            nominated = list(session.scalars(select(Candidacy.id).where(Candidacy.state == "nominated").order_by(Candidacy.id)))
        self._walk(data, data.draw(st.sampled_from(nominated), label="candidacy"), goal)

    @precondition(lambda self: self._in(PREPARING))
    @rule(data=st.data())
    def file_paperwork(self, data: st.DataObject) -> None:
        """Everything an officer records while the candidate is in medical_check (D3-D6, E3), in one go.

        Drawn among the candidacies still preparing their papers; single records in any state
        (refused there, or duplicates) come from ``fire``.
        """
        with self.db.reading() as session:
            preparing = list(session.scalars(select(Candidacy.id).where(Candidacy.state.in_(PREPARING)).order_by(Candidacy.id)))
        self._paperwork(data.draw(st.sampled_from(preparing), label="candidacy"))

    @precondition(lambda self: self.at < self.calendar.registration_closes + dt.timedelta(days=1))
    @rule(hours=st.integers(1, 12))
    def advance(self, hours: int) -> None:
        self.at += dt.timedelta(hours=hours)

    @precondition(lambda self: self.at < self.calendar.registration_closes and self._in(APPEALABLE))
    @rule()
    def jump_past_appeal_window(self) -> None:
        self.at += dt.timedelta(days=RULES.G6.appeal_days + 1)

    # --- invariants ---

    @invariant()
    def states_are_known(self) -> None:
        with self.db.reading() as session:
            stored = set(session.scalars(select(Candidacy.state)))
        assert stored <= set(states.STATES), stored - set(states.STATES)

    @invariant()
    def registered_means_complete_and_certified(self) -> None:
        with self.db.reading() as session:
            rows = session.execute(select(Candidacy.id, Candidacy.state)).all()
            live = dict(session.execute(
                select(Certificate.candidacy_id, func.count(Certificate.id))
                .where(Certificate.revoked_at.is_(None)).group_by(Certificate.candidacy_id)).all())  # fmt: skip
        for candidacy_id, state in rows:
            if state == "registered":
                documents = actions.show_candidacy(self.db, candidacy_id, at=self.at)["documents"]
                missing = [kind for kind, present in documents.items() if not present]
                assert not missing, f"candidacy {candidacy_id} is registered without {missing}"
                assert live.get(candidacy_id) == 1, f"registered candidacy {candidacy_id}: {live.get(candidacy_id)} certificates"
            else:
                assert not live.get(candidacy_id), f"candidacy {candidacy_id} is {state} with a live certificate"

    @invariant()
    def one_active_candidacy_per_association(self) -> None:  # N5
        with self.db.reading() as session:
            counts = session.execute(
                select(Candidacy.election_id, Candidacy.association_id, func.count(Candidacy.id))
                .where(Candidacy.state.not_in(("withdrawn", "revoked")))
                .group_by(Candidacy.election_id, Candidacy.association_id)
                .having(func.count(Candidacy.id) > 1)
            ).all()
        assert not counts, f"N5: associations with more than one active candidacy: {counts}"

    @invariant()
    def audit_chain_holds_every_action(self) -> None:
        verdict = self._audit()
        assert verdict.ok, verdict
        assert verdict.events == self.events, f"{verdict.events} audit events, {self.events} expected"

    @invariant()
    def pending_deadlines_belong_to_the_state(self) -> None:
        with self.db.reading() as session:
            rows = session.execute(
                select(Deadline.kind, Deadline.key, Candidacy.state)
                .join(Candidacy, Deadline.subject_id == cast(Candidacy.id, String))
                .where(Deadline.subject_type == "candidacy", Deadline.status == "pending")
            ).all()
        for kind, key, state in rows:
            assert state in deadlines.KINDS[kind].open_in, f"pending deadline {key} while the candidacy is {state}"

    @invariant()
    def entering_a_state_opened_its_deadlines(self) -> None:  # D7, G4, G6
        with self.db.reading() as session:
            states: dict[int, str] = {row.id: row.state for row in session.execute(select(Candidacy.id, Candidacy.state))}
            pending = {tuple(row) for row in session.execute(
                select(Deadline.subject_id, Deadline.kind)
                .where(Deadline.subject_type == "candidacy", Deadline.status == "pending")
            )}  # fmt: skip
            unverified = set(session.scalars(select(Declaration.candidacy_id).where(Declaration.verification == "pending")))
        for candidacy_id, state in states.items():
            for kind in deadlines.KINDS.values():
                if state not in kind.opened_by_entering:
                    continue
                if kind.name == "declaration_verification" and candidacy_id not in unverified:
                    continue  # every declaration is verified: nothing left to wait for
                assert (str(candidacy_id), kind.name) in pending, f"candidacy {candidacy_id} is {state} without a {kind.name}"


# --- Running it -----------------------------------------------------------------------------


def test_random_actions_keep_the_invariants_on_sqlite(sqlite_template: Path, tmp_path: Path) -> None:
    class OnSqlite(CandidacyMachine):
        def __init__(self) -> None:
            directory = Path(tempfile.mkdtemp(dir=tmp_path))
            shutil.copy(sqlite_template, directory / "registrar.sqlite3")
            super().__init__(lambda: Database(f"sqlite:///{directory / 'registrar.sqlite3'}"),
                             lambda: shutil.rmtree(directory, ignore_errors=True))  # fmt: skip

    run_state_machine_as_test(OnSqlite, settings=settings(max_examples=25, stateful_step_count=25, **SETTINGS))


@pytest.mark.postgresql
def test_random_actions_keep_the_invariants_on_postgresql(pg_url: str) -> None:
    class OnPostgresql(CandidacyMachine):
        def __init__(self) -> None:
            super().__init__(lambda: _empty_postgresql(pg_url))

    run_state_machine_as_test(OnPostgresql, settings=settings(max_examples=6, stateful_step_count=20, **SETTINGS))


# --- What the machine found, pinned ---------------------------------------------------------


def test_g6_an_upheld_appeal_against_an_early_refusal_does_not_register_an_incomplete_candidacy(world: World) -> None:
    """Found by the machine: refuse (allowed from nominated) -> appeal -> uphold_appeal gave "registered".

    machines.CANDIDACY_STEPS used to send every upheld appeal to "registered" with no condition,
    so a candidacy refused before it filed anything came out registered, with a certificate and
    none of the D6 documents, the D1 declarations or the E1-E9 checks. (The table now sends the
    candidacy back to the state the decision was taken in, ``Candidacy.decided_from``.) Whatever
    the court's ruling leads to, a registered candidacy has its documents.
    """
    candidacy = world.nominate(full_name="Refused Early")
    at = world.registration_time
    day = world.calendar.local(at).date()
    for step, trigger in enumerate(("refuse", "appeal", "uphold_appeal")):
        payload = demo.papers(trigger, world.calendar, world.rules, day)[0]
        try:
            actions.perform(world.db, candidacy, trigger, payload, actor=ACTOR, at=at + dt.timedelta(hours=step))
        except (GuardFailed, NotAllowed):
            assert trigger == "uphold_appeal"  # refusing to register an incomplete candidacy is a fix
    view = actions.show_candidacy(world.db, candidacy, at=at)
    if view["state"] == "registered":
        missing = [kind for kind, present in view["documents"].items() if not present]
        assert not missing, f"registered by uphold_appeal without {missing}, certificate {view['certificate']}"


def test_two_actions_at_the_same_instant_each_move_the_version(world: World) -> None:
    """The optimistic lock (models.Candidacy.version) moves on with every action, even at one instant.

    Before flag_modified(candidacy, "updated_at") in actions.perform, an action that changed
    nothing in the candidacy row but updated_at, at the same instant as the previous one,
    left the version where it was, so a client holding that version was not told of it.
    """
    candidacy = world.nominate(full_name="Busy Candidate")
    at = world.registration_time
    versions = [
        world.act(candidacy, "send_information_request", {"organisation": f"Bank {i}", "subject": "accounts"}, at=at).version
        for i in range(3)
    ]
    assert versions == [versions[0], versions[0] + 1, versions[0] + 2]
    record = {"decided_on": world.calendar.local(at).date().isoformat(), "linguists": 7, "fluent": True}
    assert world.act(candidacy, "record_language_conclusion", record, at=at).version == versions[-1] + 1


def test_g6_a_refusal_annulled_after_registration_closes_can_still_be_carried_out(world: World) -> None:
    """A complete, eligible candidate refused late in registration wins the appeal after it closed.

    The refusal can come up to the last hour of registration (G1) and the appeal and the
    court's review take up to 10 + 10 days (G6), so the ruling often lands in the campaign
    phase. uphold_appeal returns the candidacy to documents_submitted, where register and
    refuse are open only in the registration phase (machines.DECISION): the CEC can then
    neither register nor refuse, and the court's final ruling cannot be carried out.
    """
    candidacy = world.nominate(full_name="Refused Late")
    world.walk(candidacy, "documents_submitted")
    closes = world.calendar.registration_closes
    moments = {"refuse": closes - dt.timedelta(hours=3), "appeal": closes - dt.timedelta(hours=2),
               "uphold_appeal": closes + dt.timedelta(days=2), "register": closes + dt.timedelta(days=2, hours=1)}  # fmt: skip
    state = ""
    for trigger, at in moments.items():
        if trigger == "register" and state == "registered":
            break  # the ruling registered the candidate itself
        payload = demo.papers(trigger, world.calendar, world.rules, world.calendar.local(at).date())[0]
        state = actions.perform(world.db, candidacy, trigger, payload, actor=ACTOR, at=at).state
    assert state == "registered"
    assert actions.show_candidacy(world.db, candidacy, at=closes + dt.timedelta(days=3))["certificate"]
