"""The house rules, checked with the suite: ruff (lint and format), mypy, and the import-linter contract
(the domain imports neither flask nor celery nor web nor workers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "lint-imports")],
        [str(BIN / "mypy")],
    ],
    ids=["ruff", "ruff-format", "import-linter", "mypy"],
)
def test_the_code_keeps_the_house_rules(command: list[str]) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
