"""The API after the vote: protocols (V3), results (V4-V7), decisions on the election with If-Match, refunds (D5).

One database per backend for the module: "kz-api-won", carried to the President's registration
(read only here), and "kz-api-count", a count with 19 of the 20 protocols in, which only the
test of the whole count through the API changes; the role tests provoke refusals only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from registrar import machines, public, results, territory
from tests.conftest import BACKENDS
from tests.databases import module_database
from tests.web.conftest import make_app
from tests.web.helpers import CHAIR, Held, hold_election
from tests.web.test_api import V1, Api

TODAY = dt.date.today()
UNITS = [unit.code for unit in territory.current().units]


@dataclass
class Elections:
    api: Api
    won: Held
    count: Held


@pytest.fixture(scope="module", params=BACKENDS)
def held(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Elections]:
    database = module_database(request, tmp_path_factory, "api-results")
    won = hold_election(database, "kz-api-won", TODAY - dt.timedelta(days=50), ["Asan Won", "Baurzhan Five", "Dias Few"])
    won.submit_all([3500, 2700, 300], 400)  # 50.72%, 39.13%, 4.35% (under D5's 5%), against all 5.80%
    results.submit_protocol(database, won.id, won.protocol(UNITS[0], [3500, 2700, 300], 400, reason="re-added"),
                            actor="test:clerk", at=won.counted_at + dt.timedelta(hours=2), correction=True)  # fmt: skip
    won.decide("establish_results", won.counted_at + dt.timedelta(days=2))
    won.decide("register_president", won.counted_at + dt.timedelta(days=3))
    count = hold_election(database, "kz-api-count", TODAY - dt.timedelta(days=5), ["Kairat Count", "Lyazzat Count"])
    count.submit_all([3600, 3000], 300, units=19)
    yield Elections(Api(make_app(database), database), won, count)
    database.dispose()


# --- The OpenAPI document ------------------------------------------------------------------------


def test_the_openapi_document_lists_the_paths_after_the_vote(held: Elections) -> None:
    spec = held.api.client.get(f"{V1}/openapi.json").get_json()
    base = f"{V1}/elections/{{election_id}}"
    paths = {f"{base}/protocols": {"get", "post"}, f"{base}/protocols/{{unit}}/corrections": {"post"},
             f"{base}/results": {"get"}, f"{base}/decisions/{{trigger}}": {"post"}, f"{base}/refunds": {"get"}}  # fmt: skip
    for path, methods in paths.items():
        assert methods <= set(spec["paths"][path]), path
    assert spec["paths"][f"{base}/protocols"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Protocol"
    }
    decide = spec["paths"][f"{base}/decisions/{{trigger}}"]["post"]
    trigger = next(p for p in decide["parameters"] if p["name"] == "trigger")
    assert set(trigger["schema"]["enum"]) == set(machines.ELECTION_TRIGGERS) - {"close_president_appeal_window"}
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in decide["parameters"])
    assert {"412", "409", "422"} <= set(decide["responses"])
    assert {"Protocol", "ProtocolCorrection", "SecondRound", "Void", "Rerun", "Results", "ProtocolView", "RefundLine",
            "ElectionOutcome"} <= set(spec["components"]["schemas"])  # fmt: skip


# --- Reading -------------------------------------------------------------------------------------


def test_the_public_reads_the_results(held: Elections) -> None:
    response = held.api.get("/elections/kz-api-won/results")
    assert response.status_code == 200
    body = response.get_json()
    assert body == public.as_json(public.results(held.api.db, "kz-api-won"))
    first = body["rounds"][0]
    assert first["outcome"]["kind"] == "elected" and first["outcome"]["winner"] == held.won.candidacies[0]
    assert [c["percent"] for c in first["candidates"]] == ["50.72", "39.13", "4.35"]
    assert first["against_all"] == {"votes": 8000, "percent": "5.80"}
    assert body["president"]["status"] == "registered" and body["president"]["full_name"] == "Asan Won"
    assert held.api.get("/elections/nope/results").get_json()["code"] == "not_found"


def test_protocols_the_public_reads_without_the_chair_an_official_with_it(held: Elections) -> None:
    anonymous = held.api.get("/elections/kz-api-won/protocols").get_json()
    assert len(anonymous) == 20 and all("chair" not in p and "reason" not in p for p in anonymous)
    assert CHAIR not in str(anonymous)
    history = held.api.get("/elections/kz-api-won/protocols?history=true&round=1").get_json()
    assert len(history) == 21 and sorted(p["version"] for p in history if p["unit"] == UNITS[0]) == [1, 2]
    assert held.api.get("/elections/kz-api-won/protocols?round=2").get_json() == []
    official = held.api.get("/elections/kz-api-won/protocols?history=true", "auditor").get_json()
    assert {p["chair"] for p in official} == {CHAIR} and {p["reason"] for p in official} == {"", "re-added"}
    bad = held.api.get("/elections/kz-api-won/protocols?round=3")
    assert (bad.status_code, bad.get_json()["code"]) == (422, "invalid") and "round" in bad.get_json()["errors"]


def test_refunds_are_for_officials(held: Elections) -> None:
    """D5: the winner's and those with 5% or more of the first round's valid votes; 4.35% is not refunded."""
    assert held.api.get("/elections/kz-api-won/refunds").status_code == 401
    body = held.api.get("/elections/kz-api-won/refunds", "auditor").get_json()
    by_id = {line["candidacy_id"]: line for line in body}
    winner, second, _ = held.won.candidacies
    assert set(by_id) == {winner, second}
    assert by_id[winner]["reasons"] == ["elected", "vote_share"] and by_id[second]["reasons"] == ["vote_share"]
    assert all(isinstance(line["amount"], int) and line["amount"] > 0 for line in body)


# --- Who may do what -------------------------------------------------------------------------------


def test_the_public_may_not_submit_nor_decide_and_each_role_only_its_own(held: Elections) -> None:
    api, url = held.api, "/elections/kz-api-count"
    for path in (f"{url}/protocols", f"{url}/protocols/ABA/corrections", f"{url}/decisions/establish_results",
                 f"{url}/decisions/conquer"):  # fmt: skip
        response = api.post(path, {}, "public", **{"If-Match": "1"})
        assert (response.status_code, response.get_json()["code"]) == (401, "unauthenticated"), path
    for role in ("commission", "court", "auditor", "revenue", "admin"):
        assert api.post(f"{url}/protocols", {}, role).status_code == 403, role
    for role in ("clerk", "court", "auditor"):
        assert api.post(f"{url}/decisions/establish_results", {}, role, **{"If-Match": "1"}).status_code == 403, role
    assert api.post(f"{url}/decisions/appeal_president_refusal", {}, "commission", **{"If-Match": "1"}).status_code == 403
    # The right role reaches the domain: an empty protocol names its fields; nothing is written.
    empty = api.post(f"{url}/protocols", {}, "clerk")
    assert (empty.status_code, empty.get_json()["code"]) == (422, "invalid")
    assert {"unit", "votes", "ballots_cast", "chair"} <= set(empty.get_json()["errors"])
    for trigger in ("conquer", "close_president_appeal_window"):  # the sweep's own is not an endpoint
        unknown = api.post(f"{url}/decisions/{trigger}", {}, "commission", **{"If-Match": "1"})
        assert (unknown.status_code, unknown.get_json()["code"]) == (404, "not_found"), trigger
    missing = api.post(f"{url}/decisions/establish_results", {}, "commission")
    assert (missing.status_code, missing.get_json()["code"]) == (412, "precondition_required")
    assert api.post(f"{url}/decisions/establish_results", {}, "commission", **{"If-Match": "v1"}).status_code == 400
    assert len(results.protocols(api.db, "kz-api-count")) == 19


def test_a_decision_not_open_in_the_phase_is_409(held: Elections) -> None:
    api = held.api
    version = api.get("/elections/kz-api-won", "commission").headers["ETag"]
    refused = api.post("/elections/kz-api-won/decisions/establish_results", {"number": "X", "decided_on": "2026-01-01"},
                       "commission", **{"If-Match": version})  # fmt: skip
    body = refused.get_json()
    assert (refused.status_code, body["code"], body["state"], body["trigger"]) == (
        409, "not_allowed", "president_registered", "establish_results")  # fmt: skip
    late = api.post("/elections/kz-api-won/protocols", held.won.protocol(UNITS[0], [1, 1, 1], 6897), "clerk")
    assert (late.status_code, late.get_json()["code"]) == (409, "not_allowed")


# --- The count through the API ---------------------------------------------------------------------


def test_the_last_protocol_a_correction_and_the_results_through_the_api(held: Elections) -> None:
    api, count, url = held.api, held.count, "/elections/kz-api-count"
    first, second = count.candidacies
    last = UNITS[-1]

    # V3: a protocol that does not add up is refused field by field.
    bad = count.protocol(last, [3600, 3000], 300, cast=7000) | {"ballots_issued": 6000}
    bad["votes"] = {str(first): 3600}
    refused = api.post(f"{url}/protocols", bad, "clerk")
    assert (refused.status_code, refused.get_json()["code"]) == (422, "invalid")
    assert {"ballots_cast", f"votes.{second}"} <= set(refused.get_json()["errors"])

    submitted = api.post(f"{url}/protocols", count.protocol(last, [3600, 3000], 300), "clerk")
    assert submitted.status_code == 201, submitted.get_json()
    body = submitted.get_json()
    assert (body["unit"], body["round"], body["version"], body["chair"]) == (last, 1, 1, CHAIR)
    assert body["votes"] == {str(first): 3600, str(second): 3000} and body["turnout_percent"] == "70.00"
    assert submitted.headers["Location"].endswith(f"{V1}{url}/protocols?round=1")
    again = api.post(f"{url}/protocols", count.protocol(last, [3600, 3000], 300), "clerk")
    assert (again.status_code, "unit") == (422, next(iter(again.get_json()["errors"])))

    no_reason = api.post(f"{url}/protocols/{last}/corrections", count.protocol(last, [3700, 2900], 300), "clerk")
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    corrected = api.post(f"{url}/protocols/{last}/corrections",
                         count.protocol("ABA", [3700, 2900], 300, reason="a sheet re-added"), "clerk")  # fmt: skip
    assert corrected.status_code == 201 and (corrected.get_json()["unit"], corrected.get_json()["version"]) == (last, 2)

    # V4: the commission decides with the version it read; a stale one is refused, never overwritten.
    shown = api.get(url, "commission")
    version = int(shown.headers["ETag"].strip('"'))
    assert shown.get_json()["version"] == version
    assert {"establish_results", "declare_void"} <= set(shown.get_json()["allowed"])
    assert api.get(url).headers.get("ETag") is None and "version" not in api.get(url).get_json()
    assert "establish_results" not in api.get(url, "court").get_json()["allowed"]
    decision = {"number": "CEC-5/1", "decided_on": TODAY.isoformat()}
    stale = api.post(f"{url}/decisions/establish_results", decision, "commission", **{"If-Match": str(version - 1)})
    assert (stale.status_code, stale.get_json()["code"], stale.get_json()["current_version"]) == (409, "stale_version",
                                                                                                  version)  # fmt: skip
    invalid = api.post(f"{url}/decisions/establish_results", {"number": "CEC-5/1"}, "commission",
                       **{"If-Match": f'"{version}"'})  # fmt: skip
    assert (invalid.status_code, invalid.get_json()["code"]) == (422, "invalid") and "decided_on" in invalid.get_json()["errors"]

    decided = api.post(f"{url}/decisions/establish_results", decision, "commission", **{"If-Match": f'"{version}"'})
    assert decided.status_code == 200, decided.get_json()
    outcome = decided.get_json()
    assert (outcome["previous_phase"], outcome["phase"], outcome["outcome"], outcome["winner"]) == (
        "counting", "elected", "elected", first)  # fmt: skip
    assert decided.headers["ETag"] == f'"{outcome["version"]}"' and outcome["version"] > version
    assert "register_president" in outcome["allowed"]
    assert {d["kind"] for d in outcome["deadlines"]} == {"president_registration_due"}

    # The public reads what was decided; the count is closed to protocols.
    results_ = api.get(f"{url}/results").get_json()
    assert results_["phase"] == "elected" and results_["rounds"][0]["status"] == "established"
    assert results_["rounds"][0]["candidates"][0]["votes"] == 19 * 3600 + 3700
    late = api.post(f"{url}/protocols/{last}/corrections", count.protocol(last, [3600, 3000], 300, reason="late"), "clerk")
    assert (late.status_code, late.get_json()["code"]) == (409, "not_allowed")

    # V7: the registration, with the version the decision returned.
    old = api.post(f"{url}/decisions/register_president", decision | {"number": "CEC-5/2"}, "commission",
                   **{"If-Match": str(version)})  # fmt: skip
    assert old.get_json()["code"] == "stale_version"
    registered = api.post(f"{url}/decisions/register_president", decision | {"number": "CEC-5/2"}, "commission",
                          **{"If-Match": decided.headers["ETag"]})  # fmt: skip
    assert registered.status_code == 200 and registered.get_json()["phase"] == "president_registered"
    assert registered.get_json()["president"] == first
    assert api.get(f"{url}/results").get_json()["president"]["status"] == "registered"
