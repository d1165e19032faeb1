"""The web benchmark runs end to end at a tiny size: gunicorn, a real login, every route measured, nothing left behind.

It starts its own gunicorn on the real PostgreSQL; nothing here looks at a timing.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench.deadlines import group_alive
from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
ROUTES = (
    "bare hello",
    "published list",
    "candidacy status page",
    "officer: bare hello",
    "officer: empty page",
    "officer dashboard",
)
NUMBER = re.compile(r"^[\d,]+(\.\d+)?%?$")


def _rows(section: str, first_cells: tuple[str, ...]) -> dict[str, list[str]]:
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.split(" | ")]
        if cells[0] in first_cells:
            rows[cells[0]] = cells
    return rows


@pytest.fixture(scope="module")
def output() -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("REGISTRAR_", "CELERY_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "web", "--requests", "20", "--candidacies", "200", "--dashboard-sizes", "100,300",
         "--deadline-sizes", "400,1000", "--warmup", "4", "--rounds", "2", "--database-url", PG_ADMIN_URL],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_every_route_is_measured_with_every_request_answered(output: str) -> None:
    routes = output[output.index("1. Routes") : output.index("2. The officer dashboard")]
    assert "with 200 candidacies (12 registered)" in routes, routes
    rows = _rows(routes, ROUTES)
    assert set(rows) == set(ROUTES), routes
    for cells in rows.values():
        _route, _path, requests, not_ok, *numbers = cells
        assert (requests, not_ok) == ("20", "0"), cells
        assert all(NUMBER.match(cell) for cell in numbers), cells
    assert rows["bare hello"][-1] == "100%"
    assert rows["candidacy status page"][1].startswith("/candidacies/")
    # The dozen registered candidates are on the list: its page is larger than the bare "hello".
    assert float(rows["published list"][4]) > 1.0, rows["published list"]


def test_the_dashboard_and_the_list_are_measured_at_each_size(output: str) -> None:
    sizes = output[output.index("2. The officer dashboard") : output.index("3. The officer dashboard")]
    rows = _rows(sizes, ("100", "300"))
    assert set(rows) == {"100", "300"}, sizes
    for cells in rows.values():
        assert len(cells) == 13 and cells[1:3] == ["20", "0"], cells
        assert all(NUMBER.match(cell) for cell in cells), cells
    assert rows["100"][7] == "1.00"


def test_the_dashboard_is_measured_at_each_size_of_the_deadline_table(output: str) -> None:
    """Grown set-based to each size (the first with its two hundred pending rows), every request answered;
    the clerk's pending D2 rows due within three days are on the page, so it is larger than without them."""
    section = output[output.index("3. The officer dashboard") : output.index("Targets")]
    assert "at 300 candidacies" in section, section
    rows = _rows(section, ("400", "1,000"))
    assert set(rows) == {"400", "1,000"}, section
    for cells in rows.values():
        assert cells[1:3] == ["20", "0"], cells
        assert all(NUMBER.match(cell) for cell in cells), cells
    assert rows["400"][7] == "1.00"
    without = _rows(output[output.index("2. The officer dashboard") :], ("300",))["300"]
    assert float(rows["400"][3]) > float(without[3]), (rows, without)


def test_the_targets_are_printed_with_a_verdict(output: str) -> None:
    targets = output[output.index("Targets (from the issue), printed, not asserted:") :].splitlines()[1:]
    wanted = ("published list >= 70% of the bare route's rate", "p99 < 50 ms, published list",
              "p99 < 50 ms, candidacy status page", "p99 < 50 ms, officer dashboard", "officer dashboard p50 <= 15 ms",
              "officer dashboard >= 20% of the bare route's rate",
              "dashboard flat from 100 to 300 candidacies (p50 at 300 within 1.5x of p50 at 100)",
              "dashboard flat from 400 to 1,000 deadline rows (p50 at 1,000 within 1.5x of p50 at 400)")  # fmt: skip
    for start in wanted:
        line = next((line for line in targets if line.strip().startswith(start)), None)
        assert line is not None, f"{start!r} missing from {targets}"
        assert line.endswith((": met", ": NOT met")), line
    assert not any("NOTE" in line for line in targets), targets


def test_nothing_is_left_running_or_stored(output: str) -> None:
    group = int(re.search(r"process group (\d+)", output).group(1))  # type: ignore[union-attr]
    assert not group_alive(group)  # a zombie init has yet to reap does not count: it runs nothing
    port = int(re.search(r"workers on 127\.0\.0\.1:(\d+)", output).group(1))  # type: ignore[union-attr]
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    database = re.search(r"/(registrar_bench_\w+) \(temporary\)", output).group(1)  # type: ignore[union-attr]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None
