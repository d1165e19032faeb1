"""Issue 14, parts 3 and 4: a past election loaded whole, as it happened (``registrar import``).

The demo's concluded election (announcement, nominations, every paper, 20 protocols, a second
round, a withdrawal, the President's registration) is written out as an import document from its
audit trail and loaded into an empty database: the same results, each event at the moment it took
effect with the moment it was recorded beside it, the chain intact and the records agreeing with
it. A document with one refused candidacy loads nothing and names the rule; the deadlines the
loaded record already settles never undo it when the sweep catches up.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from registrar import audit, importing, public, replay, sweep
from registrar.db import Database
from registrar.demo_results import CONCLUDED_ID
from registrar.errors import InvalidPayload
from registrar.models import Association, AuditEvent, Candidacy, Election
from tests.databases import sqlite_copy
from tests.demo_copies import build_demo


@pytest.fixture(scope="module")
def document(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    source = sqlite_copy(sqlite_template, tmp_path_factory.mktemp("exported"))
    build_demo(source)
    yield importing.export(source, CONCLUDED_ID)
    source.dispose()


def _figures(db: Database) -> tuple[Any, ...]:
    shown = public.results(db, CONCLUDED_ID)
    with db.reading() as session:
        states = sorted(session.scalars(select(Candidacy.state).where(Candidacy.election_id == CONCLUDED_ID)))
    rounds = [(r.round, r.status, r.totals, [(c.full_name, c.votes, c.percent) for c in r.candidates]) for r in shown.rounds]
    return shown.phase, states, rounds, shown.president.full_name if shown.president else None


def test_a_past_election_loads_whole_as_it_happened(db: Database, document: dict[str, Any]) -> None:
    loaded = importing.load(db, copy.deepcopy(document), actor="import:test")
    assert (loaded.election_id, loaded.actions) == (CONCLUDED_ID, len(document["actions"]))
    phase, states, rounds, president = _figures(db)
    assert (phase, states) == ("president_registered", ["registered", "registered", "registered", "withdrawn"])
    assert [r[:2] for r in rounds] == [(1, "established"), (2, "established")] and president
    with db.reading() as session:
        assert audit.verify(session).ok and not list(replay.mismatches(session))
        registered = session.scalars(select(AuditEvent).where(AuditEvent.action == "register_president")).one()
        imported = session.scalars(select(AuditEvent).where(AuditEvent.action == "import_election")).one()
    step = next(a for a in document["actions"] if a["do"] == "register_president")
    assert registered.at == dt.datetime.fromisoformat(step["effective_at"]), "the moment it took effect"
    assert audit.recorded_at(registered) > registered.at + dt.timedelta(days=1), "and the moment it was recorded"
    assert imported.payload["sha256"] == loaded.sha256


def test_the_export_of_the_loaded_election_is_the_document_again(db: Database, document: dict[str, Any]) -> None:
    importing.load(db, copy.deepcopy(document), actor="import:test")
    again = importing.export(db, CONCLUDED_ID)
    strip = lambda doc: [{k: v for k, v in a.items() if k not in ("key", "candidacy", "association")} for a in doc["actions"]]  # noqa: E731
    votes = lambda doc: [sorted(a["payload"].get("votes", {}).values()) for a in doc["actions"]]  # noqa: E731
    assert [a["do"] for a in again["actions"]] == [a["do"] for a in document["actions"]]
    assert votes(again) == votes(document)
    assert [{k: v for k, v in a.items() if k != "payload"} for a in strip(again)] == [
        {k: v for k, v in a.items() if k != "payload"} for a in strip(document)]  # fmt: skip


def test_the_sweep_catching_up_never_undoes_the_loaded_record(db: Database, document: dict[str, Any]) -> None:
    # The sweep's own events are not in the document: the deadlines it fired at the time are
    # pending once loaded, and fire now as of their due times. Before, `voting_opens` put the
    # registered President's election back in "voting".
    importing.load(db, copy.deepcopy(document), actor="import:test")
    before = _figures(db)
    report = sweep.sweep(db, dt.datetime.now(dt.UTC))
    assert report.fired["voting_opens"] == 1
    assert _figures(db) == before


def test_a_document_with_one_refused_candidacy_loads_nothing_and_names_the_rule(db: Database, document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    nomination = next(a for a in broken["actions"] if a["do"] == "nominate")
    day = dt.date.fromisoformat(nomination["effective_at"][:10])
    nomination["payload"]["person"]["birth_date"] = day.replace(year=day.year - 30).isoformat()  # E2: at least 40
    with pytest.raises(importing.ImportRefused) as refused:
        importing.load(db, broken, actor="import:test")
    first, *following = refused.value.refusals
    # E2 is judged at registration: the nomination stands, its registration is refused; what
    # followed from it (its votes on every protocol, the results) is refused in turn, each named.
    assert (first.do, first.key, first.rules) == ("register", nomination["key"], ("E2",))
    assert "younger than 40" in first.reasons[0]
    assert following and all(r.index > first.index for r in following)
    with db.reading() as session:
        assert session.get(Election, CONCLUDED_ID) is None
        assert session.scalar(select(func.count(Association.id))) == 0
        assert session.scalar(select(func.count(AuditEvent.seq))) == 0


def test_every_refusal_is_named_not_only_the_first(db: Database, document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    protocols = [a for a in broken["actions"] if a["do"] == "submit_protocol"][:2]
    for protocol in protocols:
        protocol["payload"]["ballots_cast"] += 1  # V3: the protocol no longer adds up
    with pytest.raises(importing.ImportRefused) as refused:
        importing.load(db, broken, actor="import:test")
    indexes = [broken["actions"].index(protocol) for protocol in protocols]
    named = refused.value.refusals[:2]
    assert [r.index for r in named] == indexes and all(r.do == "submit_protocol" for r in named)
    assert len(refused.value.refusals) > 2, "and what could not follow from them (the results) is named too"


@pytest.mark.parametrize("change, field", [
    ({"format": "other/1"}, "format"),
    ({"extra": True}, "extra"),
    ({"actions": []}, "actions"),
])  # fmt: skip
def test_a_document_not_of_the_format_is_refused_at_its_field(db: Database, document: dict[str, Any],
                                                              change: dict[str, Any], field: str) -> None:  # fmt: skip
    with pytest.raises(InvalidPayload) as refused:
        importing.load(db, copy.deepcopy(document) | change, actor="import:test")
    assert field in refused.value.errors


def test_an_unknown_payload_field_is_refused_not_dropped(db: Database, document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    broken["actions"][0]["payload"]["at"] = "2019-01-01"
    with pytest.raises(importing.ImportRefused) as refused:
        importing.load(db, broken, actor="import:test")
    assert "at:" in refused.value.refusals[0].reasons[0]
