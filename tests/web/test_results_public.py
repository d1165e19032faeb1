"""The public results (V4-V7): the page and its chart, the CSV and JSON, the timeline after the vote,
the public cache, and nothing private on any of them.

One database per backend for the module, with elections held in the past through the real
actions (tests/web/helpers.py): a first-round win with a corrected protocol and the President
registered; a second round; a count under way; an election declared void and its re-run; and
one count under way that only the cache test adds to. Every unit's protocol has 6,900 valid
votes, so the national figures below are 20 times a unit's.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from icalendar import Calendar

from registrar import public, results, states, sweep, territory
from registrar.calendar import voting_hours
from registrar.db import Database
from registrar.rules import for_kind
from tests.conftest import BACKENDS
from tests.databases import module_database
from tests.registrar.test_public import private_values
from tests.web.conftest import make_app
from tests.web.helpers import CHAIR, Held, hold_election
from tests.web.test_public import every_public_url, leaks
from web import charts

TODAY = dt.date.today()
CORRECTION_REASON = "Recount note: tally sheet of polling station 17 re-added"
VOID_REASON = "Void: ballot boxes of Kostanay stuffed, per the prosecutor's secret memo"
UNITS = [unit.code for unit in territory.current().units]


@dataclass
class Built:
    db: Database
    won: Held
    runoff: Held
    void: Held
    counting: Held
    live: Held


def won(db: Database) -> Held:
    """V4: 50.72% elects in the first round; the Abai protocol is corrected (violations found) before the count."""
    held = hold_election(db, "kz-won", TODAY - dt.timedelta(days=70), ["Aibek Won", "Bota Second", "Chingis Third"])
    for unit in UNITS:  # Abai's first version counts 100 votes for the wrong candidate; its correction fixes it
        votes = [3400, 2800, 400] if unit == "ABA" else [3500, 2700, 400]
        results.submit_protocol(db, held.id, held.protocol(unit, votes, 300), actor="test:clerk", at=held.counted_at)
    results.submit_protocol(db, held.id, held.protocol("ABA", [3500, 2700, 400], 300, violations=True,
                                                       reason=CORRECTION_REASON),
                            actor="test:clerk", at=held.counted_at + dt.timedelta(hours=5), correction=True)  # fmt: skip
    decided = held.counted_at + dt.timedelta(days=2)
    held.decide("establish_results", decided, number="CEC-70/1")
    held.decide("register_president", decided + dt.timedelta(days=2), number="CEC-70/2")
    return held


def runoff(db: Database) -> Held:
    """V5: no majority; the two leaders meet again three weeks later."""
    held = hold_election(db, "kz-runoff", TODAY - dt.timedelta(days=55), ["Aliya Runoff", "Berik Runoff", "Chokan Runoff"])
    held.submit_all([3000, 2500, 1100], 300)
    decided = held.counted_at + dt.timedelta(days=2)
    held.decide("establish_results", decided, number="CEC-55/1")
    second = held.calendar.election_day + dt.timedelta(days=21)
    held.decide("call_second_round", decided + dt.timedelta(hours=1), number="CEC-55/2", voting_day=second.isoformat())
    opens, closes = voting_hours(second, for_kind("presidential"))
    sweep.sweep(db, opens + dt.timedelta(minutes=1))
    sweep.sweep(db, closes + dt.timedelta(minutes=1))
    held.submit_all([3100, 2800], 100, cast=6000, invalid=0, ballot=held.candidacies[:2], at=closes + dt.timedelta(hours=3),
                    signed_on=second.isoformat())  # fmt: skip
    held.decide("establish_results", closes + dt.timedelta(days=2), number="CEC-55/3")
    return held


def void(db: Database) -> Held:
    """V6: the count declared void; the CEC calls a re-run on dates it sets (V1)."""
    held = hold_election(db, "kz-void", TODAY - dt.timedelta(days=40), ["Void One", "Void Two"])
    held.submit_all([3500, 3100], 300)
    at = held.counted_at + dt.timedelta(days=1)
    held.decide("declare_void", at, number="CEC-40/1", reason=VOID_REASON)
    zone = held.calendar.zone
    announced = held.calendar.local(at).date()
    day = lambda n: announced + dt.timedelta(days=n)  # noqa: E731
    set_by_cec = [("nomination_closes", dt.datetime.combine(day(10), dt.time(18), tzinfo=zone)),
                  ("registration_opens", dt.datetime.combine(day(10), dt.time(0), tzinfo=zone)),
                  ("registration_closes", dt.datetime.combine(day(25), dt.time(18), tzinfo=zone))]  # fmt: skip
    held.decide("call_rerun", at + dt.timedelta(hours=2), number="CEC-40/2", id="kz-void-rerun",
                title="Presidential election (re-run)", election_day=day(55).isoformat(),
                resolutions=[{"milestone": m, "value": v.isoformat(), "number": "CEC-40/3",
                              "adopted_on": announced.isoformat()} for m, v in set_by_cec])  # fmt: skip
    return held


def counting(db: Database, election_id: str, days_ago: int, names: list[str]) -> Held:
    held = hold_election(db, election_id, TODAY - dt.timedelta(days=days_ago), names)
    held.submit_all([3600, 3000], 300, units=3)
    return held


@pytest.fixture(scope="module", params=BACKENDS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    database = module_database(request, tmp_path_factory, "results")
    # In the order they were held: each election's sweeps run at its own moments.
    yield Built(database, won(database), runoff(database), void(database),
                counting(database, "kz-counting", 4, ["Dana Count", "Daniyar Count"]),
                counting(database, "kz-live", 3, ["Farida Live", "Galym Live"]))  # fmt: skip
    database.dispose()


@pytest.fixture(scope="module")
def app(built: Built) -> Flask:
    return make_app(built.db)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read the English source texts
    return client


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def section(html: str, round_: int) -> str:
    start = html.index(f'<section class="round" id="round-{round_}"')
    return html[start : html.index("</section>", start)]


def bars(html: str) -> dict[str, tuple[str, str]]:
    """The chart's bars: each one's aria-label -> (its kind, the filled bar's width)."""
    found = re.findall(r'<g class="bar bar-([a-z_]+)" role="img" aria-label="([^"]+)">.*?'
                       r'<rect [^>]*fill="#e8ecf0"/><rect x="0" y="\d+" width="([0-9.]+)"', html)  # fmt: skip
    return {label: (kind, width) for kind, label, width in found}


# --- The page and its chart ------------------------------------------------------------------


def test_a_first_round_win_shows_the_figures_the_chart_the_units_and_the_president(client: FlaskClient) -> None:
    """V4: 70,000 of 138,000 valid votes (50.72%) elects; V3: the corrected protocol is the one counted; V7."""
    html = page(client, "/elections/kz-won/results")
    assert "President, registered by the CEC" in html and ">Aibek Won</a> (Association Aibek Won)" in html
    first = section(html, 1)
    assert "Elected: Aibek Won, with 50.72% of the valid votes" in first
    assert "CEC resolution No. CEC-70/1 of" in first
    assert "Protocols received" not in first, "once established, the count is complete"
    for figure in ("<dd>200,000</dd>", "<dd>140,000</dd>", "<dd>70.00%</dd>", "<dd>2,000</dd>", "<dd>138,000</dd>"):
        assert figure in first
    assert bars(first) == {
        "Aibek Won: 50.72%, 70,000 votes": ("highlight", "223.17"),  # 440 * 50.72 / 100
        "Bota Second: 39.13%, 54,000 votes": ("candidate", "172.17"),
        "Chingis Third: 5.80%, 8,000 votes": ("candidate", "25.52"),
        "Against all: 4.35%, 6,000 votes": ("against_all", "19.14"),  # its own bar, last
    }
    assert list(bars(first))[-1].startswith("Against all")
    assert '<title id="chart-round-1-title">' in first and 'aria-labelledby="chart-round-1-title chart-round-1-desc"' in first
    abai = first[first.index(">Abai Region</th>") : first.index("</tr>", first.index(">Abai Region</th>"))]
    assert "3,500 (50.72%)" in abai and "300 (4.35%)" in abai
    assert "2 (corrected)" in abai and "violations found" in abai
    assert "<script" not in html


def test_the_majority_the_page_names_is_the_election_s_rule(app: Flask, built: Built) -> None:
    """V4.majority_percent, read through the election's own rules, is the share the sentence names."""
    view = public.results(built.db, "kz-runoff")
    assert view.majority_percent == "50.00"
    stricter = dataclasses.replace(view, majority_percent="60.00")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template("public/results.html", results=stricter, charts={r.round: None for r in view.rounds})
    assert "No candidate has more than 60.00% of the valid votes: a second round between Aliya Runoff" in html


def test_a_second_round_between_the_two_leaders_and_its_winner(client: FlaskClient) -> None:
    """V5: 43.48% is no majority; the two leaders meet again; 62,000 of 120,000 (51.67%) elects."""
    html = page(client, "/elections/kz-runoff/results")
    first, second = section(html, 1), section(html, 2)
    assert "No candidate has more than 50.00% of the valid votes: a second round between Aliya Runoff and Berik Runoff" in first
    assert "CEC resolution No. CEC-55/1 of" in first
    assert set(bars(first)) == {"Aliya Runoff: 43.48%, 60,000 votes", "Berik Runoff: 36.23%, 50,000 votes",
                                "Chokan Runoff: 15.94%, 22,000 votes", "Against all: 4.35%, 6,000 votes"}  # fmt: skip
    assert bars(first)["Aliya Runoff: 43.48%, 60,000 votes"][0] == "highlight"
    assert bars(first)["Berik Runoff: 36.23%, 50,000 votes"][0] == "highlight"
    assert "Second round:" in second and "Elected: Aliya Runoff, with 51.67% of the valid votes" in second
    assert bars(second) == {
        "Aliya Runoff: 51.67%, 62,000 votes": ("highlight", "227.35"),
        "Berik Runoff: 46.67%, 56,000 votes": ("candidate", "205.35"),
        "Against all: 1.67%, 2,000 votes": ("against_all", "7.35"),
    }
    assert "Chokan Runoff" not in second, "only the two leaders are on the second ballot"
    assert "<dd>60.00%</dd>" in second
    assert "President-elect</dt>" in html


def test_a_count_under_way_shows_the_protocols_received_of_expected(client: FlaskClient) -> None:
    html = page(client, "/elections/kz-counting/results")
    first = section(html, 1)
    assert "Protocols received: 3 of 20" in first and "Counting: the CEC has not established the results yet" in first
    assert "Elected" not in first and len(bars(first)) == 3
    assert "<dd>30,000</dd>" in first  # the voters on the lists of the three units received


def test_a_void_election_links_its_rerun_and_the_rerun_links_back(client: FlaskClient) -> None:
    """V6: the count declared void; the re-run is a new election whose vote is still ahead."""
    html = page(client, "/elections/kz-void/results")
    assert "The election was declared void" in section(html, 1) and "CEC-40/1" in html
    assert 'href="/elections/kz-void-rerun/results">Presidential election (re-run)</a>' in html
    assert "Re-run called" in html
    rerun = page(client, "/elections/kz-void-rerun/results")
    assert 'href="/elections/kz-void/results"' in rerun and "This election re-runs" in rerun
    assert "The vote has not closed yet" in rerun and "<svg" not in rerun


def test_the_results_are_linked_from_the_election_its_list_and_its_status_pages(client: FlaskClient, built: Built) -> None:
    link = 'href="/elections/kz-won/results"'
    assert link in page(client, "/elections/kz-won")
    assert link in page(client, "/elections/kz-won/candidates")
    assert link in page(client, f"/candidacies/{built.won.candidacies[1]}")
    assert "/results" not in page(client, "/elections/kz-void-rerun").split("<main", 1)[1], "no results before the vote"


def test_the_chart_escapes_its_texts_and_draws_exact_lengths() -> None:
    svg = charts.bar_chart([charts.Bar('<script>"Ә" & Co</script>', "100.00", "100.00%"), charts.Bar("x", "0.01", "0.01%")],
                           title="T <b>", description="D & E", id_prefix="chart-x")  # fmt: skip
    assert "<script>" not in svg and "&lt;script&gt;&#34;Ә&#34; &amp; Co&lt;/script&gt;" in svg
    assert '<title id="chart-x-title">T &lt;b&gt;</title>' in svg and "D &amp; E" in svg
    assert 'width="440.00"' in svg and 'width="0.04"' in svg  # 440 * 0.01 / 100 = 0.044, to the hundredth
    for bad in ("100.01", "-1", "NaN", "1e3", "half"):
        with pytest.raises(ValueError):
            charts.length(bad)
    with pytest.raises(ValueError):
        charts.bar_chart([], title="t", description="d", id_prefix='x" onload="alert(1)')


# --- CSV and JSON --------------------------------------------------------------------------------


def rows(client: FlaskClient, election: str) -> list[dict[str, str]]:
    response = client.get(f"/elections/{election}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{election}-results.csv"'
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_csv_has_a_national_row_and_a_row_per_unit_per_round(client: FlaskClient, built: Built) -> None:
    won = rows(client, "kz-won")
    assert len(won) == 1 + 20 and [r["unit"] for r in won] == ["national", *sorted(UNITS)]
    aibek = f"Aibek Won ({built.won.candidacies[0]})"
    national = won[0]
    assert (national["valid"], national["turnout_percent"], national[f"{aibek} votes"], national[f"{aibek} percent"],
            national["against_all votes"], national["against_all percent"]) == ("138000", "70.00", "70000", "50.72",
                                                                                "6000", "4.35")  # fmt: skip
    abai = next(row for row in won if row["unit"] == "ABA")
    assert (abai["unit_name"], abai["protocol_version"], abai["violations"], abai["void"]) == ("Abai Region", "2", "true",
                                                                                              "false")  # fmt: skip
    assert (abai[f"{aibek} votes"], abai[f"{aibek} percent"]) == ("3500", "50.72")

    runoff = rows(client, "kz-runoff")
    assert len(runoff) == 2 * 21 and [r["round"] for r in runoff] == ["1"] * 21 + ["2"] * 21
    chokan = f"Chokan Runoff ({built.runoff.candidacies[2]})"
    assert runoff[0][f"{chokan} percent"] == "15.94" and runoff[21][f"{chokan} votes"] == "", "not on the second ballot"
    assert runoff[21]["status"] == "established" and runoff[21]["turnout_percent"] == "60.00"
    for row in won + runoff:  # two decimals as text, never a float's digits
        for key, value in row.items():
            if key.endswith("percent") and value:
                assert re.fullmatch(r"\d{1,3}\.\d\d", value), (key, value)


def _floats(value: Any) -> list[Any]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats(item)]
    return []


def test_the_json_is_the_read_model_with_percentages_as_text(client: FlaskClient, built: Built) -> None:
    body = json.loads(page(client, "/elections/kz-runoff/results.json"))
    assert body == public.as_json(public.results(built.db, "kz-runoff"))
    assert _floats(body) == []
    second = body["rounds"][1]
    assert second["outcome"]["kind"] == "elected" and second["outcome"]["winner"] == built.runoff.candidacies[0]
    assert [c["percent"] for c in second["candidates"]] == ["51.67", "46.67"]
    assert second["against_all"] == {"votes": 2000, "percent": "1.67"}
    assert body["rounds"][0]["outcome"]["leaders"] == built.runoff.candidacies[:2]


@pytest.mark.parametrize("suffix", ["/results", "/results.csv", "/results.json"])
def test_an_unknown_election_has_no_results(client: FlaskClient, suffix: str) -> None:
    response = client.get(f"/elections/nope{suffix}")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)


