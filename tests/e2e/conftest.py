"""Browser tests: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright, against the app
served by a real WSGI server (waitress) on a free port, on the real PostgreSQL with the demo.

Nothing downloads a browser: the launch names Debian's executable, and CI installs the
package (``.ci/run``). Set ``REGISTRAR_SCREENSHOTS=docs/screenshots`` to refresh the README's
pictures; otherwise they are written to the test's temporary folder.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from waitress.server import create_server

from registrar import demo
from registrar.db import Database
from registrar.settings import Settings
from tests.conftest import _empty_postgresql
from tests.demo_copies import build_demo
from web import create_app

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    # Without the background-networking flags Chromium keeps dialling Google, which this network refuses.
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run"]}  # fmt: skip


@dataclass
class Site:
    url: str
    db: Database
    logins: list[str]
    password: str
    screenshots: Path

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.screenshots / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def site(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo election served over HTTP, with an officer account per role."""
    database = _empty_postgresql(pg_url)
    build_demo(database)
    logins, password = demo.officers(database)
    app = create_app(Settings(database_url=pg_url), database, SECRET_KEY="e2e secret key")
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    folder = Path(os.environ.get("REGISTRAR_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield Site(f"http://127.0.0.1:{server.effective_port}", database, logins, password, folder)
    finally:
        server.close()
        thread.join(timeout=10)
        database.dispose()
