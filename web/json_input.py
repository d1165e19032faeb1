"""The JSON a client sends, refused whole when no field could hold it: nested too deeply, or
carrying a lone surrogate (``"\\ud800"``), which no database stores as text.

Both reached a 500 before (issue 13: 1,000 levels raised RecursionError inside the parser; a lone
surrogate failed at the database's UTF-8 encoding after the action had begun). Refused at the
parser, they are the API's 400 "the body is not valid JSON", before any action starts.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

# Deeper than any payload of the API (a protocol's votes are three levels down).
MAX_DEPTH = 32


class InputJSON(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"nested more than {MAX_DEPTH} levels") from None
        _check(value, 0)
        return value


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels")
    if isinstance(value, str):
        _text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _text(key)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def _text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a lone surrogate is no character") from None
