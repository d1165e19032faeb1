"""Registrar as a user installs it: a wheel, in a fresh virtual environment, run from a folder of its own.

The rest of the suite runs the source tree (an editable install); only this test proves that
the package carries everything it reads (the law, roles, territory, messages, migrations,
templates, static files, catalogues) and that nothing resolves a path against the checkout.
It costs the build of one wheel and one install into a new venv (the dependencies come from
pip's cache once the README's test command has run).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 120


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, as `pip install .` builds it."""
    # Built from a copy of what the package is made of: setuptools keeps a build/ folder in the
    # source tree, whose leftovers from an earlier build could slip into the wheel (or break it).
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for room in ("registrar", "web", "workers"):
        shutil.copytree(ROOT / room, source / room, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source, cwd=out)
    (built,) = out.glob("registrar-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a new venv holding the wheel and its dependencies."""
    venv = tmp_path_factory.mktemp("venv")
    # Without a pip of its own (ensurepip costs 4 s): this pip installs into it (--python).
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv)
    _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q", wheel, cwd=venv)
    return venv / "bin"


def test_the_wheel_carries_every_file_the_package_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for wanted in ("registrar/config/rules/presidential.toml", "registrar/config/roles.toml", "registrar/config/territory.toml",
                   "registrar/config/registrar.toml", "registrar/config/messages/kk.toml", "registrar/migrations/env.py",
                   "registrar/migrations/versions/0001_registration_core.py",
                   "web/templates/base.html", "web/templates/officer/dashboard.html", "web/static/registrar.css",
                   "web/translations/kk/LC_MESSAGES/messages.mo", "web/translations/ru/LC_MESSAGES/messages.mo"):  # fmt: skip
        assert wanted in names, f"{wanted} is not in {wheel.name}"
    assert not any(name.startswith(("tests/", "bench/", "config/")) for name in names), sorted(names)


def test_calendar_from_an_unrelated_folder(installed: Path, tmp_path: Path) -> None:
    out = _run(installed / "registrar", "calendar", "--announced", "2029-08-24", "--election-day", "2029-11-25", "--json",
               cwd=tmp_path)  # fmt: skip
    calendar = json.loads(out)
    assert calendar["voting_opens"].startswith("2029-11-25T07:00:00+05:00"), calendar


def test_serve_the_demo_from_an_unrelated_folder(installed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRAR_", "PYTHON"))}
    env |= {"REGISTRAR_LOGGING_FORMAT": "json", "REGISTRAR_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    process = subprocess.Popen([str(installed / "registrar"), "serve", "--demo", "--port", "0"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        url, seen = None, []
        end = time.monotonic() + STARTUP_SECONDS
        assert process.stderr is not None
        while url is None and time.monotonic() < end:
            line = process.stderr.readline()
            if not line:
                break
            seen.append(line)
            record = json.loads(line)
            url = record.get("url") if record["message"].startswith("serving on") else None
        assert url, "the demo did not start:\n" + "".join(seen)
        with urllib.request.urlopen(f"{url}/", timeout=30) as page:
            assert page.status == 200
            assert "<html" in page.read().decode()
        with urllib.request.urlopen(f"{url}/api/v1/openapi.json", timeout=30) as document:
            assert json.loads(document.read())["openapi"].startswith("3.")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not (tmp_path / "config").exists()
