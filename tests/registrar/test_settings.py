"""An installation's settings: the defaults stand without a file; a named file and the environment override them."""

from __future__ import annotations

from pathlib import Path

import pytest

from registrar.settings import EXAMPLE_FILE, Settings, SettingsError, load


def test_without_a_file_the_defaults_stand() -> None:
    assert load(environ={}) == Settings()


def test_the_packaged_example_documents_exactly_the_defaults() -> None:
    # The example is what an operator copies: a default changed in one place only would mislead them.
    assert load(EXAMPLE_FILE, environ={}) == Settings()


def test_a_named_file_overrides_the_defaults_and_the_environment_overrides_the_file(tmp_path: Path) -> None:
    own = tmp_path / "registrar.toml"
    own.write_text("[sweep]\nbatch = 50\ninterval_seconds = 2\n[reminders.kinds]\nappeal_window = [48]\n", encoding="utf-8")
    settings = load(environ={"REGISTRAR_SETTINGS": str(own), "REGISTRAR_SWEEP_BATCH": "7"})
    assert (settings.sweep_batch, settings.sweep_interval_seconds) == (7, 2)
    assert settings.reminder_leads("appeal_window") == (48 * 3600,)
    assert settings.database_url == Settings().database_url


def test_a_named_file_that_is_missing_or_broken_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=rf"{tmp_path}/absent.toml: no such settings file"):
        load(environ={"REGISTRAR_SETTINGS": str(tmp_path / "absent.toml")})
    broken = tmp_path / "broken.toml"
    broken.write_text("[sweep\nbatch = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=rf"{broken}: not valid TOML"):
        load(environ={"REGISTRAR_SETTINGS": str(broken)})


def test_a_bad_value_names_its_key() -> None:
    with pytest.raises(SettingsError, match="REGISTRAR_SWEEP_BATCH: expected int"):
        load(environ={"REGISTRAR_SWEEP_BATCH": "many"})
    with pytest.raises(SettingsError, match=r"sweep\.interval_seconds: expected a positive number"):
        load(environ={"REGISTRAR_SWEEP_INTERVAL_SECONDS": "0"})


def test_the_public_address_and_the_document_limit_come_from_the_file_or_the_environment() -> None:
    settings = load(
        environ={"REGISTRAR_WEB_PUBLIC_URL": "https://example.kz/registrar/", "REGISTRAR_DOCUMENTS_MAX_MEGABYTES": "5"}
    )
    assert settings.public_url == "https://example.kz/registrar"  # no trailing slash: links are joined onto it
    assert settings.document_max_bytes == 5 * 1024 * 1024


@pytest.mark.parametrize("url", ["registrar.election.gov.kz", "ftp://example.kz", "https://", "https://example.kz/?x=1"])
def test_a_public_address_that_is_no_web_address_is_refused_with_its_key(url: str) -> None:
    with pytest.raises(SettingsError, match=r"web\.public_url"):
        load(environ={"REGISTRAR_WEB_PUBLIC_URL": url})
