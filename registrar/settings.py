"""How this installation runs: the defaults, an operator's settings file, the environment winning.

The law is not here (that is :mod:`registrar.rules`); these are an operator's choices: the
database, the broker, how often the sweep runs, when reminders go out, how mail is sent,
whether officers must have a second factor.
The file is optional: without ``REGISTRAR_SETTINGS`` the defaults below stand, and
``registrar/config/registrar.toml`` documents each of them (a test keeps the two equal). Each
key may be overridden as ``REGISTRAR_<SECTION>_<KEY>``; a bad value is reported with the key
that holds it, before anything starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from registrar.resources import packaged, read_toml

# The documented defaults: read only when named, as an operator's own file would be.
EXAMPLE_FILE = packaged("registrar.toml")
# [auth] second_factor: may an officer set up a second factor, or must the roles that roles.toml binds?
SECOND_FACTOR_MODES = ("optional", "required")


class SettingsError(ValueError):
    """A settings value that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Smtp:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password: str = ""
    sender: str = "registrar@localhost"
    timeout_seconds: float = 10


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///registrar.sqlite3"
    broker_url: str = ""
    sweep_interval_seconds: float = 5
    sweep_batch: int = 5000
    reminder_hours: tuple[float, ...] = (24, 2)
    # Registration's close is reminded three days ahead too: the documents of N3-D4 take days to gather.
    reminder_hours_by_kind: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: {"registration_closes": (72, 24, 2)})
    delivery_batch: int = 100
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 30
    delivery_backoff_max_seconds: float = 3600
    smtp: Smtp = field(default_factory=Smtp)
    webhook_timeout_seconds: float = 10
    log_format: str = "text"
    log_level: str = "INFO"
    # Where the public reaches this service: the verification links printed on certificates and
    # resolutions point there, never at the host a request happened to come in on.
    public_url: str = "https://registrar.election.gov.kz"
    # Empty: /metrics is served like /health, to whoever reaches it. Set: only a scraper that sends
    # "Authorization: Bearer <it>" (Prometheus's authorization.credentials) is answered.
    metrics_token: str = ""
    document_max_bytes: int = 20 * 1024 * 1024
    # The audit chain's signed checkpoints (registrar.checkpoints): the signing key and a copy of
    # every checkpoint live outside the database, so that no one who can write to it can shorten
    # or rewrite the chain unseen. Relative paths are from the working directory, as the default
    # database is; production keeps them on a volume the database's users cannot write.
    audit_key_file: str = "registrar-audit.key"
    audit_checkpoints_file: str = "registrar-audit-checkpoints.jsonl"
    audit_checkpoint_every: int = 1000
    audit_checkpoint_seconds: float = 60
    # The officers' second factor (TOTP, registrar.accounts): "optional", each officer may set one
    # up; "required", the roles roles.toml's [second_factor] names cannot log in without one.
    second_factor: str = "optional"

    def reminder_leads(self, kind: str) -> tuple[int, ...]:
        """Seconds before due_at at which a deadline of ``kind`` is reminded, longest first."""
        hours = self.reminder_hours_by_kind.get(kind, self.reminder_hours)
        return tuple(sorted({int(h * 3600) for h in hours}, reverse=True))


def _override(section: str, key: str, value: Any, environ: Mapping[str, str]) -> Any:
    name = f"REGISTRAR_{section}_{key}".upper()
    if name not in environ:
        return value
    text = environ[name]
    if isinstance(value, bool):
        if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise SettingsError(f"{name}: expected true or false, got {text!r}")
        return text.lower() in ("1", "true", "yes")
    if isinstance(value, (int, float, list)):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise SettingsError(f"{name}: expected {type(value).__name__} (JSON), got {text!r}: {err}") from None
    return text


