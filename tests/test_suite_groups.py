"""The suite's xdist groups (tests/conftest.py) reach the scheduler: marked in a collection hook
as tests/conftest.py marks them, the tests of one group run on one worker.

It runs pytest with two workers on a few empty tests in a temporary folder: a pytest or xdist
that stopped honouring the groups (as xdist 3.8 under pytest 9.2 does, the groups silently
ignored) fails here instead of making the processes tests compete for the cores unnoticed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CONFTEST = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "together" in item.name:
            item.add_marker(pytest.mark.xdist_group("together"))
"""

TESTS = "".join(f"def test_together_{i}():\n    pass\n\ndef test_apart_{i}():\n    pass\n\n" for i in range(6))


def test_the_tests_of_a_group_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_grouped.py").write_text(TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider",
         "-o", "addopts=", str(tmp_path)],
        # Only xdist: the suite's other plugins (the browser's, hypothesis ...) cost each worker seconds.
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    ran = re.findall(r"\[(gw\d)\] .*PASSED .*::(test_\w+?)(@\w+)?\s*$", result.stdout, re.M)
    together = {(worker, group) for worker, name, group in ran if name.startswith("test_together")}
    assert len([name for _, name, _ in ran]) == 12, result.stdout
    assert together in ({("gw0", "@together")}, {("gw1", "@together")}), result.stdout
