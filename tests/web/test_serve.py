"""``registrar serve`` as a real process: migrates, serves /health, sweeps in-process, stops on SIGTERM with status 0."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.web.helpers import closed_port

STARTUP_TIMEOUT = 60


@dataclass
class Served:
    process: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def wait_for(self, fragment: str, timeout: float = STARTUP_TIMEOUT) -> dict[str, Any]:
        """The first JSON log record whose message contains ``fragment``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
            record = json.loads(line)
            if fragment in record["message"]:
                return record
        raise AssertionError(f"no log line with {fragment!r} ({self.process.poll()=}):\n" + "\n".join(self.seen))

    def rest(self) -> list[str]:
        while (line := self.lines.get(timeout=30)) is not None:
            self.seen.append(line)
        return self.seen


# The same command with waitress hidden, as on a machine where it is not installed.
WITHOUT_WAITRESS = ("-c", "import sys; sys.modules['waitress'] = sys.modules['waitress.server'] = None; "
                          "from registrar.cli import main; main()")  # fmt: skip


def _ctrl_c_interrupts() -> None:
    # A process started in the background of a script inherits SIGINT ignored; a terminal's would not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(tmp_path: Path, *args: str, python: tuple[str, ...] = ("-m", "registrar"), **env: str) -> Served:
    environ = os.environ | {"REGISTRAR_DATABASE_URL": f"sqlite:///{tmp_path / 'registrar.sqlite3'}",
                            "REGISTRAR_LOGGING_FORMAT": "json", "REGISTRAR_BROKER_URL": ""} | env  # fmt: skip
    process = subprocess.Popen([sys.executable, *python, *args], env=environ, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_ctrl_c_interrupts)  # fmt: skip
    served = Served(process)

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            served.lines.put(line.rstrip("\n"))
        served.lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return served


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def run(*args: str, python: tuple[str, ...] = ("-m", "registrar"), **env: str) -> Served:
        started.append(_start(tmp_path, "serve", "--port", "0", *args, python=python, **env))
        return started[-1]

    yield run
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=30)


def _get(url: str) -> tuple[int, dict[str, Any]]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, json.loads(response.read())


def _eventually(condition: Any, timeout: float = 30) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not condition():
        time.sleep(0.1)
    return bool(condition())


@pytest.mark.parametrize(
    ("server", "stop"),
    [("waitress", signal.SIGTERM), ("waitress", signal.SIGINT), ("werkzeug", signal.SIGTERM)],
    ids=["waitress-SIGTERM", "waitress-ctrl-c", "werkzeug-SIGTERM"],
)
def test_serve_answers_health_sweeps_in_process_and_stops_cleanly(serve: Any, server: str, stop: signal.Signals) -> None:
    python = ("-m", "registrar") if server == "waitress" else WITHOUT_WAITRESS
    served = serve("--demo", python=python, REGISTRAR_SWEEP_INTERVAL_SECONDS="0.2")

    served.wait_for("built the demo election")
    officers = served.wait_for("demo officers")
    assert "demo-commission" in officers["logins"], "the demo can be worked through the officer forms"
    served.wait_for("in-process")
    serving = served.wait_for("serving on")
    assert serving["server"] == server
    url = serving["url"]
    status, body = _get(f"{url}/health")
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["deadlines"]["pending"] > 0, "the demo election has pending deadlines"
    swept = _eventually(lambda: _get(f"{url}/health")[1]["deadlines"]["overdue"] == 0)
    assert swept, "the in-process sweep fires the demo's overdue deadlines"

    served.process.send_signal(stop)
    assert served.process.wait(timeout=30) == 0
    lines = served.rest()
    assert not any("Traceback" in line for line in lines)
    records = [json.loads(line) for line in lines]  # every line of the log is one JSON object
    assert records[-1]["message"] == "stopped"


def test_serve_with_a_broker_leaves_the_sweep_to_the_worker(serve: Any) -> None:
    served = serve(REGISTRAR_BROKER_URL="redis://:secret@127.0.0.1:6379/15")

    said = served.wait_for("broker")
    url = served.wait_for("serving on")["url"]
    assert "Celery worker" in said["message"]
    assert "secret" not in json.dumps(said), "the broker's password stays out of the log"
    assert _get(f"{url}/health")[0] == 200

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    messages = [json.loads(line)["message"] for line in served.rest()]
    assert not any("in-process" in m for m in messages)


def test_serve_on_an_unreachable_database_fails_in_one_line(tmp_path: Path) -> None:
    served = _start(tmp_path, "--database", f"postgresql://postgres@127.0.0.1:{closed_port()}/test", "serve")

    assert served.process.wait(timeout=60) == 1
    lines = served.rest()
    assert lines[-1].startswith("registrar: database: ")
    assert not any("Traceback" in line for line in lines)
