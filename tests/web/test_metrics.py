"""Issue 15, operations: ``GET /metrics`` in Prometheus's text format, scraped after real actions,
a sweep, a delivery and requests; and several processes adding up in multiprocess mode.

The counters are the process's (prometheus-client's registry): each test reads them before and
after what it does, so the other tests of the worker change nothing of what it checks.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from registrar import settings, sweep
from registrar.db import Database
from registrar.errors import GuardFailed, NotAllowed
from registrar.models import Deadline
from registrar.notifications import delivery
from registrar.rules import Rules
from registrar.settings import Settings
from tests.registrar.conftest import World, copied_world
from tests.web.conftest import make_app
from web import create_app


@pytest.fixture
def world(db: Database, rules: Rules) -> World:
    return copied_world(db, rules)


def scrape(client: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")  # type: ignore[attr-defined]
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}  # fmt: skip


def value(scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_metrics_count_the_actions_the_sweep_the_deliveries_and_the_requests(world: World) -> None:
    client = make_app(world.db).test_client()
    before = scrape(client)
    candidacy = world.nominate()
    world.act(candidacy, "file_declarations", world_declarations(world))
    late_papers = world.nominate(world.associations[1])
    with pytest.raises(GuardFailed):  # G1: after registration closed
        world.act(late_papers, "file_declarations", world_declarations(world),
                  at=world.calendar.registration_closes + dt.timedelta(days=1))  # fmt: skip
    with pytest.raises(NotAllowed):
        world.act(candidacy, "register", {"number": "1/1", "decided_on": "2029-10-01"})
    at = world.registration_time + dt.timedelta(hours=1)
    world.act(candidacy, "send_information_request", {"organisation": "Bank", "subject": "accounts"}, at=at)
    with world.db.reading() as session:
        due = session.scalar(select(Deadline.due_at).where(Deadline.kind == "information_request_answer"))
    assert due is not None
    late = due + dt.timedelta(minutes=5)
    with world.db.reading() as session:
        oldest = session.scalar(select(func.min(Deadline.due_at)).where(Deadline.status == "pending"))
    assert oldest is not None
    assert sweep.sweep(world.db, late).fired["information_request_answer"] == 1
    delivery.deliver_due(world.db, late, settings=Settings())
    assert client.get("/api/v1/elections").status_code == 200
    assert client.get(f"/candidacies/{candidacy}").status_code == 200
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("registrar_actions_total", action="file_declarations", outcome="done", rules="") == 1
    assert grew("registrar_actions_total", action="file_declarations", outcome="refused", rules="G1") == 1, "with its rules"
    assert grew("registrar_actions_total", action="register", outcome="not_allowed", rules="") == 1
    assert grew("registrar_deadlines_fired_total", kind="information_request_answer") == 1
    assert value(after, "registrar_sweep_lag_seconds") == pytest.approx((late - oldest).total_seconds()), "the oldest due's wait"
    assert grew("registrar_sweep_batch_seconds_count") >= 1
    assert grew("registrar_deliveries_total", status="no_contact", attempt="0") >= 1, "no contact is configured here"
    assert grew("registrar_request_seconds_count", route="/api/v1/elections", method="GET", status="200") == 1
    route = "/candidacies/<int:candidacy_id>"
    assert grew("registrar_request_seconds_count", route=route, method="GET", status="200") == 1, "the rule, not the URL"
    assert not [labels for (name, labels) in after if ("route", f"/candidacies/{candidacy}") in labels]


def world_declarations(world: World) -> dict[str, object]:
    from registrar import demo

    day = world.calendar.local(world.registration_time).date()
    (papers,) = demo.papers("file_declarations", world.calendar, world.rules, day)
    return papers


def test_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two processes (a gunicorn worker, a Celery worker) count into one folder; a third shows the sum."""
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = ("from registrar import metrics\n"
             "with metrics.counted('register'): pass\n"
             "metrics.swept({'registration_closes': 2}, 1.5)\n")  # fmt: skip
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, cwd=Path(__file__).parents[2])
    shown = subprocess.run([sys.executable, "-c", "from registrar import metrics; print(metrics.exposition()[0].decode())"],
                           env=env, check=True, capture_output=True, text=True, cwd=Path(__file__).parents[2]).stdout  # fmt: skip
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(shown) for s in family.samples}  # fmt: skip
    assert samples[("registrar_actions_total", (("action", "register"), ("outcome", "done"), ("rules", "")))] == 2
    assert samples[("registrar_deadlines_fired_total", (("kind", "registration_closes"),))] == 4
    assert samples[("registrar_sweep_lag_seconds", ())] == 1.5, "the lag is the largest of the processes'"


def test_a_process_that_shows_no_metrics_counts_none_and_loads_no_client() -> None:
    shown = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom registrar import metrics\nwith metrics.counted('x'): pass\n"
         "print('prometheus_client' in sys.modules)"],
        env={k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}, check=True, capture_output=True,
        text=True, cwd=Path(__file__).parents[2],
    ).stdout  # fmt: skip
    assert shown.strip() == "False"


def test_with_a_token_set_only_a_scraper_that_sends_it_reads_the_metrics(db: Database) -> None:
    app = create_app(Settings(metrics_token="s3cret"), db, TESTING=True, SECRET_KEY="test")
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}, {"Authorization": "Bearer s3cret "}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert b"registrar_" not in refused.data
    read = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert read.status_code == 200 and b"registrar_request_seconds" in read.data
    assert client.get("/health").status_code == 200  # /health stays open


def test_the_token_is_a_setting_the_environment_may_give() -> None:
    assert settings.load(environ={"REGISTRAR_WEB_METRICS_TOKEN": "from-env"}).metrics_token == "from-env"
    assert settings.load(environ={}).metrics_token == ""
