"""The action pipeline: validation, optimistic locking, the records each action leaves, and the law's checks.

Every action runs in one transaction: a refusal of any kind (payload, version, rule) writes
nothing, which the tests prove by counting the rows of every table before and after. Each
test names the rule it proves (RULES.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from registrar import actions, demo, machines, territory
from registrar.conditions import signatures_required
from registrar.db import Database
from registrar.deadlines import KINDS
from registrar.errors import GuardFailed, InvalidPayload, StaleVersion
from registrar.models import (
    Association,
    AuditEvent,
    Base,
    Candidacy,
    Certificate,
    Deadline,
    Decision,
    Election,
    InformationRequest,
    OutboxMessage,
)
from registrar.rules import Rules

from .conftest import ELECTION_DAY, ELECTION_ID, World

HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)


# --- helpers -------------------------------------------------------------------------------


def rows(db: Database) -> dict[str, int]:
    """How many rows each table holds: equal snapshots mean nothing was written."""
    with db.reading() as session:
        return {t.name: session.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables}


def version_of(world: World, candidacy: int) -> int:
    with world.db.reading() as session:
        return session.scalars(select(Candidacy.version).where(Candidacy.id == candidacy)).one()


def resolution(at: dt.datetime, number: str = "R-1", **extra: Any) -> dict[str, Any]:
    return {"number": number, "decided_on": at.date().isoformat(), "reason": ""} | extra


def nominate(world: World, association: int, at: dt.datetime, **decision: Any) -> actions.Outcome:
    day = world.calendar.local(at).date()
    return actions.nominate(
        world.db, ELECTION_ID,
        {"association_id": association, "person": demo.person("Test Nominee", ELECTION_DAY),
         "decision": demo.decision(day - dt.timedelta(days=1), **decision)},
        actor="test:clerk", at=at,
    )  # fmt: skip


def submitted(world: World, candidacy: int, **replace: list[dict[str, Any]]) -> dt.datetime:
    """Bring a candidacy to documents_submitted with demo.papers, replacing the payloads of the named triggers."""
    at = world.walk(candidacy, "medical_check")
    day = world.calendar.local(at).date()
    payloads = [p for p in demo.papers("medical_check", world.calendar, world.rules, day) if p["_trigger"] not in replace]
    payloads += [{"_trigger": trigger, **item} for trigger, items in replace.items() for item in items]
    for payload in payloads:
        at += dt.timedelta(minutes=1)
        world.act(candidacy, payload.pop("_trigger"), payload, at=at)
    at += HOUR
    world.act(candidacy, "submit_documents", {}, at=at)
    return at


def pending(world: World, candidacy: int) -> list[dict[str, Any]]:
    return actions.show_candidacy(world.db, candidacy)["deadlines"]


def assert_deadlines_belong_to_the_state(world: World, candidacy: int) -> None:
    """The deadline invariant: every pending deadline of a candidacy is one its current state keeps open."""
    view = actions.show_candidacy(world.db, candidacy)
    for deadline in view["deadlines"]:
        assert view["state"] in KINDS[deadline["kind"]].open_in, (view["state"], deadline)


# --- payloads and versions -----------------------------------------------------------------


def test_a_bad_payload_is_refused_field_by_field_and_writes_nothing(world: World) -> None:
    """D5/D4 payloads: InvalidPayload.errors maps each bad field to its messages; no row, no event, no outbox."""
    candidacy = world.nominate()
    world.walk(candidacy, "medical_check")
    before = rows(world.db)

    with pytest.raises(InvalidPayload) as refused:
        world.act(candidacy, "record_contribution", {"amount": "4250000", "paid_on": "2029-02-30"})
    assert set(refused.value.errors) == {"amount", "paid_on", "receipt_number"}
    assert refused.value.as_dict()["errors"] == refused.value.errors

    protocol = {"region": "AST", "commission": "TEC", "signed_on": "2029-09-27", "submitted": 10, "valid": 10}
    with pytest.raises(InvalidPayload) as refused:
        world.act(candidacy, "record_signature_protocol", protocol | {"region": "XXX"})
    assert set(refused.value.errors) == {"region"}
    assert "ABA" in str(refused.value.errors["region"])  # the choices come from the rules file
    with pytest.raises(InvalidPayload) as refused:
        world.act(candidacy, "record_signature_protocol", protocol | {"valid": 11})
    assert refused.value.errors == {"valid": ["cannot exceed the signatures submitted"]}

    with pytest.raises(InvalidPayload) as refused:
        actions.nominate(world.db, ELECTION_ID,
                         {"association_id": world.associations[1], "person": {"full_name": ""},
                          "decision": demo.decision(dt.date(2029, 8, 27), members=120, votes_for=111)},
                         actor="test:clerk", at=world.nomination_time)  # fmt: skip
    assert {"full_name", "birth_date", "citizen_by_birth"} <= set(refused.value.errors["person"])
    assert set(refused.value.errors["decision"]) == {"votes_for"}

    assert rows(world.db) == before


def test_a_record_refused_after_validation_writes_nothing_either(world: World) -> None:
    """D5: a second contribution is refused by payload; the first stays the only one and nothing else is written."""
    candidacy = world.nominate()
    at = world.walk(candidacy, "medical_check") + HOUR
    contribution = {"amount": 4_250_000, "paid_on": "2029-09-27", "receipt_number": "P-1"}
    world.act(candidacy, "record_contribution", contribution, at=at)
    before = rows(world.db)

    with pytest.raises(InvalidPayload) as refused:
        world.act(candidacy, "record_contribution", contribution | {"receipt_number": "P-2"}, at=at + HOUR)

    assert refused.value.errors == {"_schema": ["the election contribution is already recorded"]}
    assert rows(world.db) == before


def test_a_stale_version_is_refused_naming_the_current_version_and_writes_nothing(world: World) -> None:
    """Optimistic lock: an officer acting on an old read is told the version to reload, and nothing is written."""
    candidacy = world.nominate()
    read = version_of(world, candidacy)
    world.act(candidacy, "file_declarations", demo.papers("file_declarations", world.calendar, world.rules,
                                                          dt.date(2029, 9, 27))[0], expected_version=read)  # fmt: skip
    before = rows(world.db)

    with pytest.raises(StaleVersion) as refused:
        world.act(candidacy, "refuse", resolution(world.registration_time, grounds=["documents_missing"]),
                  expected_version=read)  # fmt: skip

    assert (refused.value.expected, refused.value.current) == (read, read + 1)
    assert f"version {read + 1}" in str(refused.value)
    assert rows(world.db) == before
    assert world.act(candidacy, "start_medical_check", {}, expected_version=read + 1).state == "medical_check"


def test_the_version_moves_on_with_every_action_even_record_only_ones_at_the_same_instant(world: World) -> None:
    """Every action, internal ones included, moves the version on, so a stale read is always caught."""
    candidacy = world.nominate()
    at = world.registration_time
    day = at.date().isoformat()
    steps: list[tuple[str, dict[str, Any]]] = [
        ("send_information_request", {"organisation": "Halyk Bank", "subject": "accounts"}),
        ("send_information_request", {"organisation": "Kaspi Bank", "subject": "accounts"}),
        ("record_document", {"kind": "consent", "received_on": day, "reference": "consent"}),
        ("record_language_conclusion", {"decided_on": day, "linguists": 7, "fluent": True}),
        ("file_declarations", demo.papers("file_declarations", world.calendar, world.rules, at.date())[0]),
    ]
    versions = [version_of(world, candidacy)]
    for trigger, payload in steps:  # all at the very same instant
        outcome = world.act(candidacy, trigger, payload, at=at, expected_version=versions[-1])
        versions.append(outcome.version)
        assert version_of(world, candidacy) == outcome.version

    assert versions == list(range(1, len(steps) + 2))


# --- nomination ----------------------------------------------------------------------------


def test_n1_a_regional_association_cannot_nominate(world: World) -> None:
    """N1: only national associations nominate; the refusal writes nothing."""
    before = rows(world.db)
    with pytest.raises(GuardFailed) as refused:
        nominate(world, world.regional, world.nomination_time)
    assert [u.rule for u in refused.value.unmet] == ["N1"]
    assert "regional association; only national ones nominate" in refused.value.unmet[0].reason
    assert rows(world.db) == before


def test_n1_an_unknown_association_is_a_field_error(world: World) -> None:
    with pytest.raises(InvalidPayload) as refused:
        nominate(world, 999, world.nomination_time)
    assert set(refused.value.errors) == {"association_id"}


@pytest.mark.parametrize(("votes_for", "accepted"), [(60, False), (61, True)])
def test_n3_the_supreme_body_decides_by_a_majority_of_its_members(world: World, votes_for: int, accepted: bool) -> None:
    """N3: 60 of 120 members is not a majority (though it is one of the 110 present); 61 is."""
    before = rows(world.db)
    if accepted:
        assert (
            nominate(world, world.associations[0], world.nomination_time, members=120, votes_for=votes_for).state == "nominated"
        )
        return
    with pytest.raises(GuardFailed) as refused:
        nominate(world, world.associations[0], world.nomination_time, members=120, votes_for=votes_for)
    assert [(u.rule, u.reason) for u in refused.value.unmet] == [("N3", "60 votes for is not a majority of the 120 members")]
    assert rows(world.db) == before


@pytest.mark.parametrize("leaves_by", ["withdraw", "revoke_nomination"])
def test_n5_one_candidate_per_association_until_the_first_leaves_while_nomination_is_open(world: World, leaves_by: str) -> None:
    """N5/G7: a second nomination is refused; after the first withdrew (or was revoked) it is accepted."""
    association = world.associations[0]
    first = world.nominate(association)
    at = world.nomination_time + HOUR

    with pytest.raises(GuardFailed) as refused:
        nominate(world, association, at)
    assert [u.rule for u in refused.value.unmet] == ["N5"]
    assert "already nominated 1 candidate(s)" in refused.value.unmet[0].reason

    world.act(first, leaves_by, resolution(at), at=at + HOUR)
    second = nominate(world, association, at + 2 * HOUR)
    assert second.state == "nominated"

    with pytest.raises(GuardFailed) as refused:  # ... and the second one counts again
        nominate(world, world.associations[0], at + 3 * HOUR)
    assert [u.rule for u in refused.value.unmet] == ["N5"]


def test_n5_a_replacement_after_nomination_closes_is_refused_with_n2(world: World) -> None:
    """N5/N2: the first candidate withdrew, but nomination has closed: the replacement is refused."""
    first = world.nominate(world.associations[0])
    world.act(first, "withdraw", resolution(world.registration_time), at=world.registration_time)
    closes = world.calendar.nomination_closes
    with pytest.raises(GuardFailed) as refused:
        nominate(world, world.associations[0], closes)
    assert [u.rule for u in refused.value.unmet] == ["N2"]
    assert nominate(world, world.associations[0], closes - SECOND).state == "nominated"


# --- documents and checks ------------------------------------------------------------------


def test_d1_a_declaration_valued_on_the_wrong_date_is_refused(world: World) -> None:
    """D1: declarations are valued as of the first day of the month nomination opened (2029-08-01)."""
    candidacy = world.nominate()
    declarations = demo.papers("file_declarations", world.calendar, world.rules, dt.date(2029, 9, 27))[0]
    declarations["declarations"][1]["valued_as_of"] = "2029-09-01"
    assert declarations["declarations"][1]["filer"] == "spouse"
    before = rows(world.db)

    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, "file_declarations", declarations)

    assert [(u.rule, u.reason) for u in refused.value.unmet] == [
        ("D1", "the spouse's declaration is valued as of 2029-09-01, not 2029-08-01")
    ]
    assert rows(world.db) == before


def test_d1_the_spouse_declares_only_when_there_is_a_spouse(world: World) -> None:
    """D1: a married candidate needs the spouse's declaration; an unmarried one files alone."""
    married, single = world.nominate(), world.nominate(world.associations[1], married=False)
    declarations = demo.papers("file_declarations", world.calendar, world.rules, dt.date(2029, 9, 27))[0]
    alone = {"declarations": declarations["declarations"][:1]}
    with pytest.raises(GuardFailed) as refused:
        world.act(married, "file_declarations", alone)
    assert [(u.rule, u.reason) for u in refused.value.unmet] == [
        ("D1", "the spouse's declaration of assets and liabilities is not filed")
    ]
    assert world.act(single, "file_declarations", alone).state == "declarations_filed"