# --- The timeline after the vote ------------------------------------------------------------------


def test_the_timeline_goes_on_through_the_decisions_and_deadlines_after_the_vote(client: FlaskClient, built: Built) -> None:
    html = page(client, "/elections/kz-runoff")
    timeline = html[html.index('<ol class="timeline">') :]
    order = ["Voting closes", "Results established by the CEC", "Second round called by the CEC", "Second round: voting opens",
             "Second round: voting closes", "Second round: results established by the CEC"]  # fmt: skip
    assert [timeline.index(name) for name in order] == sorted(timeline.index(name) for name in order)
    assert "Latest day for the second round" in timeline and "Protocols of the territorial commissions due" in timeline
    assert "Registration of the President-elect due" in timeline
    assert "No. CEC-55/2" in timeline and "→ Second round called" in timeline
    assert timeline.index("Second round: results established by the CEC") < timeline.index('class="now"')
    assert "<dd>President elected</dd>" in html

    feed = Calendar.from_ical(client.get("/elections/kz-runoff/calendar.ics").data)
    uids = [str(event["uid"]) for event in feed.walk("VEVENT")]
    assert len(uids) == len(set(uids)) == len(public.election(built.db, "kz-runoff").timeline.milestones)
    assert {"kz-runoff.second_round_called@registrar", "kz-runoff.second_round_results_established@registrar"} <= set(uids)


