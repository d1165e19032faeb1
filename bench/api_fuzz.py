"""schemathesis against ``/api/v1/openapi.json`` at volume: requests, 5xx and conformance failures by operation.

The test suite's run (tests/web/test_api_schema.py) sends a dozen examples per operation and
asserts no 5xx; this one sends ``--requests`` (10,000) and counts instead of stopping at the
first failure, so one run shows every operation that misbehaves and how often.

Untimed setup: a fresh SQLite file in a temporary directory (``--database sqlite``, the default)
or a ``registrar_bench_<random>`` database on the PostgreSQL server of ``--database-url``
(``--database postgresql``, dropped at the end), migrated; the demo election built on it
(``registrar.demo.build``: every state present); a clerk and a commission member with API tokens.
The app is ``create_app()`` on that database (not in testing mode, so an exception in a view is
the 500 a client would see), called in-process through WSGI (``schemathesis.openapi.from_wsgi``).

Two phases, the budget split by ``--stateful-share`` (0.3):

1. each operation on its own: hypothesis examples of its parameters and bodies (positive and
   negative), each sent anonymously, with the clerk's token and with the commission's, round
   after round until the phase's share is spent;
2. stateful: schemathesis's state machine over the document's ``links`` (a response's id fed
   to the next operation), with the clerk's token; with no links in the document it is skipped
   and the first phase takes the whole budget.

Each response goes through schemathesis's checks: ``not_a_server_error`` (a 5xx),
``status_code_conformance`` (a status the document does not list), ``content_type_conformance``,
``response_headers_conformance`` and ``response_schema_conformance`` (the body against the
documented schema). The report: per operation, requests, 5xx, and each failing check with its
count and one example (method, path, status); then the totals. Nothing is asserted and the
exit status is 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import checks as st_checks
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok

from registrar import accounts, demo
from registrar.db import Database
from registrar.settings import Settings

SUMMARY = "schemathesis at volume (10,000 requests): requests, 5xx and conformance failures by API operation"
DEFAULT_ADMIN_URL = os.environ.get(
    "REGISTRAR_BENCH_PG", os.environ.get("REGISTRAR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
)
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_headers_conformance,
    st_checks.response_schema_conformance,
]
ROLES = ("clerk", "commission")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=10_000, help="requests to send in all (10,000)")
    parser.add_argument("--stateful-share", type=float, default=0.3, help="share of the requests for the stateful phase (0.3)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite", help="the app's database (sqlite)")
    parser.add_argument("--database-url", default=DEFAULT_ADMIN_URL,
                        help=f"PostgreSQL server for --database postgresql (default {DEFAULT_ADMIN_URL})")  # fmt: skip
    parser.add_argument("--examples", type=int, default=50, help="hypothesis examples per operation and round (50)")
    parser.add_argument("--walks", type=int, default=10, help="stateful walks (of up to ten steps) per state-machine run (10)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed, to repeat a run")


@dataclass
class Tally:
    """What was sent and what the checks said, by operation ("GET /api/v1/elections")."""

    requests: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    failures: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    examples: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def record(self, case: schemathesis.Case, response: Any) -> None:
        operation = f"{case.method.upper()} {case.operation.path}"
        self.requests[operation] += 1
        if response.status_code >= 500:
            self.server_errors[operation] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                self._failed(operation, case, response, failure)
        except Failure as failure:
            self._failed(operation, case, response, failure)

    def crashed(self, case: schemathesis.Case, err: Exception) -> None:
        operation = f"{case.method.upper()} {case.operation.path}"
        self.requests[operation] += 1
        self.server_errors[operation] += 1  # a server answers a request its app raised on with a 500
        title = f"raised {type(err).__name__}"
        self.failures[operation][title] += 1
        said = f"{case.method.upper()} {case.formatted_path} {str(case.body)[:300]}: {str(err)[:120]}"
        self.examples.setdefault((operation, title), said)

    def _failed(self, operation: str, case: schemathesis.Case, response: Any, failure: Exception) -> None:
        title = getattr(failure, "title", type(failure).__name__)
        self.failures[operation][title] += 1
        detail = " ".join(str(getattr(failure, "message", "")).split())[:160]
        self.examples.setdefault((operation, title),
                                 f"{case.method.upper()} {case.formatted_path} -> {response.status_code}: {detail}")  # fmt: skip


@contextlib.contextmanager
def _database(args: argparse.Namespace, directory: Path) -> Iterator[Database]:
    if args.database == "sqlite":
        database = Database(f"sqlite:///{directory / 'registrar.sqlite3'}")
        database.upgrade()
        try:
            yield database
        finally:
            database.dispose()
        return
    name = f"registrar_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(f"{args.database_url.rsplit('/', 1)[0]}/{name}")
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()
        with psycopg.connect(args.database_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _app(database: Database, directory: Path, *, built: bool = False) -> tuple[Any, dict[str, str]]:
    """The app on ``database`` with the demo in it (``built``: already there) and the two roles' API tokens."""
    from web import create_app  # the benchmark's one use of web

    if not built:
        demo.build(database)
    tokens = {}
    for role in ROLES:
        accounts.create_user(database, f"fuzz-{role}", role, "a long enough password 1")
        tokens[role] = accounts.issue_token(database, f"fuzz-{role}", "fuzz")
    settings_ = Settings(audit_key_file=str(directory / "audit.key"), audit_checkpoints_file=str(directory / "checkpoints.jsonl"))
    app = create_app(settings_, database, SECRET_KEY="bench")
    logging.getLogger(app.name).setLevel(logging.CRITICAL)  # a 500 is counted, its traceback not printed 10,000 times
    return app, tokens