def test_d2_an_information_request_is_answered_within_4_days_ending_24_00_local(world: World) -> None:
    """D2/T2/T1: sent at 00:30 local on 27 Sep (still 26 Sep in UTC), due at 24:00 local on 1 Oct; the answer cancels it."""
    candidacy = world.nominate()
    sent_at = dt.datetime(2029, 9, 27, 0, 30, tzinfo=world.rules.zone)
    assert sent_at.astimezone(dt.UTC).date() == dt.date(2029, 9, 26)

    first = world.act(candidacy, "send_information_request", {"organisation": "Halyk Bank", "subject": "accounts"}, at=sent_at)
    world.act(candidacy, "send_information_request", {"organisation": "Kaspi Bank", "subject": "deposits"}, at=sent_at + HOUR)

    assert [(d["kind"], d["rule"], d["due_local"]) for d in first.deadlines] == [
        ("information_request_answer", "D2", "2029-10-02T00:00:00+05:00")
    ]
    with world.db.reading() as session:
        halyk, kaspi = session.scalars(select(InformationRequest).order_by(InformationRequest.id)).all()

    answered = world.act(candidacy, "answer_information_request", {"request_id": halyk.id, "answer": "one account"},
                         at=sent_at + 2 * HOUR)  # fmt: skip

    assert len(answered.deadlines) == 1  # Kaspi's is still open; Halyk's was cancelled
    with world.db.reading() as session:
        statuses = dict(
            session.execute(select(Deadline.key, Deadline.status).where(Deadline.kind == "information_request_answer")).all()
        )
    assert sorted(statuses.values()) == ["cancelled", "pending"]
    assert next(k for k, v in statuses.items() if v == "pending").endswith(f":{kaspi.id}")

    with pytest.raises(InvalidPayload) as refused:
        world.act(candidacy, "answer_information_request", {"request_id": halyk.id, "answer": "again"}, at=sent_at + 3 * HOUR)
    assert refused.value.errors == {"request_id": ["this request is already answered"]}
    other = world.nominate(world.associations[1])
    with pytest.raises(InvalidPayload) as refused:
        world.act(other, "answer_information_request", {"request_id": kaspi.id, "answer": "x"}, at=sent_at + 3 * HOUR)
    assert set(refused.value.errors) == {"request_id"}