def test_a_deadline_after_the_vote_that_ends_with_a_day_reads_24_00_of_that_day(client: FlaskClient, built: Built) -> None:
    """T2: the protocols' period ends at 24:00 of its last day; the page never writes it as 00:00 of the next."""
    html = page(client, "/elections/kz-runoff")
    due = next(m for m in public.election(built.db, "kz-runoff").timeline.milestones if m.name == "protocols_due")
    local = due.local
    assert (local.hour, local.minute) == (0, 0), "the period ends at midnight"
    last_day = local.date() - dt.timedelta(days=1)
    item = html[html.index(f'<time datetime="{due.at.isoformat()}">') :]
    assert item.startswith(f'<time datetime="{due.at.isoformat()}">{last_day.day} {last_day:%B %Y}, 24:00 (UTC+05:00)</time>')


def test_each_wide_table_of_the_results_scrolls_in_a_labelled_region_a_keyboard_reaches(client: FlaskClient) -> None:
    html = page(client, "/elections/kz-won/results")
    regions = re.findall(r'<div class="scroll" role="region" tabindex="0" aria-labelledby="([a-z0-9-]+)">\s*<table', html)
    assert {"votes-1", "units-1", "decisions"} <= set(regions)
    for label in regions:
        assert f'id="{label}"' in html, f"the region {label} is named by its caption or heading"