def _number(where: str, value: Any, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (positive and value <= 0):
        raise SettingsError(f"{where}: expected a positive number, got {value!r}")
    return value


def _hours(where: str, value: Any) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise SettingsError(f"{where}: expected a list of hours, got {value!r}")
    return tuple(_number(f"{where}[{i}]", v) for i, v in enumerate(value))


def _public_url(value: Any) -> str:
    text = str(value).rstrip("/")
    parsed = urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment:
        raise SettingsError(f"web.public_url: expected the service's public address, e.g. https://registrar.election.gov.kz, "
                            f"got {value!r}")  # fmt: skip
    return text


def load(path: Traversable | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings: ``path`` or the file REGISTRAR_SETTINGS names, if any, over the defaults; then the environment."""
    environ = os.environ if environ is None else environ
    named = path if path is not None else environ.get("REGISTRAR_SETTINGS") or None
    raw: dict[str, Any] = {}
    if named is not None:
        raw = read_toml(Path(named) if isinstance(named, str) else named, SettingsError, "no such settings file")

    def get(section: str, key: str, default: Any) -> Any:
        return _override(section, key, raw.get(section, {}).get(key, default), environ)

    smtp_raw = {key: get("smtp", key, default) for key, default in vars(Smtp()).items()}
    for key in ("port", "timeout_seconds"):
        _number(f"smtp.{key}", smtp_raw[key])
    log_format = get("logging", "format", "text")
    if log_format not in ("text", "json"):
        raise SettingsError(f"logging.format: expected 'text' or 'json', got {log_format!r}")
    second_factor = get("auth", "second_factor", Settings.second_factor)
    if second_factor not in SECOND_FACTOR_MODES:
        raise SettingsError(f"auth.second_factor (REGISTRAR_AUTH_SECOND_FACTOR): expected 'optional' or 'required', "
                            f"got {second_factor!r}")  # fmt: skip
    defaults = {kind: list(hours) for kind, hours in Settings().reminder_hours_by_kind.items()}
    kinds = raw.get("reminders", {}).get("kinds", defaults)
    return Settings(
        database_url=str(get("database", "url", Settings.database_url)),
        broker_url=str(get("broker", "url", "")),
        sweep_interval_seconds=_number("sweep.interval_seconds", get("sweep", "interval_seconds", 5)),
        sweep_batch=int(_number("sweep.batch", get("sweep", "batch", 5000))),
        reminder_hours=_hours("reminders.default_hours", get("reminders", "default_hours", [24, 2])),
        reminder_hours_by_kind={kind: _hours(f"reminders.kinds.{kind}", hours) for kind, hours in kinds.items()},
        delivery_batch=int(_number("delivery.batch", get("delivery", "batch", 100))),
        delivery_max_attempts=int(_number("delivery.max_attempts", get("delivery", "max_attempts", 8))),
        delivery_backoff_seconds=_number("delivery.backoff_seconds", get("delivery", "backoff_seconds", 30)),
        delivery_backoff_max_seconds=_number("delivery.backoff_max_seconds", get("delivery", "backoff_max_seconds", 3600)),
        smtp=Smtp(**smtp_raw),
        webhook_timeout_seconds=_number("webhooks.timeout_seconds", get("webhooks", "timeout_seconds", 10)),
        log_format=log_format,
        log_level=str(get("logging", "level", "INFO")).upper(),
        public_url=_public_url(get("web", "public_url", Settings.public_url)),
        metrics_token=str(get("web", "metrics_token", Settings.metrics_token)),
        document_max_bytes=int(_number("documents.max_megabytes", get("documents", "max_megabytes", 20)) * 1024 * 1024),
        audit_key_file=str(get("audit", "key_file", Settings.audit_key_file)),
        audit_checkpoints_file=str(get("audit", "checkpoints_file", Settings.audit_checkpoints_file)),
        audit_checkpoint_every=int(_number("audit.checkpoint_every", get("audit", "checkpoint_every", 1000), positive=True)),
        audit_checkpoint_seconds=_number("audit.checkpoint_seconds", get("audit", "checkpoint_seconds", 60), positive=True),
        second_factor=second_factor,
    )
