"""The schemathesis benchmark at a tiny size: its table by operation and its totals add up.

The volume run is ``python -m bench api-fuzz`` (10,000 requests); the suite's own fuzzing is
tests/web/test_api_schema.py. Nothing here looks at what the fuzzing found, so it runs on an
empty database: building the demo would be most of a small run's time.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bench import api_fuzz
from bench.__main__ import main
from tests.databases import sqlite_copy


def test_the_fuzz_benchmark_counts_requests_5xx_and_failures_by_operation(sqlite_template: Path, tmp_path: Path) -> None:
    database = sqlite_copy(sqlite_template, tmp_path)
    app, tokens = api_fuzz._app(database, tmp_path, built=True)  # no demo: an empty register
    parser = argparse.ArgumentParser()
    api_fuzz.add_arguments(parser)
    args = parser.parse_args(["--requests", "60", "--examples", "1", "--walks", "1", "--stateful-share", "0.2", "--seed", "1"])
    try:
        output = api_fuzz.fuzz(app, tokens, args)
    finally:
        database.dispose()

    total = re.search(r"^requests: ([\d,]+) \(stateful ([\d,]+), per operation ([\d,]+)\)", output, re.M)
    assert total, output
    requests, walked, alone = (int(n.replace(",", "")) for n in total.groups())
    assert requests >= 60 and walked > 0 and alone > 0 and requests == walked + alone
    rows = re.findall(r"^(GET|POST|PUT|PATCH|DELETE) (/api/v1/\S*) +([\d,]+) +([\d,]+)", output, re.M)
    assert sum(int(n.replace(",", "")) for *_, n, _ in rows) == requests, "the rows add up to the total"
    assert re.search(r"^5xx: [\d,]+ in \d+ operations \(with the calls that raised past Flask\)$", output, re.M)
    assert re.search(r"^failed checks: [\d,]+ in \d+ operations$", output, re.M)


def test_the_fuzz_benchmark_is_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["api-fuzz", "--help"])
    assert exited.value.code == 0
    assert "--requests" in capsys.readouterr().out
