"""The deadline sweep: each effect once, as of its due time, whenever and however often it runs.

Every test runs on a SQLite file and on the real PostgreSQL (the ``db`` fixture); the
concurrent-sweepers test needs PostgreSQL's row locks and runs there only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import func, select

from registrar import actions, sweep
from registrar.cli import main
from registrar.db import Database
from registrar.models import AuditEvent, Candidacy, Deadline, Election, InformationRequest, OutboxMessage
from registrar.settings import Settings

from .conftest import World, build_world
from .test_concurrency import at_once

SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


# --- helpers -------------------------------------------------------------------------------


def deadline(world: World, kind: str, subject_id: int | str, status: str = "pending") -> Deadline:
    with world.db.reading() as session:
        rows = session.scalars(
            select(Deadline).where(Deadline.kind == kind, Deadline.subject_id == str(subject_id), Deadline.status == status)
        ).all()
    assert len(rows) == 1, f"{len(rows)} {status} {kind} deadlines for {subject_id}"
    return rows[0]


def events_for(db: Database, key: str, *, reminders: bool = False) -> list[AuditEvent]:
    """The audit events a deadline caused (their payload names its key); reminders only if asked."""
    with db.reading() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        return [e for e in events if e.payload.get("deadline") == key and (reminders or e.action != "deadline.reminder")]


def outbox_for(db: Database, seq: int) -> list[OutboxMessage]:
    with db.reading() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.event_seq == seq).order_by(OutboxMessage.id)))


def state_of(world: World, candidacy: int) -> str:
    with world.db.reading() as session:
        row = session.get(Candidacy, candidacy)
        assert row is not None
        return row.state


def ask(world: World, candidacy: int, at: dt.datetime, organisation: str = "Halyk Bank") -> int:
    world.act(candidacy, "send_information_request", {"organisation": organisation, "subject": "accounts"}, at=at)
    with world.db.reading() as session:
        return max(session.scalars(select(InformationRequest.id).where(InformationRequest.candidacy_id == candidacy)))


# --- D2: four days to answer -----------------------------------------------------------------


def test_an_unanswered_information_request_falls_due_once_at_its_due_time_d2(world: World) -> None:
    """D2: 4 days after the request, unanswered: the CEC and the organisation are told, as of the due time."""
    candidacy = world.nominate()
    sent = world.registration_time
    ask(world, candidacy, sent, "Halyk Bank")
    row = deadline(world, "information_request_answer", candidacy)

    assert sweep.sweep(world.db, row.due_at - SECOND).fired["information_request_answer"] == 0
    assert events_for(world.db, row.key) == []

    late = row.due_at + 3 * HOUR  # the sweep ran late: the effect still takes place at the due time
    report = sweep.sweep(world.db, late)
    assert report.fired["information_request_answer"] == 1
    fired = deadline(world, "information_request_answer", candidacy, status="fired")
    assert fired.fired_at == late and fired.outcome == "notified"
    [event] = events_for(world.db, row.key)
    assert (event.action, event.at, event.actor) == ("deadline.information_request_answer", row.due_at, sweep.ACTOR)
    assert event.payload["rule"] == "D2"
    told = {m.recipient: m for m in outbox_for(world.db, event.seq)}
    assert set(told) == {"cec", "organisation:Halyk Bank"}
    assert told["cec"].topic == "deadline.information_request_answer"
    assert told["cec"].payload["due_local"] == row.due_local

    # The candidacy page shows it.
    view = actions.show_candidacy(world.db, candidacy, at=late)
    assert [(d["kind"], d["rule"], d["outcome"]) for d in view["lapsed"]] == [("information_request_answer", "D2", "notified")]

    # Sweeping again, later, changes nothing.
    assert sweep.sweep(world.db, late + DAY).fired["information_request_answer"] == 0
    assert len(events_for(world.db, row.key)) == 1


def test_an_answer_cancels_the_d2_deadline_and_a_cancelled_row_never_fires(world: World) -> None:
    candidacy = world.nominate()
    request = ask(world, candidacy, world.registration_time)
    row = deadline(world, "information_request_answer", candidacy)
    world.act(candidacy, "answer_information_request", {"request_id": request, "answer": "one account"},
              at=world.registration_time + DAY)  # fmt: skip
    assert deadline(world, "information_request_answer", candidacy, status="cancelled").key == row.key

    sweep.sweep(world.db, row.due_at + DAY)
    assert events_for(world.db, row.key) == []
    assert deadline(world, "information_request_answer", candidacy, status="cancelled").fired_at is None


# --- G6: the appeal window and the court's ten days ------------------------------------------


def test_without_an_appeal_the_refusal_becomes_final_when_the_window_lapses_g6(world: World) -> None:
    candidacy = world.nominate()
    at = world.walk(candidacy, "refused")
    row = deadline(world, "appeal_window", candidacy)
    assert row.due_at > at

    sweep.sweep(world.db, row.due_at - SECOND)
    assert state_of(world, candidacy) == "refused"
    sweep.sweep(world.db, row.due_at + 5 * DAY)
    assert state_of(world, candidacy) == "refused_final"
    [event] = events_for(world.db, row.key)
    assert (event.action, event.from_state, event.to_state) == ("close_appeal_window", "refused", "refused_final")
    assert event.at == row.due_at
    assert deadline(world, "appeal_window", candidacy, status="fired").outcome == "refused -> refused_final"
    assert {m.recipient for m in outbox_for(world.db, event.seq)} >= {"cec", f"candidate:{candidacy}"}


def test_an_appeal_in_time_cancels_the_window_and_the_courts_ten_days_are_flagged_g6(world: World) -> None:
    candidacy = world.nominate()
    at = world.walk(candidacy, "appealed")
    window = deadline(world, "appeal_window", candidacy, status="cancelled")
    court = deadline(world, "court_review", candidacy)
    assert court.due_at > at

    sweep.sweep(world.db, window.due_at + SECOND)
    assert state_of(world, candidacy) == "appealed"
    assert events_for(world.db, window.key) == []

    sweep.sweep(world.db, court.due_at)
    assert state_of(world, candidacy) == "appealed"  # the court decides; the sweep only flags it
    [event] = events_for(world.db, court.key)
    assert (event.action, event.payload["rule"], event.at) == ("deadline.court_review", "G6", court.due_at)


def test_a_deadline_whose_state_is_gone_is_recorded_as_skipped_not_retried(world: World) -> None:
    """The guarded state change: the candidacy left the state the deadline acts on."""
    candidacy = world.nominate()
    world.walk(candidacy, "refused")
    row = deadline(world, "appeal_window", candidacy)
    with world.db.transaction() as session:  # as if a state change had not cancelled it
        session.get(Candidacy, candidacy).state = "withdrawn"  # type: ignore[union-attr]
    report = sweep.sweep(world.db, row.due_at)
    assert report.outcomes["skipped"] == 1
    fired = deadline(world, "appeal_window", candidacy, status="fired")
    assert fired.outcome == "skipped: 'close_appeal_window' is not allowed while the candidacy is 'withdrawn'"
    assert events_for(world.db, row.key) == []
    assert sweep.sweep(world.db, row.due_at + DAY).outcomes["skipped"] == 0


# --- G4: fifteen days to verify the declarations ---------------------------------------------


def test_registration_without_a_verification_in_fifteen_days_is_escalated_g4(world: World) -> None:
    verified, unverified = world.nominate(world.associations[0]), world.nominate(world.associations[1])
    at = max(world.walk(verified, "registered"), world.walk(unverified, "registered"))
    day = world.calendar.local(at + HOUR).date().isoformat()
    for filer in world.rules.D1.filers:
        world.act(verified, "record_declaration_verification",
                  {"filer": filer, "result": "confirmed", "verified_on": day}, at=at + HOUR)  # fmt: skip
    cancelled = deadline(world, "declaration_verification", verified, status="cancelled")
    row = deadline(world, "declaration_verification", unverified)
    assert row.due_at - world.calendar.local(at).replace(hour=0) >= dt.timedelta(days=15)

    sweep.sweep(world.db, row.due_at)
    [event] = events_for(world.db, row.key)
    assert (event.action, event.payload["rule"]) == ("deadline.declaration_verification", "G4")
    assert "cec" in {m.recipient for m in outbox_for(world.db, event.seq)}
    assert events_for(world.db, cancelled.key) == []
    assert state_of(world, unverified) == "registered"


# --- G1 / N2: the 18:00 cut-offs ------------------------------------------------------------


def test_registration_closes_at_1800_and_what_is_incomplete_is_refused_g1_g3_n7(world: World) -> None:
    """At 18:00:00 local (not a second before) candidacies still preparing are refused on G3, with an
    appeal window; those with complete documents await the CEC; fewer than two registered: N7."""
    closes = world.calendar.registration_closes
    assert world.calendar.local(closes).strftime("%H:%M:%S") == "18:00:00"
    preparing = world.nominate(world.associations[0])
    world.walk(preparing, "medical_check")
    submitted = world.nominate(world.associations[1])
    world.walk(submitted, "documents_submitted")
    registered = world.nominate(world.associations[2])
    world.walk(registered, "registered")
    row = deadline(world, "registration_closes", "kz-2029")

    sweep.sweep(world.db, closes - SECOND)
    assert state_of(world, preparing) == "medical_check"
    assert events_for(world.db, row.key) == []

    report = sweep.sweep(world.db, closes)
    assert report.fired["registration_closes"] == 1
    assert (state_of(world, preparing), state_of(world, submitted), state_of(world, registered)) == (
        "refused", "documents_submitted", "registered")  # fmt: skip
    events = {e.action: e for e in events_for(world.db, row.key)}
    assert set(events) == {"deadline.registration_closes", "refuse_incomplete", "election.extension_possible"}
    refusal = events["refuse_incomplete"]
    assert (refusal.subject_id, refusal.from_state, refusal.to_state) == (str(preparing), "medical_check", "refused")
    assert refusal.at == closes
    assert refusal.payload["rule"] == "G3"
    assert events["election.extension_possible"].payload["registered"] == 1
    window = deadline(world, "appeal_window", preparing)
    assert window.due_at > closes and str(closes.astimezone(dt.UTC).isoformat()) in window.key
    with world.db.reading() as session:
        assert session.get(Election, "kz-2029").phase == "campaign"  # type: ignore[union-attr]
    assert "cec" in {m.recipient for m in outbox_for(world.db, events["election.extension_possible"].seq)}


def test_after_a_long_outage_every_overdue_deadline_fires_once_in_due_order(world: World) -> None:
    """Down from before registration closed until after the appeal windows lapsed: one sweep
    refuses at 18:00, then makes the refusals final when their windows lapse, all as of their due times."""
    candidacy = world.nominate()
    world.walk(candidacy, "declarations_filed")
    closes = world.calendar.registration_closes
    back = closes + (world.rules.G6.appeal_days + 3) * DAY

    report = sweep.sweep(world.db, back)
    assert report.fired["registration_closes"] == 1 and report.fired["appeal_window"] == 1
    assert state_of(world, candidacy) == "refused_final"
    with world.db.reading() as session:
        fired = session.execute(
            select(Deadline.due_at, Deadline.kind).where(Deadline.status == "fired").order_by(Deadline.fired_at, Deadline.id)
        ).all()
        events = session.scalars(select(AuditEvent).where(AuditEvent.actor == sweep.ACTOR).order_by(AuditEvent.seq)).all()
    assert [e.at for e in events] == sorted(e.at for e in events)  # the chain records them in due order
    assert {kind for _, kind in fired} >= {"nomination_closes", "registration_closes", "appeal_window"}
    key_counts = Counter(e.payload["deadline"] for e in events if e.action.startswith("deadline."))
    assert max(key_counts.values()) == 1
    assert sweep.sweep(world.db, back + DAY).total == 0


def test_a_deadline_an_earlier_effect_cancelled_does_not_fire_in_the_same_batch(world: World) -> None:
    """The refusal at 18:00 closes the candidacy's D2 request due later; a late sweep takes both
    in one batch, and the request must not be reported overdue for a candidacy already refused."""
    candidacy = world.nominate()
    closes = world.calendar.registration_closes
    ask(world, candidacy, closes - DAY)  # due three days after the close
    request = deadline(world, "information_request_answer", candidacy)
    assert request.due_at > closes

    report = sweep.sweep(world.db, request.due_at + HOUR, batch=1000)
    assert state_of(world, candidacy) == "refused"
    assert report.fired["information_request_answer"] == 0
    assert deadline(world, "information_request_answer", candidacy, status="cancelled").key == request.key
    assert events_for(world.db, request.key) == []


def test_the_sweep_on_the_wall_clock_refuses_from_1800_sharp(world: World) -> None:
    """time-machine moves the clock the CLI's default --now reads (Asia/Almaty)."""
    candidacy = world.nominate()
    closes = world.calendar.registration_closes
    runner = CliRunner()
    url = str(world.db.engine.url.render_as_string(hide_password=False))
    with time_machine.travel(closes - SECOND, tick=False):
        result = runner.invoke(main, ["--database", url, "deadlines", "sweep"])
        assert result.exit_code == 0, result.output
        assert state_of(world, candidacy) == "nominated"
    with time_machine.travel(closes, tick=False):
        result = runner.invoke(main, ["--database", url, "deadlines", "sweep"])
        assert result.exit_code == 0, result.output
        assert "registration_closes 1" in result.output
    assert state_of(world, candidacy) == "refused"


