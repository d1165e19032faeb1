"""Structured logs: one JSON object a line (with the ``extra=`` fields), or one readable text line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from registrar import logs
from registrar.settings import Settings, SettingsError


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    transitions_level = logging.getLogger("transitions").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("transitions").setLevel(transitions_level)


def _emit(settings: Settings) -> str:
    stream = io.StringIO()
    logs.configure(settings, stream)
    log = logging.getLogger("registrar.test")
    log.info("swept %d deadlines", 3, extra={"fired": 3, "fired_by_kind": {"appeal_window": 3}})
    log.debug("not at INFO")
    try:
        raise RuntimeError("the mail server hung up\nmid-sentence")
    except RuntimeError:
        log.exception("delivery failed", extra={"step": "delivery"})
    return stream.getvalue()


def test_json_logs_are_one_object_a_line_with_the_extra_fields() -> None:
    lines = _emit(Settings(log_format="json")).splitlines()

    records = [json.loads(line) for line in lines]  # each line parses on its own

    assert len(records) == 2, "DEBUG is below the configured INFO"
    swept, failed = records
    assert swept["message"] == "swept 3 deadlines"
    assert (swept["level"], swept["logger"]) == ("INFO", "registrar.test")
    assert swept["time"].endswith("Z") and swept["time"][:4].isdigit()
    assert (swept["fired"], swept["fired_by_kind"]) == (3, {"appeal_window": 3})
    assert failed["level"] == "ERROR" and failed["step"] == "delivery"
    assert "RuntimeError: the mail server hung up" in failed["exception"] and "Traceback" in failed["exception"]


def test_text_logs_are_readable_lines_with_the_extra_fields() -> None:
    text = _emit(Settings(log_format="text"))

    first = text.splitlines()[0]
    assert " INFO registrar.test: swept 3 deadlines " in first
    assert "fired=3" in first
    with pytest.raises(json.JSONDecodeError):
        json.loads(first)
    assert "Traceback" in text


def test_configuring_twice_does_not_double_the_lines() -> None:
    logs.configure(Settings(log_format="json"), io.StringIO())
    text = _emit(Settings(log_format="json"))

    assert len(text.splitlines()) == 2


def test_an_unknown_level_is_a_settings_error_naming_the_key() -> None:
    with pytest.raises(SettingsError, match=r"logging\.level"):
        logs.configure(Settings(log_level="LOUD"), io.StringIO())


def test_debug_level_lets_debug_records_through() -> None:
    lines = _emit(Settings(log_format="json", log_level="DEBUG")).splitlines()

    assert [json.loads(line)["level"] for line in lines] == ["INFO", "DEBUG", "ERROR"]