def test_every_phase_and_state_has_words() -> None:
    from web.words import MILESTONES, PHASES, STATE_NAMES

    assert set(PHASES) == set(states.PHASES) and "results" not in PHASES
    assert set(STATE_NAMES) == set(states.STATES) and "deceased" in STATE_NAMES
    assert set(public.AFTER_VOTE_MILESTONES) <= set(MILESTONES)


# --- The public cache --------------------------------------------------------------------------


def test_a_new_protocol_moves_the_revision_and_the_cached_page_follows(client: FlaskClient, built: Built) -> None:
    client.application.config["REGISTRAR_PUBLIC_REVISION_SECONDS"] = 0
    before = client.get("/elections/kz-live/results")
    assert "Protocols received: 3 of 20" in before.get_data(as_text=True)
    etag = before.headers["ETag"]
    assert client.get("/elections/kz-live/results", headers={"If-None-Match": etag}).status_code == 304

    results.submit_protocol(built.db, "kz-live", built.live.protocol(UNITS[3], [3600, 3000], 300), actor="test:clerk")
    after = client.get("/elections/kz-live/results", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert "Protocols received: 4 of 20" in after.get_data(as_text=True)
    assert len(rows(client, "kz-live")) == 1 + 4
    assert json.loads(page(client, "/elections/kz-live/results.json"))["rounds"][0]["protocols"]["received"] == 4


# --- Nothing private -----------------------------------------------------------------------------


def test_nothing_private_on_any_results_page_or_export(client: FlaskClient, built: Built) -> None:
    """No protocol's chair, no correction's or decision's reasons, no person's data beyond G2."""
    secrets = private_values(built.db) | {CHAIR, CORRECTION_REASON, VOID_REASON}
    assert leaks(client, every_public_url(built.db), secrets) == {}
    body = json.loads(page(client, "/elections/kz-won/results.json"))
    assert "chair" not in json.dumps(body) and "reason" not in json.dumps(body)
