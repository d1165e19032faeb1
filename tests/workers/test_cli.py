"""``registrar worker``: one clear line when it cannot run, a worker with beat inside when it can."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from registrar.db import Database
from tests.workers.harness import (
    ROOT,
    STARTUP_SECONDS,
    SWEEP_INTERVAL,
    Election,
    Process,
    RedisServer,
    assert_each_applied_once,
    fired_count,
    wait_until,
)


def _environment(**settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("REGISTRAR_", "CELERY_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.update(settings)
    return env


def _run(tmp_path: Path, *args: str, **settings: str) -> tuple[int, str, str]:
    result = subprocess.run([sys.executable, "-m", "registrar", *args], cwd=tmp_path, env=_environment(**settings),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    return result.returncode, result.stdout, result.stderr


def _json_lines(text: str) -> list[dict[str, Any]]:
    entries = []
    for line in text.splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({}, "registrar worker: no broker: set REGISTRAR_BROKER_URL"),
        ({"REGISTRAR_BROKER_URL": "amqp://guest@127.0.0.1:5672//"}, "registrar worker: the broker must be Redis"),
        ({"REGISTRAR_BROKER_URL": "redis://127.0.0.1:1/0", "REGISTRAR_SWEEP_INTERVAL_SECONDS": "often"},
         "registrar worker: settings: REGISTRAR_SWEEP_INTERVAL_SECONDS"),
    ],
    ids=["no-broker", "not-redis", "bad-setting"],
)  # fmt: skip
def test_a_worker_that_cannot_run_says_why_in_one_line(tmp_path: Path, settings: dict[str, str], says: str) -> None:
    status, stdout, stderr = _run(tmp_path, "worker", **settings)
    assert status == 1
    assert stderr.startswith(says), stderr
    assert len(stderr.strip().splitlines()) == 1, f"expected one line, got:\n{stderr}"
    assert "Traceback" not in stderr + stdout


def test_registrar_worker_with_beat_inside_sweeps_and_stops_cleanly(
    db: Database, election: Election, redis_server: RedisServer, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    keys = election.information_requests_due([now - dt.timedelta(seconds=60 - i) for i in range(60)])
    url = db.engine.url.render_as_string(hide_password=False)
    env = _environment(REGISTRAR_BROKER_URL=redis_server.url, REGISTRAR_SWEEP_INTERVAL_SECONDS=str(SWEEP_INTERVAL),
                       REGISTRAR_LOGGING_FORMAT="json", PYTHONUNBUFFERED="1")  # fmt: skip
    # The database comes from `registrar --database`, not the environment.
    argv = [sys.executable, "-m", "registrar", "--database", url, "worker", "--beat", "--concurrency", "1",
            "--loglevel", "INFO"]  # fmt: skip
    worker = Process("registrar-worker", argv, tmp_path / "worker.log", env, cwd=tmp_path).start()
    try:
        wait_until(lambda: " ready." in worker.log() or not worker.running, timeout=STARTUP_SECONDS,
                   what="registrar worker to start", logs=worker.log)  # fmt: skip
        assert worker.running, worker.log()
        wait_until(lambda: fired_count(db, keys) == len(keys), timeout=60, what="the embedded beat's sweep", logs=worker.log)
        assert_each_applied_once(db, keys)
        # The task logs its run after the sweep's commit: the rows can be read before the line is written.
        wait_until(lambda: any(entry.get("logger") == "workers.tasks" and entry["message"].startswith("sweep: fired")
                               for entry in _json_lines(worker.log())),
                   timeout=30, what="the sweep task's log line", logs=worker.log)  # fmt: skip

        worker.signal(signal.SIGTERM)
        assert worker.popen is not None
        assert worker.popen.wait(30) == 0, worker.log()
    finally:
        worker.kill()