def test_g6_deadlines_follow_the_state_refusal_appeal_and_court(world: World) -> None:
    """G6/T2: refusing opens the 10-day appeal window; the appeal cancels it and opens the court's 10 days."""
    candidacy = world.nominate()
    refused_at = world.walk(candidacy, "refused")
    assert world.calendar.local(refused_at).date() == dt.date(2029, 9, 27)
    assert [(d["kind"], d["rule"], d["due_local"]) for d in pending(world, candidacy)] == [
        ("appeal_window", "G6", "2029-10-08T00:00:00+05:00")
    ]

    appealed_at = dt.datetime(2029, 10, 2, 23, 0, tzinfo=world.rules.zone)
    outcome = world.act(candidacy, "appeal", {"case_number": "SC-1", "filed_on": "2029-10-02"}, at=appealed_at)

    assert [(d["kind"], d["due_local"]) for d in outcome.deadlines] == [("court_review", "2029-10-13T00:00:00+05:00")]
    with world.db.reading() as session:
        window = session.scalars(select(Deadline).where(Deadline.kind == "appeal_window")).one()
        assert (window.status, window.cancelled_at) == ("cancelled", appealed_at)

    # The refusal came while the declarations were filed: annulled, the candidacy stands there again.
    upheld = world.act(candidacy, "uphold_appeal", resolution(appealed_at), at=appealed_at + HOUR)
    assert (upheld.state, upheld.deadlines) == ("declarations_filed", [])