# --- reminders ------------------------------------------------------------------------------


def test_reminders_go_out_24_and_2_hours_before_once_each(world: World) -> None:
    candidacy = world.nominate()
    ask(world, candidacy, world.registration_time)
    row = deadline(world, "information_request_answer", candidacy)
    settings = Settings(reminder_hours=(24, 2), reminder_hours_by_kind={})

    def reminders() -> list[AuditEvent]:
        return [e for e in events_for(world.db, row.key, reminders=True) if e.action == "deadline.reminder"]

    sweep.remind(world.db, row.due_at - 25 * HOUR, settings)
    assert reminders() == []
    sweep.remind(world.db, row.due_at - 24 * HOUR, settings)
    sweep.remind(world.db, row.due_at - 23 * HOUR, settings)
    assert [e.payload["lead_hours"] for e in reminders()] == [24]
    sweep.remind(world.db, row.due_at - 2 * HOUR, settings)
    sweep.remind(world.db, row.due_at - HOUR, settings)
    assert [e.payload["lead_hours"] for e in reminders()] == [24, 2]
    last = reminders()[-1]
    assert {m.topic for m in outbox_for(world.db, last.seq)} == {"deadline.reminder"}
    assert {m.recipient for m in outbox_for(world.db, last.seq)} == {"cec", "organisation:Halyk Bank"}


