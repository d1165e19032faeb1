"""The app factory's own duties: a signing key that outlives a restart and is shared by the workers."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from web import _installation_secret


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
