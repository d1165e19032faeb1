"""The app factory's own duties: a signing key that outlives a restart and is shared by the workers."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from registrar.db import Database
from registrar.settings import Settings
from web import _installation_secret, create_app


def test_the_secret_is_made_once_and_read_back_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "secret_key"
    first = _installation_secret(path)
    assert len(first) >= 32
    assert _installation_secret(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, "readable by its owner only"


def test_workers_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(lambda _: _installation_secret(path), range(8)))
    assert len(secrets) == 1


@pytest.mark.parametrize("path", ["/api/v1/candidacies/9223372036854775808", "/candidacies/2147483648", "/candidacies/0"])
def test_an_id_no_record_can_have_is_a_404_not_a_server_error(path: str, tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'registrar.sqlite3'}")
    database.upgrade()
    app = create_app(Settings(), database, TESTING=True, SECRET_KEY="test")
    assert app.test_client().get(path).status_code == 404
    database.dispose()