def test_after_a_gap_only_the_latest_reminder_is_sent(world: World) -> None:
    candidacy = world.nominate()
    ask(world, candidacy, world.registration_time)
    row = deadline(world, "information_request_answer", candidacy)
    sweep.remind(world.db, row.due_at - HOUR, Settings(reminder_hours=(24, 2)))
    assert [e.payload["lead_hours"] for e in events_for(world.db, row.key, reminders=True)] == [2]


# --- many at once -----------------------------------------------------------------------------


def _requests(db: Database, candidacy: int, count: int, due: dt.datetime) -> list[str]:
    """``count`` unanswered information requests, their D2 deadlines all due at ``due``."""
    keys = []
    with db.transaction() as session:
        for n in range(count):
            request = InformationRequest(candidacy_id=candidacy, organisation=f"Bank {n}", subject="accounts",
                                         sent_at=due - 4 * DAY)  # fmt: skip
            session.add(request)
            session.flush()
            key = f"candidacy:{candidacy}:information_request_answer:{(due - 4 * DAY).isoformat()}:{request.id}"
            session.add(Deadline(key=key, subject_type="candidacy", subject_id=str(candidacy), kind="information_request_answer",
                                 rule="D2", due_at=due, due_local=due.isoformat(), computed_from="test",
                                 created_at=due - 4 * DAY))  # fmt: skip
            keys.append(key)
    return keys


