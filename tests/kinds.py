"""Rules files other than the packaged one, put in force for one test through REGISTRAR_CONFIG_DIR.

``second_kind``: tests/data/rules/senate_test.toml beside the presidential file, a kind with
other rules and other numbers. ``edit_presidential``: the presidential file in force replaced
by an edited copy, as an operator would mid-election. A test module imports the ``*_fixture``
function to use the fixture by its name. Both clear the cache of the files in
force on the way in and out, so no other test sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from registrar.resources import ENVIRONMENT_VARIABLE, packaged
from registrar.rules import Rules, for_kind

DATA = Path(__file__).parent / "data"
SECOND_KIND = "senate_test"


@pytest.fixture(name="second_kind")
def second_kind_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Rules]:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(DATA))
    for_kind.cache_clear()
    yield for_kind(SECOND_KIND)
    for_kind.cache_clear()


Edit = Callable[[dict[str, str]], Rules]


@pytest.fixture(name="edit_presidential")
def edit_presidential_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Edit]:
    """``edit({old: new})``: the presidential file in force becomes the packaged one with each ``old``
    line replaced by ``new`` (each must be there once); returns the rules now in force."""

    def edit(replacements: dict[str, str]) -> Rules:
        text = packaged("rules/presidential.toml").read_text(encoding="utf-8")
        for old, new in replacements.items():
            assert text.count(old) == 1, f"{old!r} is not once in the presidential file"
            text = text.replace(old, new)
        (tmp_path / "rules").mkdir(exist_ok=True)
        (tmp_path / "rules" / "presidential.toml").write_text(text, encoding="utf-8")
        monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path))
        for_kind.cache_clear()
        return for_kind("presidential")

    yield edit
    for_kind.cache_clear()
