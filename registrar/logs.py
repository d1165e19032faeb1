"""Logging for the long-running processes (``registrar serve``, the workers): stdlib ``logging``.

``logging.format = "json"`` gives one JSON object a line, for a log collector to read without
guessing: ``time`` (ISO-8601 UTC), ``level``, ``logger``, ``message``, then every field passed
as ``extra=`` (``log.info("swept", extra={"fired": 3})``) and ``exception`` with the traceback.
``"text"`` gives the same facts as one readable line, the extra fields as ``key=value``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import IO, Any

from registrar.settings import Settings, SettingsError

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


def _time(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in messages and tracebacks are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _extra(record).items():
            entry.setdefault(key, value)  # an extra field never hides the four above
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-11-02T06:00:00.000Z INFO registrar.runtime: swept fired=3 reminded=0``."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_time(record)} {record.levelname} {record.name}: {record.getMessage()}"
        fields = " ".join(f"{key}={value}" for key, value in _extra(record).items())
        if fields:
            line = f"{line} {fields}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return line


class _RegistrarHandler(logging.StreamHandler[IO[str]]):
    """Marks the handler ``configure`` installed, so configuring again replaces it instead of doubling lines."""


def configure(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger's records (the root's) to ``stream`` (stderr) in the settings' format and level."""
    if not isinstance(logging.getLevelName(settings.log_level), int):
        raise SettingsError(f"logging.level: expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {settings.log_level!r}")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _RegistrarHandler)]:
        root.removeHandler(handler)
    handler = _RegistrarHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # transitions reports every state entered at INFO; the audit log already says what changed.
    logging.getLogger("transitions").setLevel(logging.WARNING if root.level > logging.DEBUG else logging.NOTSET)
    return handler
