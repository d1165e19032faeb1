"""The officers' queue: candidacies waiting for a role, the longest waiting first, across all its states."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from registrar import officer_views
from registrar.db import Database
from registrar.models import Candidacy
from tests.demo_copies import build_demo

TODAY = dt.date(2029, 10, 1)


def test_the_queue_is_every_waiting_candidacy_in_waiting_order(db: Database) -> None:
    build_demo(db, TODAY)
    for role, limit in itertools.product(["clerk", "commission", "revenue", "court", "auditor"], [3, 100]):
        states = officer_views.states_for(role)
        with db.reading() as session:
            everyone = session.execute(select(Candidacy.id, Candidacy.state_since).where(Candidacy.state.in_(states))).all()
        expected = [cid for cid, _ in sorted(everyone, key=lambda row: (row[1], row[0]))][:limit]
        queue = officer_views.candidacies_for(db, role, limit=limit)
        assert [c["id"] for c in queue] == expected, (role, limit)
        assert all(c["state"] in states for c in queue)
        assert officer_views.candidacies_for(db, role, election="another", limit=limit) == []