def per_operation(api: Any, tokens: dict[str, str], tally: Tally, budget: int, args: argparse.Namespace) -> None:
    """Examples of each operation, sent as anonymous, clerk and commission, in rounds until ``budget`` requests."""
    operations = [result.ok() for result in api.get_all_operations() if isinstance(result, Ok)]
    headers = [{}, *({"Authorization": f"Bearer {token}"} for token in tokens.values())]
    start = tally.total
    round_ = 0
    while tally.total - start < budget:
        for operation in operations:
            if tally.total - start >= budget:
                return

            @given(case=operation.as_strategy())
            @settings(max_examples=args.examples, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                      phases=[Phase.generate])  # fmt: skip
            def send(case: schemathesis.Case) -> None:
                for header in headers:
                    try:
                        response = case.call(headers=header)
                    except Exception as err:  # the app raised past Flask (it should not): counted, and the run goes on
                        tally.crashed(case, err)
                        continue
                    tally.record(case, response)

            if args.seed is not None:
                send = seed(args.seed + round_)(send)
            with contextlib.suppress(Unsatisfiable):
                send()
        round_ += 1


def stateful(api: Any, tokens: dict[str, str], tally: Tally, budget: int, walks: int) -> bool:
    """schemathesis's state machine over the document's links, as the clerk, until ``budget`` requests; False without links."""
    try:
        base = api.as_state_machine()
    except Exception as err:  # no links: nothing to chain
        print(f"stateful phase skipped: {type(err).__name__}: {err}")
        return False
    header = {"Authorization": f"Bearer {tokens['clerk']}"}

    class Machine(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": header}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            tally.record(case, response)

        def call(self, case: schemathesis.Case, **kwargs: Any) -> Any:
            try:
                return super().call(case, **kwargs)
            except Exception as err:  # the app raised past Flask (it should not): counted, and the walk goes on
                tally.crashed(case, err)
                raise _Crashed from err

    # Generation only: shrinking a failing walk re-runs it hundreds of times, and this benchmark
    # counts what fails, it does not stop at it.
    runs = settings(max_examples=walks, stateful_step_count=10, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), phases=[Phase.generate], report_multiple_bugs=False)  # fmt: skip
    start = tally.total
    while tally.total - start < budget:
        with contextlib.suppress(_Crashed, FailureGroup, Failure):
            run_state_machine_as_test(Machine, settings=runs)
    return True


class _Crashed(Exception):
    """A call raised instead of answering; it ends the walk it was in (counted in the tally)."""


def report(tally: Tally, seconds: float, phases: dict[str, int]) -> str:
    width = max((len(operation) for operation in tally.requests), default=9)
    lines = [f"{'operation':<{width}} {'requests':>9} {'5xx':>6}  failing checks (count; an example)"]
    for operation in sorted(tally.requests):
        failing = tally.failures.get(operation, Counter())
        first = True
        for title, count in failing.most_common() or [("", 0)]:
            head = (f"{operation:<{width}} {tally.requests[operation]:>9,} {tally.server_errors[operation]:>6,}" if first
                    else " " * (width + 17))  # fmt: skip
            said = f"  {title}: {count:,}; {tally.examples[(operation, title)]}" if title else "  -"
            lines.append(head + said)
            first = False
    failures = sum(sum(c.values()) for c in tally.failures.values())
    lines += [
        "",
        f"requests: {tally.total:,} ({', '.join(f'{name} {n:,}' for name, n in phases.items())}) in {seconds:.0f} s "
        f"({tally.total / seconds:.0f}/s)",
        f"5xx: {sum(tally.server_errors.values()):,} in {sum(1 for n in tally.server_errors.values() if n)} operations"
        " (with the calls that raised past Flask)",
        f"failed checks: {failures:,} in {sum(1 for c in tally.failures.values() if c)} operations",
    ]
    by_check: Counter[str] = Counter()
    for counts in tally.failures.values():
        by_check.update(counts)
    lines += [f"  {title}: {count:,}" for title, count in by_check.most_common()]
    return "\n".join(lines)


def fuzz(app: Any, tokens: dict[str, str], args: argparse.Namespace) -> str:
    """Both phases against ``app``; the report."""
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tally = Tally()
    began = time.monotonic()
    stateful_budget = int(args.requests * args.stateful_share)
    phases: dict[str, int] = {}
    if stateful_budget and stateful(api, tokens, tally, stateful_budget, args.walks):
        phases["stateful"] = tally.total
    rest = args.requests - tally.total
    if rest > 0:
        per_operation(api, tokens, tally, rest, args)
    phases["per operation"] = tally.total - phases.get("stateful", 0)
    return report(tally, time.monotonic() - began, phases)


def run(args: argparse.Namespace) -> int:
    if args.requests < 1 or not 0 <= args.stateful_share <= 1:
        raise SystemExit("--requests must be >= 1 and --stateful-share within 0..1")
    with tempfile.TemporaryDirectory(prefix="registrar-fuzz-") as folder, _database(args, Path(folder)) as database:
        app, tokens = _app(database, Path(folder))
        print(fuzz(app, tokens, args), flush=True)
    return 0


__all__ = ["SUMMARY", "add_arguments", "fuzz", "run"]