def test_every_pending_deadline_belongs_to_the_current_state(world: World) -> None:
    """D2, D7, G4, G6: along a long path, each deadline opens with its state and closes when the state is left."""
    candidacy = world.nominate()
    at = world.registration_time
    world.act(candidacy, "send_information_request", {"organisation": "Halyk Bank", "subject": "accounts"}, at=at)
    assert_deadlines_belong_to_the_state(world, candidacy)
    at = submitted(world, candidacy)
    assert [d["kind"] for d in pending(world, candidacy)] == ["information_request_answer", "documents_check"]
    path = [
        ("register", resolution(at), ["information_request_answer", "declaration_verification"]),
        ("cancel_registration", resolution(at, grounds=["false_declaration"]), ["appeal_window"]),
        ("appeal", {"case_number": "SC-7", "filed_on": at.date().isoformat()}, ["court_review"]),
        ("uphold_appeal", resolution(at), ["declaration_verification"]),
        ("withdraw", resolution(at), []),
    ]
    for trigger, payload, kinds in path:
        at += HOUR
        outcome = world.act(candidacy, trigger, payload, at=at)
        assert sorted(d["kind"] for d in outcome.deadlines) == sorted(kinds), trigger
        assert_deadlines_belong_to_the_state(world, candidacy)


def test_g4_verifying_every_declaration_closes_the_verification_deadline(world: World) -> None:
    """G4: the revenue authorities' verification of both declarations ends the 15-day deadline; a false one is announced."""
    candidacy = world.nominate()
    at = world.walk(candidacy, "registered")
    assert [(d["kind"], d["due_local"]) for d in pending(world, candidacy)] == [
        ("declaration_verification", "2029-10-13T00:00:00+05:00")
    ]
    first = world.act(candidacy, "record_declaration_verification",
                      {"filer": "candidate", "result": "confirmed", "verified_on": "2029-10-01"}, at=at + HOUR)  # fmt: skip
    assert [d["kind"] for d in first.deadlines] == ["declaration_verification"]
    second = world.act(candidacy, "record_declaration_verification",
                       {"filer": "spouse", "result": "false", "verified_on": "2029-10-01"}, at=at + 2 * HOUR)  # fmt: skip
    assert second.deadlines == []
    with world.db.reading() as session:
        topics = set(session.scalars(select(OutboxMessage.topic).where(OutboxMessage.event_seq == second.event_seq)))
    assert topics == {"candidacy.false_declaration"}


