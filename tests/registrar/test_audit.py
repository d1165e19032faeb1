"""The audit trail is hash-chained: altering, removing or truncating it is detected and the
first bad event is named, by ``audit.verify`` and by ``registrar audit verify``. On both
databases.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON, bindparam, select, text

from registrar import audit
from registrar.cli import main
from registrar.db import Database
from registrar.models import AuditEvent

from .conftest import World


def url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def execute(db: Database, sql: str, **params: Any) -> int:
    """Raw SQL behind the application's back, committed; returns the rows touched."""
    statement = text(sql)
    if "payload" in params:
        statement = statement.bindparams(bindparam("payload", type_=JSON))
    with db.engine.begin() as connection:
        return connection.execute(statement, params).rowcount


def stored_seqs(db: Database) -> list[int]:
    with db.engine.connect() as connection:
        return list(connection.scalars(text("SELECT seq FROM audit_event ORDER BY seq")))


def payload_of(db: Database, seq: int) -> dict[str, Any]:
    with db.engine.connect() as connection:
        payload = connection.scalar(select(AuditEvent.__table__.c.payload).where(AuditEvent.__table__.c.seq == seq))
    assert isinstance(payload, dict)
    return payload


def verdict(db: Database) -> audit.Verdict:
    with db.reading() as session:
        return audit.verify(session)


@pytest.fixture
def trail(world: World) -> World:
    """An election, its associations, and two candidacies that went through some actions."""
    first = world.nominate(full_name="Aruzhan Smagulova")
    world.walk(first, "medical_check")
    second = world.nominate(world.associations[1], full_name="Daulet Ermekov")
    world.walk(second, "declarations_filed")
    return world


def cli_verify(db: Database) -> Any:
    return CliRunner().invoke(main, ["--database", url_of(db), "audit", "verify"])


# --- intact ----------------------------------------------------------------------------------


