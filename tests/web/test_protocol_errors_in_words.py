"""A protocol that does not add up (V3) says so at its fields in the reader's language: the sums'
messages are the catalogues' (registrar.tally.protocol_errors returns message ids with their numbers)."""

from __future__ import annotations

import pytest

from tests.registrar.test_every_reason_in_words import english_in
from tests.web.test_officer_results import ELECTION, NAMES, as_form, protocol, voted  # noqa: F401 (the fixture)
from tests.web.test_reasons_in_words import visible_text

from .conftest import WebWorld

SAID = {
    "kk": ("берілген сайлау бюллетеньдерінің санынан (7\xa0000) аспауы тиіс",
           "бюллетеньге енгізілген әр кандидатқа берілген дауыстар саны көрсетілуі тиіс"),
    "ru": ("не может превышать число выданных избирательных бюллетеней (7\xa0000)",
           "требуется число голосов за каждого кандидата, внесённого в бюллетень"),
}  # fmt: skip
ENGLISH = ("cannot exceed the ballots issued", "the votes for every candidate on the ballot are required")


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_protocol_that_does_not_add_up_is_refused_in_the_readers_language(voted: tuple[WebWorld, list[int]],  # noqa: F811
                                                                            language: str) -> None:  # fmt: skip
    world, ids = voted
    clerk = world.login_as("clerk")
    clerk.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    clerk.get(f"/language/{language}")
    data = as_form(protocol(ids, "ABA", ballots_cast=7_200, ballots_issued=7_000))
    del data[f"votes.{ids[1]}"]
    response = clerk.submit(f"/officer/elections/{ELECTION}/protocols/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for words in SAID[language]:
        assert words in page, words
    assert not [text for text in ENGLISH if text in page]
    # The error summary, less the candidates' names (this election's are in Latin script), is all in words.
    summary = visible_text(page.split('class="error-summary', 1)[1].split(">", 1)[1].split("</div>", 1)[0])
    for name in NAMES:
        summary = summary.replace(name, " ")
    assert SAID[language][0] in summary and not english_in(summary), summary