@pytest.mark.parametrize(
    ("paid_on", "amount", "reason"),
    [
        ("2029-09-27", 4_250_000, None),
        ("2029-09-27", 4_249_999, "4,249,999 tenge paid on 2029-09-27, 4,250,000 due (50 x 85,000)"),
        ("2023-12-31", 3_500_000, None),
        ("2024-01-01", 3_500_000, "3,500,000 tenge paid on 2024-01-01, 4,250,000 due (50 x 85,000)"),
    ],
)
def test_d5_the_contribution_is_50_minimum_wages_in_force_on_the_day_it_is_paid(
    world: World, paid_on: str, amount: int, reason: str | None
) -> None:
    """D5: 50 x the minimum wage in force on the paid date; short by one tenge is refused with both amounts."""
    candidacy = world.nominate()
    at = submitted(world, candidacy, record_contribution=[{"amount": amount, "paid_on": paid_on, "receipt_number": "P-1"}])
    if reason is None:
        assert world.act(candidacy, "register", resolution(at), at=at + HOUR).state == "registered"
        return
    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, "register", resolution(at), at=at + HOUR)
    assert [(u.rule, u.reason) for u in refused.value.unmet] == [("D5", reason)]


def _protocols(counts: list[int]) -> list[dict[str, Any]]:
    codes = ["AST", "ALA", "SHY", "ABA", "AKM", "AKT", "ALM", "ATY", "VOS", "ZHA", "ZHE", "ZAP", "KAR", "KUS", "KZY"]
    return [{"region": code, "commission": f"TEC {code}", "signed_on": "2029-09-27", "submitted": valid + 100, "valid": valid}
            for code, valid in zip(codes, counts, strict=False)]  # fmt: skip


@pytest.mark.parametrize(
    ("counts", "unmet"),
    [
        pytest.param([8643] * 13 + [8642], [], id="exactly-1%-rounded-up-in-14-regions"),
        pytest.param([8643] * 13 + [8641], ["121,000 valid signatures, 121,001 needed (1% of 12,100,001 voters)"],
                     id="one-signature-short"),
        pytest.param([9000] * 13 + [4322], [], id="14th-region-at-the-even-split-floor"),
        pytest.param([9000] * 13 + [4321], ["13 regions hold at least 4,322 valid signatures each, 14 needed"],
                     id="14th-region-one-below-the-floor"),
        pytest.param([9400] * 13, ["13 regions hold at least 4,322 valid signatures each, 14 needed"],
                     id="enough-signatures-in-too-few-regions"),
    ],
)  # fmt: skip
def test_d4_signatures_1_percent_rounded_up_evenly_over_two_thirds_of_the_regions(
    world: World, counts: list[int], unmet: list[str]
) -> None:
    """D4: 12,100,001 voters need 121,001 signatures (1% rounded up) in 14 of the 20 regions (2/3 rounded up),
    each holding at least half of an even split (ceil(121,001 / 14 / 2) = 4,322)."""
    assert signatures_required(world.rules, 12_100_001) == (121_001, 14, 4_322)
    actions.record_voter_count(world.db, ELECTION_ID, {"registered_voters": 12_100_001, "voters_counted_on": "2029-08-24"},
                               actor="test:commission", at=world.registration_time)  # fmt: skip
    candidacy = world.nominate()
    at = submitted(world, candidacy, record_signature_protocol=_protocols(counts))
    if not unmet:
        assert world.act(candidacy, "register", resolution(at), at=at + HOUR).state == "registered"
        return
    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, "register", resolution(at), at=at + HOUR)
    assert [(u.rule, u.reason) for u in refused.value.unmet] == [("D4", reason) for reason in unmet]


