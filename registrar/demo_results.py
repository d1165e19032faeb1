"""The demo's concluded election: from the announcement to the registered President.

An election held about two months before ``today``, walked through every stage after the
vote with the same actions an officer takes and the same sweep that enforces the deadlines:
four candidates registered, voting, a protocol from each of the 20 territorial commissions
(one corrected), no majority (V4), a withdrawal before the second round so the third takes
the place (V5), the second round, the results, and the President's registration (V7).
The figures are made up but add up: every protocol passes the V3 checks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from itertools import count
from typing import Any

from registrar import actions, results, sweep, territory
from registrar.calendar import voting_hours
from registrar.db import Database
from registrar.models import Election
from registrar.rules import for_kind

CONCLUDED_ID = "demo-concluded"
COMMISSION = "demo:commission"
CLERK = "demo:clerk"

# (person, share of the valid votes in the first round, in thousandths); the rest is "against all".
CANDIDATES = [
    ("Серік Ахметов", 462),
    ("Айжан Дәулетова", 268),
    ("Руслан Кемелбеков", 171),
    ("Мадина Есенова", 61),
]
# Second round, in thousandths, between the first and the third (the second withdrew).
SECOND_ROUND = (566, 402)
# The chairs of the territorial commissions, who sign their protocols (V3), one per unit in turn.
CHAIRS = ["Ахметова Гүлмира Сәрсенқызы", "Бекмұхамбетов Асқар Нұрланұлы", "Жұмабаева Салтанат Ерланқызы",
          "Исабеков Дәурен Маратұлы", "Қалиева Ләззат Болатқызы", "Мұратов Ерлан Серікұлы",
          "Нұрпейісова Айнұр Жанатқызы", "Оспанов Талғат Қайратұлы", "Сейітова Мөлдір Асанқызы",
          "Тоқтаров Нұрсұлтан Әділұлы"]  # fmt: skip
CORRECTION_REASON = "Есеп парағы қайта қосылды: 1 дауыс ауыстырылды"
WITHDRAWAL_REASON = "Кандидаттың өз кандидатурасын алып тастау туралы өтініші"


def build_concluded(db: Database, today: dt.date, associations: list[int], *, numbers: Iterator[int] | None = None) -> str:
    """Create the concluded demo election (once); ``associations`` nominate its candidates; ``numbers``
    number the CEC's resolutions of its year."""
    from registrar import demo

    with db.reading() as session:
        if session.get(Election, CONCLUDED_ID) is not None:
            return CONCLUDED_ID
    rules = for_kind("presidential")
    zone = rules.zone
    election_day = today - dt.timedelta(days=63)
    numbered = numbers if numbers is not None else count(141)
    calendar = demo.announce(db, CONCLUDED_ID, demo.titles(election_day.year, concluded=True),
                             election_day - dt.timedelta(days=120), election_day, actor=COMMISSION)  # fmt: skip
    ids = []
    for index, (name, _) in enumerate(CANDIDATES):
        at = calendar.nomination_opens + dt.timedelta(days=3, hours=index)
        outcome = actions.nominate(
            db, CONCLUDED_ID,
            {"association_id": associations[index], "person": demo.person(name, election_day),
             "decision": demo.decision(calendar.local(at).date() - dt.timedelta(days=1))},
            actor=CLERK, at=at,
        )  # fmt: skip
        demo.walk(db, outcome.candidacy_id, "registered", calendar.registration_opens + dt.timedelta(days=index),
                  numbers=numbered)  # fmt: skip
        ids.append(outcome.candidacy_id)
    sweep.sweep(db, calendar.voting_opens + dt.timedelta(minutes=1))  # V2: voting opens, the ballot is fixed

    # V3: the protocols, the evening after the vote and the next morning; one corrected (a new version).
    counted_at = calendar.voting_closes + dt.timedelta(hours=4)
    shares = [share for _, share in CANDIDATES]
    units = territory.current().units
    for index, unit in enumerate(units):
        payload = _protocol(unit, ids, shares, seed=index, day=election_day)
        results.submit_protocol(db, CONCLUDED_ID, payload, actor=CLERK, at=counted_at + dt.timedelta(minutes=17 * index))
    corrected = _protocol(units[0], ids, shares, seed=0, day=election_day, shift=1)
    results.submit_protocol(db, CONCLUDED_ID, corrected | {"reason": CORRECTION_REASON},
                            actor=CLERK, at=counted_at + dt.timedelta(days=1), correction=True)  # fmt: skip

    def decide(trigger: str, day: dt.date, **payload: Any) -> None:
        at = dt.datetime.combine(day, dt.time(15), tzinfo=zone)
        number = demo.resolution_number(day, next(numbered))
        results.perform_election(db, CONCLUDED_ID, trigger, {"number": number, "decided_on": day.isoformat(), **payload},
                                 actor=COMMISSION, at=at)  # fmt: skip

    decide("establish_results", election_day + dt.timedelta(days=4))  # V4: no majority; V5: a second round
    second_day = election_day + dt.timedelta(days=21)
    decide("call_second_round", election_day + dt.timedelta(days=5), voting_day=second_day.isoformat())
    # V5: the runner-up withdraws; the third of the first round takes the place.
    withdrawn_on = election_day + dt.timedelta(days=7)
    actions.perform(db, ids[1], "withdraw", {"number": demo.resolution_number(withdrawn_on, next(numbered)),
                                             "decided_on": withdrawn_on.isoformat(), "reason": WITHDRAWAL_REASON}, actor=CLERK,
                    at=dt.datetime.combine(withdrawn_on, dt.time(11), tzinfo=zone))  # fmt: skip
    opens, closes = voting_hours(second_day, rules)
    sweep.sweep(db, opens + dt.timedelta(minutes=1))
    sweep.sweep(db, closes + dt.timedelta(minutes=1))
    pair = [ids[0], ids[2]]
    for index, unit in enumerate(units):
        payload = _protocol(unit, pair, list(SECOND_ROUND), seed=100 + index, day=second_day)
        results.submit_protocol(db, CONCLUDED_ID, payload, actor=CLERK, at=closes + dt.timedelta(hours=3, minutes=11 * index))
    decide("establish_results", second_day + dt.timedelta(days=3))  # V5: the one with more votes wins
    decide("register_president", second_day + dt.timedelta(days=6))  # V7: within 7 days
    return CONCLUDED_ID


