"""Where a login goes next: a path of this site, parsed and rebuilt, whatever the browser would make
of what was typed (issue 13: ``/\\t/evil.example/phish`` went to ``//evil.example/phish``, and CR/LF
answered 500)."""

from __future__ import annotations

import pytest

from .conftest import PASSWORD, WebWorld


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example/phish", "/\n/evil.example",
    "/\r\nSet-Cookie: x=1", "\t//evil.example", " //evil.example", "javascript:alert(1)",
    "http:/evil.example", "/\x00/evil.example", "///evil.example",
])  # fmt: skip
def test_a_next_that_could_leave_the_site_goes_to_the_dashboard(web_world: WebWorld, target: str) -> None:
    login = web_world.new_account("clerk")
    response = web_world.client().submit("/login", {"login": login, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/officer/", repr(target)


@pytest.mark.parametrize("target", ["/officer/inbox", "/officer/search?q=%D0%90%D0%B9&page=2", "/officer/elections/x"])
def test_a_path_of_the_site_is_kept_with_its_query(web_world: WebWorld, target: str) -> None:
    login = web_world.new_account("clerk")
    response = web_world.client().submit("/login", {"login": login, "password": PASSWORD, "next": target})
    assert response.headers["Location"] == target