# --- registration certificates -------------------------------------------------------------


def test_g2_certificates_are_numbered_in_order_revoked_on_cancellation_and_reissued_on_appeal(world: World) -> None:
    """G2/G3/G6/G7: numbers are unique and sequential; a cancelled registration loses its certificate;
    the court's reinstatement issues a new one; a withdrawal revokes it."""
    first, second, third = (world.nominate(a) for a in world.associations[:3])
    at = max(world.walk(c, "registered") for c in (first, second, third))
    certificate = {c: actions.show_candidacy(world.db, c)["certificate"] for c in (first, second, third)}
    assert certificate == {first: "KZ-2029-001", second: "KZ-2029-002", third: "KZ-2029-003"}

    world.act(second, "cancel_registration", resolution(at, grounds=["official_position_used"]), at=at + HOUR)
    assert actions.show_candidacy(world.db, second)["certificate"] is None
    world.act(second, "appeal", {"case_number": "SC-2", "filed_on": at.date().isoformat()}, at=at + 2 * HOUR)
    world.act(second, "uphold_appeal", resolution(at), at=at + 3 * HOUR)
    assert actions.show_candidacy(world.db, second)["certificate"] == "KZ-2029-004"

    world.act(third, "withdraw", resolution(at), at=at + 4 * HOUR)
    assert actions.show_candidacy(world.db, third)["certificate"] is None

    with world.db.reading() as session:
        issued = session.execute(select(Certificate.number, Certificate.candidacy_id, Certificate.revoked_at)
                                 .order_by(Certificate.id)).all()  # fmt: skip
    assert [(n, c, r is not None) for n, c, r in issued] == [
        ("KZ-2029-001", first, False),
        ("KZ-2029-002", second, True),
        ("KZ-2029-003", third, True),
        ("KZ-2029-004", second, False),
    ]


# --- the calendar: V1 and N7 ---------------------------------------------------------------


def test_v1_a_resolution_sets_a_milestone_and_the_gates_follow_it(world: World) -> None:
    """V1: the resolution is recorded with its number and date, the election's cut-off row moves, and
    a registration decision after the old close but before the new one is accepted."""
    candidacy = world.nominate()
    world.walk(candidacy, "documents_submitted")
    calendar = actions.set_milestone(
        world.db, ELECTION_ID,
        {"milestone": "registration_closes", "value": "2029-10-20T18:00:00", "number": "CEC-17/2029", "adopted_on": "2029-09-20"},
        actor="test:commission", at=world.registration_time,
    )  # fmt: skip

    assert calendar.registration_closes.isoformat() == "2029-10-20T18:00:00+05:00"  # naive means local (T1)
    set_by = calendar.set_by("registration_closes")
    assert set_by is not None and (set_by.number, set_by.adopted_on) == ("CEC-17/2029", dt.date(2029, 9, 20))
    with world.db.reading() as session:
        election = session.get(Election, ELECTION_ID)
        assert election is not None
        assert [(r.milestone, r.number) for r in election.resolutions] == [("registration_closes", "CEC-17/2029")]
        cutoffs = session.execute(select(Deadline.status, Deadline.due_local, Deadline.computed_from)
                                  .where(Deadline.kind == "registration_closes").order_by(Deadline.id)).all()  # fmt: skip
    assert [tuple(c) for c in cutoffs] == [
        ("cancelled", "2029-10-16T18:00:00+05:00", "rule G1"),
        ("pending", "2029-10-20T18:00:00+05:00", "CEC resolution CEC-17/2029 of 2029-09-20"),
    ]

    after_old_close = dt.datetime(2029, 10, 18, 12, 0, tzinfo=world.rules.zone)
    assert world.act(candidacy, "register", resolution(after_old_close), at=after_old_close).state == "registered"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"milestone": "registration_closes", "value": "2029-11-26T18:00:00+05:00"}, "value", id="after-voting"),
        pytest.param({"milestone": "nomination_opens", "value": "2029-08-20T00:00:00+05:00"}, "value", id="before-announcement"),
        pytest.param({"milestone": "registration_closes", "value": "next tuesday"}, "value", id="not-a-date"),
        pytest.param({"milestone": "declarations_as_of", "value": "2029-08-01T00:00:00"}, "value", id="datetime-for-a-date"),
        pytest.param({"milestone": "election_day", "value": "2029-12-01T00:00:00"}, "milestone", id="not-settable"),
    ],
)
def test_v1_an_impossible_resolution_is_refused_by_field_and_writes_nothing(
    world: World, payload: dict[str, Any], field: str
) -> None:
    """V1: the calendar must still hold together; the refusal names the field and records nothing."""
    before = rows(world.db)
    with pytest.raises(InvalidPayload) as refused:
        actions.set_milestone(world.db, ELECTION_ID, payload | {"number": "CEC-1", "adopted_on": "2029-09-01"},
                              actor="test:commission", at=world.registration_time)  # fmt: skip
    assert set(refused.value.errors) == {field}
    assert rows(world.db) == before


