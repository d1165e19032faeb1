"""The project's own docs: the rule table (docs/rules.md) says what the rules file holds; nothing points outside."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from registrar.resources import packaged

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| ([A-Z][0-9]+) \| (.+?) \| (.+?) \| (confirmed|unconfirmed) \|$", re.MULTILINE)


def test_the_rule_table_lists_every_rule_of_the_rules_file_with_its_source_and_status() -> None:
    document = tomllib.loads(packaged("rules/presidential.toml").read_text(encoding="utf-8"))
    in_file = {rule: (table["source"], table.get("status", "confirmed"))
               for rule, table in document.items() if isinstance(table, dict) and "source" in table}  # fmt: skip
    in_docs = {rule: (source, status) for rule, _, source, status in ROW.findall((ROOT / "docs/rules.md").read_text())}
    assert in_docs == in_file


VERSION_ROW = re.compile(r"^\| ([A-Z][0-9]+) \| (until|since) (\d{4}-\d{2}-\d{2}) \| .+? \| (.+?) \|$", re.MULTILINE)


def test_the_law_as_it_changed_lists_every_version_of_the_rules_file() -> None:
    document = tomllib.loads(packaged("rules/presidential.toml").read_text(encoding="utf-8"))
    in_file = set()
    for rule, table in document.items():
        for version in table.get("versions", []) if isinstance(table, dict) else []:
            edge = ("since", version["since"]) if "since" in version else ("until", version["until"])
            in_file.add((rule, edge[0], edge[1].isoformat(), version["source"]))
    in_docs = set(VERSION_ROW.findall((ROOT / "docs/rules.md").read_text()))
    assert in_file and in_docs == in_file


def test_nothing_the_project_ships_points_at_files_outside_it() -> None:
    # A reader of the project has the project only: the rules it cites must be in docs/, not beside it.
    shipped = (p for room in ("registrar", "web", "workers") for p in (ROOT / room).rglob("*"))
    places = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("bench/*.md"),
              *(p for p in shipped if p.suffix in (".py", ".toml", ".html", ".md"))]  # fmt: skip
    outside = [str(p.relative_to(ROOT)) for p in places if "../shared" in p.read_text(encoding="utf-8")]
    assert outside == []
