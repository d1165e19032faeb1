"""Every key of the rules schema is read by the code that applies it (issue 11: the law as data, for real).

A key nobody reads is a number the file claims to set and the code ignores. The test walks
the syntax of registrar/, web/ and workers/ and collects each read of a rule's value:

- ``<anything>.E2.min_age_years`` and ``<anything>.E2["min_age_years"]`` (rule-qualified);
- ``n2.closes_at`` after ``n2 = rules.N2`` (or ``n2, g1 = rules.N2, rules.G1``);
- ``rule.min_age_years``, where a check is handed its :class:`registrar.rules.Rule` (eligibility),
  and ``getattr(rules, rule_id).grounds`` over a list of ids: the key of any rule;
- the string ``"N6.documents"`` (``rules.value``) and the placeholder ``"{V3.protocol_days}"``
  in prose :meth:`registrar.rules.Rules.say` renders; docstrings are not reads.

registrar/rules.py defines the schema, so there only its own helpers' rule-qualified reads
count (``self.D5.minimum_wage``). A value's own ``*_status`` key is, like ``status``, how sure
the source is: read by people, not applied.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from registrar import rules as rules_module

ROOT = Path(__file__).resolve().parents[2]
RULES_PY = ROOT / "registrar" / "rules.py"
RULE_ID = re.compile(r"[A-Z][0-9]+")
DOTTED = re.compile(r"([A-Z][0-9]+)\.([a-z_]+)")
PLACEHOLDER = re.compile(r"\{([A-Z][0-9]+)\.([a-z_]+)\}")
ANY_RULE = "*"


def schema_keys() -> set[tuple[str, str]]:
    keys = set()
    for rule_id, schema in rules_module.SCHEMAS.items():
        for name, field in schema._declared_fields.items():
            key = field.data_key or name
            if key in ("source", "status") or key.endswith("_status"):
                continue
            keys.add((rule_id, key))
    return keys


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of string constants that are statements (docstrings, bare strings): not reads."""
    return {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def _rule_of(node: ast.AST) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) and RULE_ID.fullmatch(node.attr) else None


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Names bound to a rule: ``n2 = rules.N2``, ``n2, g1 = rules.N2, rules.G1``."""
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = (
                zip(target.elts, node.value.elts, strict=False)
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                else [(target, node.value)]
            )
            for name, value in pairs:
                rule_id = _rule_of(value)
                if isinstance(name, ast.Name) and rule_id:
                    found[name.id] = rule_id
    return found  # fmt: skip


def _dynamic_getattr(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) == 2 and not isinstance(node.args[1], ast.Constant))  # fmt: skip


def reads_in(source: str, *, qualified_only: bool = False) -> Iterator[tuple[str, str]]:
    tree = ast.parse(source)
    skip = _docstrings(tree)
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            if _rule_of(owner):
                yield _rule_of(owner) or "", node.attr
            elif isinstance(owner, ast.Name) and owner.id in aliases:
                yield aliases[owner.id], node.attr
            elif not qualified_only and ((isinstance(owner, ast.Name) and owner.id == "rule") or _dynamic_getattr(owner)):
                yield ANY_RULE, node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            owner = node.value
            if isinstance(owner, ast.Attribute) and RULE_ID.fullmatch(owner.attr) and isinstance(node.slice.value, str):
                yield owner.attr, node.slice.value
        elif not qualified_only and isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            whole = DOTTED.fullmatch(node.value)
            if whole:
                yield whole[1], whole[2]
            yield from ((m[1], m[2]) for m in PLACEHOLDER.finditer(node.value))


def code_files() -> Iterator[Path]:
    for room in ("registrar", "web", "workers"):
        yield from sorted((ROOT / room).rglob("*.py"))


def reads(files: dict[Path, str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path, source in files.items():
        found |= set(reads_in(source, qualified_only=path == RULES_PY))
    return found


def unread(files: dict[Path, str]) -> list[str]:
    found = reads(files)
    loose = {key for rule_id, key in found if rule_id == ANY_RULE}
    return sorted(f"{rule_id}.{key}" for rule_id, key in schema_keys() if (rule_id, key) not in found and key not in loose)


SOURCES = {path: path.read_text(encoding="utf-8") for path in code_files()}


# Keys whose reader belongs in a file this change could not edit; each line goes once its
# reader is there (the test below fails until it does, so none stays here by oversight).
AWAITING_READER: dict[str, str] = {}


def test_every_key_of_the_rules_schema_is_read_by_the_code_that_applies_it() -> None:
    assert unread(SOURCES) == sorted(AWAITING_READER)


def test_the_schema_and_the_presidential_file_have_the_same_keys() -> None:
    presidential = rules_module.for_kind("presidential")
    in_file = {(rule.id, key) for rule in presidential for key in rule.values if not key.endswith("_status")}
    assert in_file == {(rule_id, key) for rule_id, key in schema_keys() if rule_id in presidential}


# The one reader of a key, and what the test says once it is gone (each line: file, the read, the key).
ONE_READER = [
    ("registrar/machines.py", '"G7.until_milestone"', "G7.until_milestone"),
    ("registrar/conditions.py", "ctx.rules.D3.conclusion_required", "D3.conclusion_required"),
    ("registrar/conditions.py", "rules.D4.rounding", "D4.rounding"),
    ("registrar/public.py", '"G2.published_fields"', "G2.published_fields"),
    ("registrar/deadlines.py", "{V3.protocol_days}", None),  # V3.protocol_days has other readers: still read
    ("registrar/eligibility.py", "rule.speech_minutes", "E3.speech_minutes"),
    ("registrar/eligibility.py", "rule.tests", "E3.tests"),
    ("registrar/sweep.py", "rules.N7.min_registered", None),  # also in actions.py and registration_closes' effect (deadlines.py)
]


@pytest.mark.parametrize(("file", "read", "key"), ONE_READER)
def test_removing_the_one_reader_of_a_key_is_caught(file: str, read: str, key: str | None) -> None:
    path = ROOT / file
    assert read in SOURCES[path], f"{file} no longer reads {read}: update this test"
    without = SOURCES | {path: SOURCES[path].replace(read, "None" if read.startswith(("ctx.", "rules.", "rule.", '"')) else "")}
    assert unread(without) == sorted({*AWAITING_READER, *([key] if key else [])})


def test_a_docstring_naming_a_key_is_not_a_read() -> None:
    source = 'def f():\n    """D4.rounding: how a share becomes whole; {D4.rounding}."""\n    return 1\n'
    assert set(reads_in(source)) == set()
    assert set(reads_in('say("within {V3.protocol_days} days")\nvalue("N6.documents")')) == {
        ("V3", "protocol_days"), ("N6", "documents")}  # fmt: skip
    assert set(reads_in("n2, g1 = rules.N2, rules.G1\nn2.closes_at\nx = g1\n")) == {("N2", "closes_at")}