def _extend(world: World, days: int, at: dt.datetime) -> Any:
    payload = {"days": days, "number": "CEC-N7", "adopted_on": at.date().isoformat()}
    return actions.extend_nomination(world.db, ELECTION_ID, payload, actor="test:commission", at=at)


def test_n7_no_extension_while_registration_is_open(world: World) -> None:
    """N7: the extension follows the close of registration, not before it."""
    before = rows(world.db)
    with pytest.raises(GuardFailed) as refused:
        _extend(world, 10, world.calendar.registration_closes - SECOND)
    assert [(u.rule, u.reason) for u in refused.value.unmet] == [("N7", "registration is open until 2029-10-16 18:00 +0500")]
    assert rows(world.db) == before


def test_n7_no_extension_with_two_registered_nor_beyond_20_days(world: World) -> None:
    """N7: two registered candidates make the election; and no extension is longer than 20 days."""
    for association in world.associations[:2]:
        world.walk(world.nominate(association), "registered")
    after_close = world.calendar.registration_closes + HOUR
    before = rows(world.db)
    with pytest.raises(GuardFailed) as refused:
        _extend(world, 21, after_close)
    assert [(u.rule, u.reason) for u in refused.value.unmet] == [
        ("N7", "at most 20 days, 21 asked"),
        ("N7", "2 candidates are registered, the extension is for fewer than 2"),
    ]
    assert rows(world.db) == before


def test_n7_with_one_registered_the_nomination_reopens_for_up_to_20_days(world: World) -> None:
    """N7: registration closed with one candidate; the CEC extends by 20 days: both cut-offs move, the election is
    back in registration, and an association that had not nominated may nominate until the new close."""
    world.walk(world.nominate(world.associations[0]), "registered")
    old = world.calendar
    at = old.registration_closes + HOUR
    with pytest.raises(GuardFailed):  # nomination is closed before the extension
        nominate(world, world.associations[1], at)

    new = _extend(world, 20, at + HOUR)

    assert new.registration_closes == old.registration_closes + dt.timedelta(days=20)
    assert new.nomination_closes > old.nomination_closes
    assert new.nomination_closes > at + HOUR  # the period is really reopened
    assert new.nomination_closes <= new.registration_closes
    assert machines.phase_at(new, at + 2 * HOUR) == "registration"
    with world.db.reading() as session:
        election = session.get(Election, ELECTION_ID)
        assert election is not None and election.phase == "registration"
        assert {r.milestone for r in election.resolutions} == {"nomination_closes", "registration_closes"}

    late = nominate(world, world.associations[1], at + 2 * HOUR)
    assert late.state == "nominated"
    with pytest.raises(GuardFailed) as refused:
        nominate(world, world.associations[2], new.nomination_closes)
    assert [u.rule for u in refused.value.unmet] == ["N2"]


# --- outbox and associations ---------------------------------------------------------------


def test_the_outbox_has_one_message_per_recipient_per_event_with_unique_keys(world: World) -> None:
    """Every candidacy event notifies the CEC, the association and the candidate (and an asked organisation, D2) once."""
    candidacy = world.nominate()
    asked = world.act(candidacy, "send_information_request", {"organisation": "Halyk Bank", "subject": "accounts"})
    world.walk(candidacy, "registered")
    with world.db.reading() as session:
        messages = session.execute(select(OutboxMessage.event_seq, OutboxMessage.recipient, OutboxMessage.delivery_key,
                                          OutboxMessage.topic, OutboxMessage.payload)).all()  # fmt: skip
        events = session.execute(select(AuditEvent.seq, AuditEvent.action)
                                 .where(AuditEvent.subject_type == "candidacy")).all()  # fmt: skip
        association = session.scalars(select(Candidacy.association_id).where(Candidacy.id == candidacy)).one()

    keys = [m.delivery_key for m in messages]
    assert len(keys) == len(set(keys))
    assert len({(m.event_seq, m.recipient) for m in messages}) == len(messages)
    base = {"cec", f"association:{association}", f"candidate:{candidacy}"}
    for seq, action in events:
        mine = [m for m in messages if m.event_seq == seq]
        expected = base | ({"organisation:Halyk Bank"} if seq == asked.event_seq else set())
        assert {m.recipient for m in mine} == expected, action
        assert len(mine) == len(expected)
        assert all(m.delivery_key == f"{seq}:{m.recipient}" and m.topic == f"candidacy.{action}" for m in mine)
        assert all(m.payload["candidacy"] == candidacy and m.payload["trigger"] == action for m in mine)
    assert {m.event_seq for m in messages} == {seq for seq, _ in events}


