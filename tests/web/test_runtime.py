"""The in-process runner: a real thread sweeping real overdue deadlines, surviving a failing database, stopping."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from registrar import runtime
from registrar.db import Database
from registrar.settings import Settings
from tests.web.helpers import announce_past_election, closed_port, statuses

# The audit's key and checkpoints where tests/conftest.py puts them, not in the working directory.
AUDIT_FILES = {"audit_key_file": os.environ["REGISTRAR_AUDIT_KEY_FILE"],
               "audit_checkpoints_file": os.environ["REGISTRAR_AUDIT_CHECKPOINTS_FILE"]}  # fmt: skip
FAST = Settings(sweep_interval_seconds=0.05, **AUDIT_FILES)


def _eventually(condition: Callable[[], bool], timeout: float = 20) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (a bound, not a speed requirement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_run_once_fires_overdue_deadlines_once(db: Database) -> None:
    keys = announce_past_election(db)

    first = runtime.run_once(db, FAST, dt.datetime.now(dt.UTC))
    again = runtime.run_once(db, FAST, dt.datetime.now(dt.UTC))

    assert first.errors == {}
    assert first.swept is not None and first.swept.total == len(keys)
    assert statuses(db, keys) == {"fired"}
    assert again.swept is not None and again.swept.total == 0, "a second round finds nothing left to fire"
    assert first.delivered is not None


def test_the_runner_thread_sweeps_an_overdue_deadline_and_stops(db: Database) -> None:
    keys = announce_past_election(db)

    runner = runtime.start(db, FAST)
    try:
        swept = _eventually(lambda: statuses(db, keys) == {"fired"})
    finally:
        stopped = runner.stop(timeout=10)

    assert swept, f"the runner did not fire the overdue deadlines: {statuses(db, keys)}"
    assert stopped and not runner.alive


def test_the_runner_survives_an_unreachable_database_and_resumes(sqlite_template: Path, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    # The file's directory does not exist yet: every round fails until it does.
    path = tmp_path / "later" / "registrar.sqlite3"
    db = Database(f"sqlite:///{path}")
    runner = runtime.start(db, FAST)
    try:
        with caplog.at_level(logging.ERROR, logger="registrar.runtime"):
            assert _eventually(lambda: runner.rounds >= 3)
        assert runner.alive, "a failing round must not end the thread"
        failures = [r for r in caplog.records if r.name == "registrar.runtime" and r.exc_info]
        assert {getattr(r, "step", None) for r in failures} == {"sweep", "delivery", "checkpoint"}

        # The folder appears with its database whole (a rename), so no round can open an empty file
        # in between and keep it in the pool ("no such table" once, under a loaded machine).
        staging = tmp_path / "staging"
        staging.mkdir()
        shutil.copy(sqlite_template, staging / path.name)
        staging.rename(path.parent)
        keys = announce_past_election(db)
        assert _eventually(lambda: statuses(db, keys) == {"fired"}), "the runner resumes once the database is back"
    finally:
        assert runner.stop(timeout=10)
        db.dispose()


def test_run_once_reports_each_failing_step_without_raising() -> None:
    db = Database(f"postgresql://postgres@127.0.0.1:{closed_port()}/test")
    try:
        result = runtime.run_once(db, FAST)
    finally:
        db.dispose()

    assert (result.swept, result.delivered) == (None, None)
    assert set(result.errors) == {"sweep", "delivery", "checkpoint"}
    assert "OperationalError" in result.errors["sweep"]


def test_stop_before_the_first_round_ends_is_clean(db: Database) -> None:
    runner = runtime.start(db, Settings(sweep_interval_seconds=3600, **AUDIT_FILES))

    assert runner.stop(timeout=10)
    assert not runner.alive
    assert runner.rounds == 1, "the first round runs at once; then it waits for the interval, and stop() ends the wait"
