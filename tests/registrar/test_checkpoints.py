"""Signed checkpoints: whoever can write to the database cannot shorten, empty or rewrite the audit
chain unseen (issue 13). Each tampering below was reported "intact" by the chain alone; each is
now found, by ``checkpoints.verify`` and by ``registrar audit verify``. On both databases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from registrar import audit, checkpoints
from registrar.cli import main
from registrar.db import Database
from registrar.models import AuditEvent
from registrar.settings import Settings

from .conftest import World
from .test_audit import execute, stored_seqs, url_of


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(audit_key_file=str(tmp_path / "audit.key"), audit_checkpoints_file=str(tmp_path / "checkpoints.jsonl"))


@pytest.fixture
def signed(world: World, settings: Settings) -> World:
    """Two candidacies' actions, the chain's head signed."""
    first = world.nominate(full_name="Аружан Смағұлова")
    world.walk(first, "medical_check")
    second = world.nominate(world.associations[1], full_name="Дәулет Ермеков")
    world.walk(second, "declarations_filed")
    assert checkpoints.checkpoint(world.db, settings) is not None
    return world


def verdict(db: Database, settings: Settings, outside: bool = True) -> audit.Verdict:
    key = checkpoints.public_key(settings.audit_key_file)
    kept = checkpoints.kept(settings.audit_checkpoints_file) if outside else []
    with db.reading() as session:
        return checkpoints.verify(session, key, kept)


def events(db: Database) -> list[dict[str, Any]]:
    with db.reading() as session:
        return [{c.name: getattr(e, c.name) for c in AuditEvent.__table__.c}
                for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]  # fmt: skip


def rewrite(db: Database, rows: list[dict[str, Any]]) -> None:
    """Replace the whole chain by ``rows``, renumbered and rehashed with the project's own hash,
    and move the head onto it: what someone who can write to the database and read the code does."""
    prev = audit.GENESIS
    forged = []
    for seq, row in enumerate(rows, 1):
        event = AuditEvent(**row | {"seq": seq, "prev_hash": prev})
        event.hash = audit._digest(prev, event)
        forged.append(event)
        prev = event.hash
    execute(db, "DELETE FROM audit_event")
    with db.transaction() as session:
        session.add_all(forged)
    execute(db, "UPDATE audit_head SET last_seq = :seq, last_hash = :hash", seq=len(forged), hash=prev)


# --- intact ----------------------------------------------------------------------------------


def test_an_untouched_signed_chain_verifies(signed: World, settings: Settings) -> None:
    result = verdict(signed.db, settings)
    assert result.ok, result.problem
    assert result.events == len(stored_seqs(signed.db))


def test_a_checkpoint_is_kept_in_the_database_and_outside_it(signed: World, settings: Settings) -> None:
    with signed.db.reading() as session:
        inside = checkpoints.stored(session)
    outside = checkpoints.kept(settings.audit_checkpoints_file)
    assert inside == outside and len(inside) == 1
    assert inside[0].seq == stored_seqs(signed.db)[-1]
    assert Path(settings.audit_key_file).stat().st_mode & 0o777 == 0o600


def test_a_checkpoint_waits_for_enough_events_or_enough_time(signed: World, settings: Settings) -> None:
    first = verdict(signed.db, settings).events
    signed.nominate(signed.associations[2], full_name="Ерлан Қарин")
    assert checkpoints.checkpoint(signed.db, settings) is None  # one event, seconds later: not yet
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.audit_checkpoint_seconds + 1)
    made = checkpoints.checkpoint(signed.db, settings, later)
    assert made is not None and made.seq == first + 1
    assert checkpoints.checkpoint(signed.db, settings, later + dt.timedelta(hours=1)) is None  # nothing new
    every_event = dataclasses.replace(settings, audit_checkpoint_every=1)
    signed.nominate(signed.associations[3], full_name="Мұрат Әуезов")
    assert checkpoints.checkpoint(signed.db, every_event) is not None


def test_a_copy_that_missed_a_checkpoint_catches_up(signed: World, settings: Settings) -> None:
    Path(settings.audit_checkpoints_file).unlink()
    signed.nominate(signed.associations[2], full_name="Ерлан Қарин")
    checkpoints.checkpoint(signed.db, settings, force=True)
    assert [c.seq for c in checkpoints.kept(settings.audit_checkpoints_file)] == [c.seq for c in _stored(signed.db)]


def _stored(db: Database) -> list[checkpoints.Checkpoint]:
    with db.reading() as session:
        return checkpoints.stored(session)


# --- each tampering the chain alone let through ------------------------------------------------


def test_deleting_the_last_event_and_moving_the_head_is_found(signed: World, settings: Settings) -> None:
    last = stored_seqs(signed.db)[-1]
    before = events(signed.db)[-2]
    execute(signed.db, "DELETE FROM audit_event WHERE seq = :seq", seq=last)
    execute(signed.db, "UPDATE audit_head SET last_seq = :seq, last_hash = :hash", seq=last - 1, hash=before["hash"])
    with signed.db.reading() as session:
        assert audit.verify(session).ok, "the chain alone cannot see it"
    result = verdict(signed.db, settings)
    assert not result.ok
    assert f"the chain ends at event {last - 1} but a signed checkpoint holds {last} events" in result.problem


def test_deleting_the_last_fifty_events_is_found(signed: World, settings: Settings) -> None:
    with signed.db.transaction() as session:
        audit.append_many(session, [audit.Entry(dt.datetime.now(dt.UTC), "test", "note", "election", "kz-2029", {"n": n})
                                    for n in range(60)])  # fmt: skip
    checkpoints.checkpoint(signed.db, settings, force=True)
    rows = events(signed.db)
    keep = rows[: len(rows) - 50]
    execute(signed.db, "DELETE FROM audit_event WHERE seq > :seq", seq=keep[-1]["seq"])
    execute(signed.db, "UPDATE audit_head SET last_seq = :seq, last_hash = :hash", seq=keep[-1]["seq"], hash=keep[-1]["hash"])
    assert not verdict(signed.db, settings).ok


def test_deleting_the_head_row_is_found(signed: World, settings: Settings) -> None:
    execute(signed.db, "DELETE FROM audit_head")
    result = verdict(signed.db, settings)
    assert not result.ok and "head is missing" in result.problem


def test_deleting_every_event_and_the_head_is_found(signed: World, settings: Settings) -> None:
    execute(signed.db, "DELETE FROM audit_event")
    execute(signed.db, "DELETE FROM audit_head")
    assert not verdict(signed.db, settings).ok
    execute(signed.db, "DELETE FROM audit_checkpoint")  # and the checkpoints in the database with them
    result = verdict(signed.db, settings)
    assert not result.ok and "kept outside the database is missing from it" in result.problem


@pytest.mark.parametrize("column, value", [("actor", "forged:clerk"), ("action", "register")])
def test_a_chain_rehashed_after_a_change_is_found(signed: World, settings: Settings, column: str, value: str) -> None:
    rows = events(signed.db)
    rows[3] = rows[3] | {column: value}
    rewrite(signed.db, rows)
    with signed.db.reading() as session:
        assert audit.verify(session).ok, "the chain alone cannot see it"
    result = verdict(signed.db, settings)
    assert not result.ok and "the chain was rewritten" in result.problem


def test_a_chain_renumbered_and_rehashed_after_a_deletion_is_found(signed: World, settings: Settings) -> None:
    rows = events(signed.db)
    del rows[5]
    rewrite(signed.db, [*rows, rows[-1]])  # as long as before, one event shown twice
    assert not verdict(signed.db, settings).ok


def test_an_event_inserted_and_the_chain_rehashed_is_found(signed: World, settings: Settings) -> None:
    rows = events(signed.db)
    fake = rows[-1] | {"action": "register", "from_state": "documents_verified", "to_state": "registered"}
    rewrite(signed.db, [*rows[:4], fake, *rows[4:-1]])
    assert not verdict(signed.db, settings).ok


def test_events_reordered_and_rehashed_are_found(signed: World, settings: Settings) -> None:
    rows = events(signed.db)
    rows[2], rows[3] = rows[3], rows[2]
    rewrite(signed.db, rows)
    assert not verdict(signed.db, settings).ok


def test_a_checkpoint_forged_in_the_database_is_found(signed: World, settings: Settings) -> None:
    rows = events(signed.db)
    rewrite(signed.db, rows[:-3])
    tip = events(signed.db)[-1]
    execute(signed.db, "UPDATE audit_checkpoint SET seq = :seq, hash = :hash", seq=tip["seq"], hash=tip["hash"])
    Path(settings.audit_checkpoints_file).unlink()  # the kept copy lost as well: the signature still tells
    result = verdict(signed.db, settings)
    assert not result.ok and "does not carry the audit key's signature" in result.problem


def test_a_checkpoint_signed_by_another_key_is_found(signed: World, settings: Settings, tmp_path: Path) -> None:
    other = checkpoints.KeyFile(tmp_path / "other.key")
    with signed.db.reading() as session:
        assert not checkpoints.verify(session, other.public, []).ok


def test_checkpoints_without_a_key_to_check_them_are_not_called_intact(signed: World) -> None:
    with signed.db.reading() as session:
        result = checkpoints.verify(session, None, [])
    assert not result.ok and "no key to check their signatures" in result.problem


# --- the command line and the public copy ----------------------------------------------------


def cli(db: Database, settings: Settings, *args: str) -> Any:
    env = {
        "REGISTRAR_AUDIT_KEY_FILE": settings.audit_key_file,
        "REGISTRAR_AUDIT_CHECKPOINTS_FILE": settings.audit_checkpoints_file,
    }
    return CliRunner(env=env).invoke(main, ["--database", url_of(db), "audit", *args])


def test_cli_verify_checks_the_chain_against_the_checkpoints(signed: World, settings: Settings) -> None:
    intact = cli(signed.db, settings, "verify")
    assert intact.exit_code == 0, intact.output
    assert intact.stdout.strip() == f"audit chain intact: {len(stored_seqs(signed.db))} events, 1 signed checkpoints"
    execute(signed.db, "DELETE FROM audit_event")
    execute(signed.db, "DELETE FROM audit_head")
    broken = cli(signed.db, settings, "verify")
    assert broken.exit_code == 1 and "audit chain broken: the chain ends at event 0" in broken.stderr


def test_cli_signs_on_demand_and_prints_the_public_key(world: World, settings: Settings) -> None:
    world.nominate(full_name="Аружан Смағұлова")
    made = cli(world.db, settings, "checkpoint")
    assert made.exit_code == 0 and made.stdout.startswith(f"signed: {len(stored_seqs(world.db))} events")
    assert cli(world.db, settings, "checkpoint").stdout.strip() == "nothing new to sign"
    pem = cli(world.db, settings, "public-key").stdout
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    public = Path(settings.audit_key_file).with_name("audit.pub")
    public.write_text(pem)
    observer = cli(world.db, settings, "verify", "--public-key", str(public))
    assert observer.exit_code == 0, observer.output


def test_an_observers_copy_of_the_published_checkpoints_verifies_and_then_catches_a_rewrite(
    signed: World, settings: Settings, tmp_path: Path
) -> None:
    with signed.db.reading() as session:
        page = checkpoints.published(session, settings.audit_key_file)
    assert page["public_key"].startswith("-----BEGIN PUBLIC KEY-----") and page["next_after"] is None
    copy = tmp_path / "observer.jsonl"
    copy.write_text("".join(json.dumps(c) + "\n" for c in page["checkpoints"]))
    public = tmp_path / "observer.pub"
    public.write_text(page["public_key"])
    assert cli(signed.db, settings, "verify", "--checkpoints", str(copy), "--public-key", str(public)).exit_code == 0
    execute(signed.db, "DELETE FROM audit_checkpoint")
    rewrite(signed.db, events(signed.db)[:-1])
    result = cli(signed.db, settings, "verify", "--checkpoints", str(copy), "--public-key", str(public))
    assert result.exit_code == 1 and "missing from it" in result.stderr


def test_a_broken_copy_or_key_is_one_line_naming_the_file(signed: World, settings: Settings) -> None:
    Path(settings.audit_checkpoints_file).write_text("{not json\n")
    result = cli(signed.db, settings, "verify")
    assert result.exit_code == 1 and f"{settings.audit_checkpoints_file}:1: not a checkpoint" in result.stderr
    Path(settings.audit_key_file).write_text("garbage")
    result = cli(signed.db, settings, "verify")
    assert result.exit_code == 1 and "not an Ed25519 key" in result.stderr and "Traceback" not in result.output


def test_the_sweep_round_signs_the_chain(world: World, settings: Settings) -> None:
    from registrar import runtime

    world.nominate(full_name="Аружан Смағұлова")
    assert runtime.run_once(world.db, settings).errors == {}
    assert [c.seq for c in _stored(world.db)] == [stored_seqs(world.db)[-1]]
    with world.db.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM audit_checkpoint")) == 1


# --- incremental: from the newest signed checkpoint on (issue 15) ----------------------------------


def _more(db: Database, n: int) -> None:
    with db.transaction() as session:
        audit.append_many(session, [audit.Entry(dt.datetime.now(dt.UTC), "test", "note", "election", "kz-2029", {"n": i})
                                    for i in range(n)])  # fmt: skip


def incremental(db: Database, settings: Settings) -> audit.Verdict:
    key = checkpoints.public_key(settings.audit_key_file)
    with db.reading() as session:
        return checkpoints.verify(session, key, checkpoints.kept(settings.audit_checkpoints_file), incremental=True)


def test_an_incremental_verify_recomputes_only_what_came_after_the_newest_checkpoint(signed: World, settings: Settings) -> None:
    signed_at = stored_seqs(signed.db)[-1]
    _more(signed.db, 7)
    result = incremental(signed.db, settings)
    assert result.ok, result.problem
    assert (result.events, result.since) == (signed_at + 7, signed_at), "7 recomputed, the rest the checkpoint's word"
    assert verdict(signed.db, settings).since == 0, "the full verify reads them all"


def test_an_incremental_verify_finds_a_change_after_the_checkpoint_and_at_it(signed: World, settings: Settings) -> None:
    signed_at = stored_seqs(signed.db)[-1]
    _more(signed.db, 3)
    execute(signed.db, "UPDATE audit_event SET actor = 'forger' WHERE seq = :seq", seq=signed_at + 2)
    assert f"event {signed_at + 2} was altered" in incremental(signed.db, settings).problem
    execute(signed.db, "UPDATE audit_event SET hash = :hash WHERE seq = :seq", seq=signed_at, hash="0" * 64)
    assert f"event {signed_at} differs from its signed checkpoint" in incremental(signed.db, settings).problem


def test_a_change_before_the_checkpoint_is_left_to_the_full_verify(signed: World, settings: Settings) -> None:
    """What the incremental verify does not read, it does not vouch for: the full one finds it."""
    execute(signed.db, "UPDATE audit_event SET actor = 'forger' WHERE seq = 2")
    assert incremental(signed.db, settings).ok
    assert verdict(signed.db, settings).problem == "event 2 was altered: its content does not match its hash"


def test_cli_verify_since_checkpoint_says_how_much_it_recomputed(signed: World, settings: Settings) -> None:
    signed_at = stored_seqs(signed.db)[-1]
    _more(signed.db, 4)
    result = cli(signed.db, settings, "verify", "--since-checkpoint")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"audit chain intact: {signed_at + 4} events, 4 recomputed after the signed "
                                     f"checkpoint of event {signed_at} (1 signed checkpoints)")  # fmt: skip