def test_association_rename_keeps_the_name_in_force_at_nomination(world: World) -> None:
    """N1: a party renamed after nominating keeps its old name on that nomination; the history keeps both names."""
    early = world.nominate(world.associations[0])  # nominated on 2029-08-28
    actions.rename_association(world.db, world.associations[0], {"name": "Renamed Association", "valid_from": "2029-09-01"},
                               actor="test:ministry", at=world.registration_time)  # fmt: skip
    actions.rename_association(world.db, world.associations[1], {"name": "New Front", "valid_from": "2029-08-01"},
                               actor="test:ministry", at=world.registration_time)  # fmt: skip
    later = world.nominate(world.associations[1])

    assert actions.show_candidacy(world.db, early)["association"] == "National Association 1"
    assert actions.show_candidacy(world.db, later)["association"] == "New Front"
    with world.db.reading() as session:
        association = session.get(Association, world.associations[0])
        assert association is not None
        assert [(n.name, n.valid_from.isoformat()) for n in association.names] == [
            ("National Association 1", "2010-01-01"), ("Renamed Association", "2029-09-01")]  # fmt: skip
        assert association.name_on(dt.date(2029, 8, 31)) == "National Association 1"
        assert association.name_on(dt.date(2029, 9, 1)) == association.name == "Renamed Association"

    before = rows(world.db)
    with pytest.raises(InvalidPayload) as refused:
        actions.rename_association(world.db, world.associations[0], {"name": "Again", "valid_from": "2029-09-01"},
                                   actor="test:ministry", at=world.registration_time)  # fmt: skip
    assert refused.value.errors == {"valid_from": ["must be after 2029-09-01"]}
    assert rows(world.db) == before


def test_g3_a_refusal_records_the_decision_with_its_grounds(world: World) -> None:
    """G3: the refusal's grounds come from the rules (G3, G5); an unknown ground is a field error."""
    candidacy = world.nominate()
    at = world.walk(candidacy, "declarations_filed") + HOUR
    with pytest.raises(InvalidPayload) as refused:
        world.act(candidacy, "refuse", resolution(at, grounds=["bad_haircut"]), at=at)
    assert set(refused.value.errors) == {"grounds"}
    world.act(candidacy, "refuse", resolution(at, grounds=["campaign_before_registration"], reason="rally on 20 Sep"), at=at)
    with world.db.reading() as session:
        decision = session.scalars(select(Decision).where(Decision.candidacy_id == candidacy)).one()
    assert (decision.kind, decision.body, decision.grounds, decision.reason) == (
        "refuse",
        "CEC",
        ["campaign_before_registration"],
        "rally on 20 Sep",
    )


def test_d4_an_election_announced_without_a_voter_count_takes_the_territorial_units_on_their_reference_date(
    db: Database, rules: Rules
) -> None:
    """D4: the 1% is taken of the voters on the reference date; without a count in the announcement, the
    registers of the territorial units (config/territory.toml) give it, with their date."""
    units = territory.current()
    actions.announce_election(db, {"id": "kz-2031", "title": "2031", "kind": "presidential", "announced_on": "2031-01-10",
                                   "election_day": "2031-04-20"}, actor="test:clerk",
                              at=dt.datetime(2031, 1, 10, 10, tzinfo=rules.zone))  # fmt: skip
    with db.reading() as session:
        election = session.get(Election, "kz-2031")
        assert election is not None
        assert (election.registered_voters, election.voters_counted_on) == (units.voters, units.reference_date)
    assert units.voters == sum(unit.voters for unit in units.units)
    assert signatures_required(rules, units.voters)[0] == -(-units.voters // 100)  # 1%, rounded up