def test_an_untouched_chain_verifies_and_counts_every_event(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    # announce + 9 associations + 2 nominations + their actions
    assert len(seqs) > 12
    assert seqs == list(range(1, len(seqs) + 1)), "appends are numbered without gaps"
    result = verdict(trail.db)
    assert result.ok
    assert result.events == len(seqs)
    assert result.first_bad is None and result.problem == ""


def test_verify_reads_the_chain_in_batches_without_losing_the_link(trail: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Batches of 3: each batch starts after the last seq of the one before; the chain must
    # still link across the seams.
    events = audit._events
    monkeypatch.setattr(audit, "_events", lambda session, after=0: events(session, batch=3, after=after))
    seqs = stored_seqs(trail.db)
    assert verdict(trail.db) == audit.Verdict(len(seqs))
    execute(trail.db, "DELETE FROM audit_event WHERE seq = 7")  # the first of the third batch
    assert verdict(trail.db).first_bad == 7


def test_an_empty_trail_verifies(db: Database) -> None:
    result = verdict(db)
    assert result.ok and result.events == 0


def test_each_event_links_to_the_one_before(trail: World) -> None:
    with trail.db.reading() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert events[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == len(events)


# --- tampering -------------------------------------------------------------------------------


def test_altering_one_events_payload_names_that_event(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    target = seqs[len(seqs) // 2]
    payload = payload_of(trail.db, target)
    payload["forged"] = True
    assert execute(trail.db, "UPDATE audit_event SET payload = :payload WHERE seq = :seq", payload=payload, seq=target) == 1
    result = verdict(trail.db)
    assert not result.ok
    assert result.first_bad == target
    assert result.events == target - 1  # the events before it still verify
    assert f"event {target} was altered" in result.problem


def test_altering_a_nested_value_of_the_payload_is_detected(trail: World) -> None:
    # The first event announced the election; its payload carries the computed calendar.
    payload = payload_of(trail.db, 1)
    assert "calendar" in payload
    payload["calendar"]["registration_closes"] = "2029-10-30T18:00:00+05:00"
    execute(trail.db, "UPDATE audit_event SET payload = :payload WHERE seq = 1", payload=payload)
    result = verdict(trail.db)
    assert (result.first_bad, result.events) == (1, 0)


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "someone:else"), ("to_state", "registered"), ("action", "register")],
)
def test_altering_who_or_what_of_an_event_is_detected(trail: World, column: str, value: str) -> None:
    target = stored_seqs(trail.db)[-3]
    execute(trail.db, f"UPDATE audit_event SET {column} = :value WHERE seq = :seq", value=value, seq=target)
    assert verdict(trail.db).first_bad == target


def test_deleting_an_event_in_the_middle_names_the_missing_seq(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    target = seqs[len(seqs) // 2]
    assert execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=target) == 1
    result = verdict(trail.db)
    assert not result.ok
    assert result.first_bad == target
    assert f"event {target} is missing" in result.problem


def test_deleting_the_first_event_is_detected(trail: World) -> None:
    execute(trail.db, "DELETE FROM audit_event WHERE seq = 1")
    result = verdict(trail.db)
    assert (result.first_bad, result.events) == (1, 0)


def test_deleting_the_last_event_is_detected_by_the_head(trail: World) -> None:
    last = stored_seqs(trail.db)[-1]
    assert execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=last) == 1
    result = verdict(trail.db)
    assert not result.ok
    assert result.first_bad == last
    assert result.events == last - 1
    assert f"ends at event {last - 1} but {last} were appended" in result.problem


def test_renumbering_to_hide_a_deletion_is_detected(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    target = seqs[len(seqs) // 2]
    execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=target)
    # Close the gap event by event, in increasing order (no primary key collision).
    for seq in seqs[seqs.index(target) + 1 :]:
        execute(trail.db, "UPDATE audit_event SET seq = :new WHERE seq = :old", new=seq - 1, old=seq)
    result = verdict(trail.db)
    assert result.first_bad == target  # the event now numbered ``target`` does not follow its predecessor


def test_new_events_after_a_verified_chain_continue_it(trail: World) -> None:
    before = verdict(trail.db).events
    candidacy = trail.nominate(trail.associations[2], full_name="Third Candidate")
    trail.walk(candidacy, "declarations_filed")
    after = verdict(trail.db)
    assert after.ok and after.events == before + 2


# --- the command line ------------------------------------------------------------------------


def test_cli_audit_verify_exits_0_on_an_intact_chain(trail: World) -> None:
    result = cli_verify(trail.db)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith(f"audit chain intact: {len(stored_seqs(trail.db))} events; no signed checkpoint yet")
    assert result.stderr == ""


def test_cli_audit_verify_exits_1_naming_the_first_bad_event(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    altered, deleted = seqs[4], seqs[9]
    payload = payload_of(trail.db, altered) | {"forged": True}
    execute(trail.db, "UPDATE audit_event SET payload = :payload WHERE seq = :seq", payload=payload, seq=altered)
    execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=deleted)
    result = cli_verify(trail.db)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [f"registrar: audit chain broken: event {altered} was altered: its content does not match its hash"]


def test_cli_audit_verify_names_a_truncated_chain(trail: World) -> None:
    last = stored_seqs(trail.db)[-1]
    execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=last)
    result = cli_verify(trail.db)
    assert result.exit_code == 1
    assert f"the chain ends at event {last - 1} but {last} were appended" in result.stderr
    assert "Traceback" not in result.output


# --- the hashed body, assembled by hand for speed -----------------------------------------


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)  # any text a JSON string can hold
json_values = st.recursive(st.none() | st.booleans() | st.integers() | texts,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
                           max_leaves=10)  # fmt: skip


@given(seq=st.integers(min_value=1, max_value=10**12), at=st.datetimes(timezones=st.timezones()), actor=texts, action=texts,
       subject_type=texts, subject_id=texts, from_state=st.none() | texts, to_state=st.none() | texts,
       payload=st.dictionaries(texts, json_values, max_size=4))  # fmt: skip
def test_the_hand_built_body_is_the_canonical_json_of_the_event_byte_for_byte(
    seq: int, at: dt.datetime, actor: str, action: str, subject_type: str, subject_id: str,
    from_state: str | None, to_state: str | None, payload: dict[str, Any],
) -> None:  # fmt: skip
    """Chains hashed before the body was built by hand must still verify: the text is unchanged."""
    fields = {"seq": seq, "at": at, "actor": actor, "action": action, "subject": [subject_type, subject_id],
              "from": from_state, "to": to_state, "payload": payload}  # fmt: skip
    expected = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=audit._plain)
    body = audit._body(seq, at, actor, action, subject_type, subject_id, from_state, to_state, audit.canonical(payload))
    assert body == expected


@given(value=json_values)
def test_canonical_is_json_dumps_with_sorted_keys(value: Any) -> None:
    assert audit.canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_events_appended_in_bulk_verify_and_read_back_as_given(db: Database) -> None:
    """append_many stores each payload as the text it hashed (COPY on PostgreSQL): quotes, tabs,
    backslashes, newlines and Kazakh letters come back unchanged and the chain verifies."""
    at = dt.datetime(2029, 11, 20, 13, 0, tzinfo=dt.UTC)
    awkward = {"says": 'Қазақстан "quoted"\ttab\\back\nline', "nested": {"b": [1, None, True], "a": "é"}}
    entries = [audit.Entry(at, "system:deadlines", "deadline.test", "candidacy", str(i), awkward | {"i": i}) for i in range(3)]
    with db.transaction() as session:
        seqs = audit.append_many(session, entries)
    assert seqs == [1, 2, 3]
    assert [payload_of(db, seq) for seq in seqs] == [awkward | {"i": i} for i in range(3)]
    assert verdict(db) == audit.Verdict(3)