def test_a_burst_is_fired_in_batches_each_once(world: World) -> None:
    candidacy = world.nominate()
    due = world.registration_time + DAY
    keys = _requests(world.db, candidacy, 120, due)
    report = sweep.sweep(world.db, due, batch=25)
    assert report.fired["information_request_answer"] == 120
    assert report.batches >= 5
    with world.db.reading() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.information_request_answer")).all()
        told = select(func.count(OutboxMessage.id)).where(OutboxMessage.topic == "deadline.information_request_answer")
        outbox = session.scalar(told)
    assert sorted(e.payload["deadline"] for e in events) == sorted(keys)
    assert outbox == 240  # the CEC and the organisation, for each


def test_a_notice_writes_what_the_generic_append_would_whatever_its_text(world: World) -> None:
    """The sweep writes a notice's event and messages as text made by hand (audit.draft, the
    outbox's COPY): quotes, tabs, backslashes, newlines and Kazakh letters in a key, a moment and
    an organisation read back as the dicts the generic path would store, and the chain verifies."""
    from registrar import audit

    candidacy = world.nominate()
    due = world.registration_time + DAY
    awkward = 'Қазақ "банкі"\tтаб\\кері\nжол'
    with world.db.transaction() as session:
        request = InformationRequest(candidacy_id=candidacy, organisation=awkward, subject="accounts", sent_at=due - 4 * DAY)
        session.add(request)
        session.flush()
        key = f"candidacy:{candidacy}:information_request_answer:{awkward}:{request.id}"
        session.add(Deadline(key=key, subject_type="candidacy", subject_id=str(candidacy), kind="information_request_answer",
                             rule="D2", due_at=due, due_local=f"{awkward} 18:00", computed_from="test",
                             created_at=due - 4 * DAY))  # fmt: skip
    assert sweep.sweep(world.db, due).fired["information_request_answer"] == 1
    row = deadline(world, "information_request_answer", candidacy, status="fired")
    [event] = events_for(world.db, key)
    says = sweep.effect_says("information_request_answer", world.rules)
    assert event.payload == {"deadline": key, "rule": "D2", "says": says, "due_local": row.due_local}
    due_row = sweep.Due(row.id, row.key, row.kind, row.rule, row.subject_type, row.subject_id, row.due_at, row.due_local)
    told = outbox_for(world.db, event.seq)
    assert [(m.delivery_key, m.recipient, m.payload) for m in told] == [
        (f"{event.seq}:cec", "cec", sweep._message(due_row)),
        (f"{event.seq}:organisation:{awkward}", f"organisation:{awkward}", sweep._message(due_row)),
    ]
    with world.db.reading() as session:
        assert audit.verify(session).ok