def _protocol(unit: territory.Unit, ballot: list[int], shares: list[int], *, seed: int, day: dt.date,
              shift: int = 0) -> dict[str, Any]:  # fmt: skip
    """A protocol that adds up: about two thirds turnout, 1% invalid, the shares varied a little per unit."""
    rng = random.Random(seed)
    issued = unit.voters * rng.randint(620, 720) // 1000
    cast = issued - rng.randint(20, 200)
    invalid = cast * rng.randint(6, 14) // 1000
    valid = cast - invalid
    weights = [max(share + rng.randint(-25, 25), 1) for share in shares]
    against_weight = max(1000 - sum(shares) + rng.randint(-5, 5), 1)
    total = sum(weights) + against_weight
    votes = [valid * w // total for w in weights]
    votes[0] += shift
    votes[-1] -= shift
    against = valid - sum(votes)
    return {"unit": unit.code, "voters_on_list": unit.voters, "ballots_issued": issued, "ballots_cast": cast,
            "invalid_ballots": invalid, "votes": {str(i): v for i, v in zip(ballot, votes, strict=True)},
            "against_all": against, "chair": CHAIRS[seed % len(CHAIRS)], "members_signed": unit.members,
            "signed_on": day.isoformat()}  # fmt: skip


def summary(db: Database, election_id: str = CONCLUDED_ID) -> str:
    """An election's results in a few lines: each round's turnout and shares, and the President
    (also ``registrar election results``)."""
    view = results.results(db, election_id)
    lines = [f"{view['title']} [{election_id}]: {view['phase'].replace('_', ' ')}"]
    for round_ in view["rounds"]:
        totals = round_["totals"]
        lines.append(f"  round {round_['round']} on {round_['voting_day']}: turnout {totals['turnout_percent']}%, "
                     f"{round_['protocols']['received']}/{round_['protocols']['expected']} protocols")  # fmt: skip
        lines += [f"    {c['full_name']:<22} {c['votes']:>10,} {c['percent']:>6}%" for c in round_["candidates"]]
        if round_["against_all"] is not None:
            lines.append(f"    {'against all':<22} {round_['against_all']['votes']:>10,} {round_['against_all']['percent']:>6}%")
    if view["president"] is not None:
        lines.append(f"  President: {view['president']['full_name']} ({view['president']['status']})")
    return "\n".join(lines)
