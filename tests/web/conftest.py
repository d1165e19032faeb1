"""Shared fixtures for the web tests: the app on a test database, and clients logged in as a role.

- ``app``: ``create_app`` on the ``db`` fixture's database (SQLite, then PostgreSQL), testing,
  with CSRF on (as in production): post forms with ``client.submit(url, data)``, which adds
  the CSRF token.
- ``client``: an anonymous client.
- ``login_as(role)``: a new client logged in through the real /login form as a new account
  with that role (its login is ``<role>1``, ``<role>2`` ...).
- ``token_for(role)``: the secret of an API token of a new account with that role.
- ``demo_app`` (module scope): one app on a demo database (registrar.demo, every state
  present), for modules whose many tests mostly read; it has the same ``login_as`` and
  ``token_for`` as attributes of :class:`WebWorld`.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from registrar import accounts, roles
from registrar.db import Database
from registrar.settings import Settings
from tests.conftest import BACKENDS, _empty_postgresql
from tests.demo_copies import build_demo
from web import create_app

PASSWORD = "a long test password"
SECRET_KEY = "test secret key"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
# The demo built as of this day: registration is open in it until two days later.
DEMO_TODAY = dt.date.today()


class Client(FlaskClient):
    """A test client that knows how to post a form with its CSRF token, as a browser does."""

    def csrf_token(self) -> str:
        page = self.get("/login").get_data(as_text=True)
        found = CSRF_INPUT.search(page)
        assert found, "the login page carries a CSRF token"
        return found.group(1)

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """POST a form with its CSRF token."""
        return self.post(url, data={"csrf_token": self.csrf_token(), **(data or {})}, **kwargs)


@pytest.fixture(autouse=True)
def _quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts of the web tests are hashed with one round of PBKDF2, not scrypt: scrypt's cost
    is its point in production, and 0.1 s a hash and a check came to 33 s of the suite. The
    scrypt of the stored hash is tests/registrar/test_accounts.py's to check; a hash of either
    kind is checked by the same werkzeug call, so every login here goes the real way."""
    monkeypatch.setattr(accounts, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))


def make_app(database: Database, **config: Any) -> Flask:
    app = create_app(Settings(), database, TESTING=True, SECRET_KEY=SECRET_KEY, **config)
    app.test_client_class = Client
    return app


class WebWorld:
    """An app and ways to get clients of each role on it."""

    def __init__(self, app: Flask, database: Database):
        self.app, self.db = app, database
        self._numbers = itertools.count(1)
        self._clients: dict[str, Client] = {}

    def client(self, language: str = "en") -> Client:
        """A new client whose browser asks for ``language`` (the tests read the English source words)."""
        client: Client = self.app.test_client()  # type: ignore[assignment]
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        return client

    def new_account(self, role: str) -> str:
        login = f"{role}{next(self._numbers)}"
        # A territorial commission's officer acts for one unit: the capital's.
        unit = "AST" if role in roles.UNIT_ROLES else None
        accounts.create_user(self.db, login, role, PASSWORD, full_name=f"Test {role.title()}", unit=unit)
        return login

    def login(self, login: str, password: str = PASSWORD) -> Client:
        client = self.client()
        response = client.submit("/login", {"login": login, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    def login_as(self, role: str) -> Client:
        """A new client logged in, through the login form, as a new account of ``role``."""
        return self.login(self.new_account(role))

    def as_role(self, role: str) -> Client:
        """A logged-in client of ``role``, shared by the tests of the module (read-only use)."""
        if role not in self._clients:
            self._clients[role] = self.login_as(role) if role != "public" else self.client()
        return self._clients[role]

    def token_for(self, role: str) -> str:
        return accounts.issue_token(self.db, self.new_account(role), "tests")


@pytest.fixture
def app(db: Database) -> Flask:
    return make_app(db)


@pytest.fixture
def web_world(app: Flask, db: Database) -> WebWorld:
    return WebWorld(app, db)


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def login_as(web_world: WebWorld) -> Callable[[str], Client]:
    return web_world.login_as


@pytest.fixture
def token_for(web_world: WebWorld) -> Callable[[str], str]:
    return web_world.token_for


@pytest.fixture(scope="module", params=BACKENDS)
def demo_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """One demo database (both backends) for a module of tests; do not change it, or only
    candidacies the test created itself."""
    if request.param == "sqlite":
        target = tmp_path_factory.mktemp("demo") / "registrar.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        database = Database(f"sqlite:///{target}")
    else:
        database = _empty_postgresql(request.getfixturevalue("pg_url"))
    build_demo(database, DEMO_TODAY)
    yield WebWorld(make_app(database), database)
    database.dispose()