def test_a_drafted_event_dated_by_its_caller_keeps_the_moment_it_was_recorded() -> None:
    """A payload given as text is still dated: inside audit.dated_by_caller it gains recorded_at."""
    from registrar import audit

    at = dt.datetime(2029, 11, 20, 13, 0, tzinfo=dt.UTC)
    recorded = dt.datetime(2029, 11, 21, 9, 0, tzinfo=dt.UTC)
    entry = audit.Entry(at, sweep.ACTOR, "deadline.test", "candidacy", "7", {"deadline": "k"})
    assert audit.draft(entry, '{"deadline":"k"}') == audit.draft(entry)
    with audit.dated_by_caller(recorded):
        drafted = audit.draft(entry, '{"deadline":"k"}')
        assert drafted == audit.draft(entry)
    assert drafted.payload == audit.canonical({"deadline": "k", audit.RECORDED_AT: recorded})


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_two_sweepers_at_once_apply_each_deadline_once(world: World, pg_url: str) -> None:
    candidacy = world.nominate()
    due = world.registration_time + DAY
    keys = _requests(world.db, candidacy, 400, due)
    sweepers = [Database(pg_url) for _ in range(3)]  # each its own engine, as separate processes have
    try:
        outcomes = at_once(lambda n: sweep.sweep(sweepers[n], due + HOUR, batch=20), threads=len(sweepers))
    finally:
        for database in sweepers:
            database.dispose()
    reports = [o for o in outcomes if isinstance(o, sweep.SweepReport)]
    assert len(reports) == len(sweepers), outcomes
    assert sum(r.fired["information_request_answer"] for r in reports) == 400
    assert sum(1 for r in reports if r.fired["information_request_answer"]) >= 2, "the sweepers did not overlap"
    with world.db.reading() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.information_request_answer")).all()
    assert Counter(e.payload["deadline"] for e in events) == Counter(keys)
    from registrar import audit

    with world.db.reading() as session:
        assert audit.verify(session).ok


# --- reading: the CLI and health ---------------------------------------------------------------


def test_the_cli_lists_due_deadlines_and_a_dry_run_changes_nothing(world: World) -> None:
    candidacy = world.nominate()
    ask(world, candidacy, world.registration_time)
    row = deadline(world, "information_request_answer", candidacy)
    url = world.db.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()

    listed = runner.invoke(main, ["--database", url, "deadlines", "list", "--due-before", row.due_at.isoformat()])
    assert listed.exit_code == 0, listed.output
    assert f"information_request_answer (D2)  candidacy:{candidacy}" in listed.output

    dry = runner.invoke(main, ["--database", url, "deadlines", "sweep", "--now", row.due_at.isoformat(), "--dry-run"])
    assert dry.exit_code == 0 and "would fire" in dry.output and "information_request_answer 1" in dry.output
    assert deadline(world, "information_request_answer", candidacy).status == "pending"

    bad = runner.invoke(main, ["--database", url, "deadlines", "sweep", "--now", "tomorrow"])
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "--now" in bad.output

    done = runner.invoke(main, ["--database", url, "deadlines", "sweep", "--now", row.due_at.isoformat()])
    assert done.exit_code == 0 and "fired" in done.output
    assert deadline(world, "information_request_answer", candidacy, status="fired")


def test_health_reports_the_lag_of_the_oldest_overdue_deadline(db: Database, rules: Any) -> None:
    world = build_world(db, rules)
    first = world.calendar.nomination_closes
    now = first + 90 * SECOND
    health = sweep.health(db, now)
    assert health["overdue"] >= 1 and health["lag_seconds"] == pytest.approx(90)
    assert health["oldest_overdue_due_at"] == first.astimezone(dt.UTC).isoformat()
    sweep.sweep(db, now)
    after = sweep.health(db, now)
    assert (after["overdue"], after["lag_seconds"], after["oldest_overdue_due_at"]) == (0, 0.0, None)
    assert after["pending"] == health["pending"] - health["overdue"]
