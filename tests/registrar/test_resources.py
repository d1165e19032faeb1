"""The installation's data files: packaged, replaced one at a time by an operator, loaded before anything starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registrar import installation, notifications, roles, rules, territory
from registrar.resources import InstallationError, config_file, packaged, read_toml


@pytest.fixture
def operator_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """REGISTRAR_CONFIG_DIR in a temp folder; every cached file is forgotten before and after."""
    monkeypatch.setenv("REGISTRAR_CONFIG_DIR", str(tmp_path))
    caches = (
        rules.for_kind,
        roles.grants,
        roles.triggers_for,
        roles.deadline_roles,
        territory.country,
        territory.on,
        notifications.catalogue,
    )
    for cached in caches:
        cached.cache_clear()
    yield tmp_path
    monkeypatch.delenv("REGISTRAR_CONFIG_DIR")
    for cached in caches:
        cached.cache_clear()


def test_every_packaged_file_loads() -> None:
    assert installation.check() == ["presidential"]
    assert read_toml(packaged("roles.toml"))["actions"]


def test_an_operators_copy_wins_file_by_file(operator_dir: Path) -> None:
    (operator_dir / "territory.toml").write_text(packaged("territory.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert config_file("territory.toml") == operator_dir / "territory.toml"
    assert config_file("roles.toml") == packaged("roles.toml")


def test_an_operator_may_add_an_election_kind(operator_dir: Path) -> None:
    (operator_dir / "rules").mkdir()
    text = packaged("rules/presidential.toml").read_text(encoding="utf-8")
    (operator_dir / "rules" / "snap.toml").write_text(text.replace('kind = "presidential"', 'kind = "snap"', 1), encoding="utf-8")
    assert rules.kinds() == ["presidential", "snap"]
    assert rules.for_kind("snap").kind == "snap"


@pytest.mark.parametrize("relative", ["roles.toml", "territory.toml", "messages/ru.toml", "rules/presidential.toml"])
def test_a_broken_file_stops_the_start_naming_its_path(operator_dir: Path, relative: str) -> None:
    broken = operator_dir / relative
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("[unclosed\n", encoding="utf-8")
    with pytest.raises(InstallationError, match=rf"^{broken}: not valid TOML"):
        installation.check()


def test_a_missing_file_is_named() -> None:
    with pytest.raises(InstallationError, match=r"nowhere\.toml: no such file"):
        read_toml(packaged("nowhere.toml"))
