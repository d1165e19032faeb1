"""Signed checkpoints of the audit chain: no one who can write to the database rewrites it unseen.

The chain (:mod:`registrar.audit`) finds an event altered, removed or inserted among the others,
but its hash has no key: whoever can write to the database can delete the tail and move the
head, or recompute every hash after a forged event. So every ``audit.checkpoint_every`` events
or ``audit.checkpoint_seconds`` (whichever comes first), the chain's length and head hash are
signed with an Ed25519 key that lives in a file, never in the database (``audit.key_file``),
kept in the database and copied to a file of their own (``audit.checkpoints_file``), and
published at ``/audit/checkpoints`` with the public key, so that observers keep copies as
Certificate Transparency's do. :func:`verify` then fails when the chain is shorter than a
checkpoint, when it differs from one at its number, when a checkpoint's signature is not the
key's, or when a checkpoint kept outside is missing from the database.

What it cannot see: events appended after the last checkpoint by someone who can write to the
database, until the next checkpoint signs what is there. Keep ``checkpoint_seconds`` short.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registrar import audit
from registrar.db import Database
from registrar.models import AuditCheckpoint, AuditHead
from registrar.resources import InstallationError
from registrar.settings import Settings

__all__ = ["Checkpoint", "KeyFile", "checkpoint", "kept", "public_key", "verify"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    """The chain had ``seq`` events ending in ``hash`` at ``at``; signed by the key ``key_id``."""

    seq: int
    hash: str
    at: dt.datetime
    key_id: str
    signature: str

    def statement(self) -> bytes:
        """What is signed: the count, the head hash and the time, as canonical JSON."""
        return statement(self.seq, self.hash, self.at)

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "at": self.at.astimezone(dt.UTC).isoformat(),
                "key_id": self.key_id, "signature": self.signature}  # fmt: skip

    @classmethod
    def from_json(cls, value: Any) -> Checkpoint:
        if not isinstance(value, Mapping):
            raise ValueError("not an object")
        seq, digest, at, key_id, signature = (value.get(k) for k in ("seq", "hash", "at", "key_id", "signature"))
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise ValueError(f"seq: not an event number: {seq!r}")
        if not all(isinstance(v, str) for v in (digest, at, key_id, signature)):
            raise ValueError("hash, at, key_id and signature must be strings")
        moment = dt.datetime.fromisoformat(str(at))
        if moment.tzinfo is None:
            raise ValueError(f"at: no UTC offset: {at!r}")
        return cls(seq, str(digest), moment, str(key_id), str(signature))

    @classmethod
    def of_row(cls, row: AuditCheckpoint) -> Checkpoint:
        return cls(row.seq, row.hash, row.at, row.key_id, row.signature)


def statement(seq: int, digest: str, at: dt.datetime) -> bytes:
    return audit.canonical({"seq": seq, "hash": digest, "at": at}).encode()


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class KeyFile:
    """The signing key in its file: made on first use, readable by its owner only."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._key = self._load() if self.path.exists() else self._create()
        self.public = self._key.public_key()
        self.key_id = fingerprint(self.public)

    def sign(self, seq: int, digest: str, at: dt.datetime) -> Checkpoint:
        at = at.astimezone(dt.UTC).replace(microsecond=0)
        return Checkpoint(seq, digest, at, self.key_id, self._key.sign(statement(seq, digest, at)).hex())

    def _load(self) -> Ed25519PrivateKey:
        try:
            key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as err:
            raise InstallationError(f"{self.path}: not an audit signing key: {err}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InstallationError(f"{self.path}: not an Ed25519 key")
        return key

    def _create(self) -> Ed25519PrivateKey:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: theirs is the key
            return self._load()
        except OSError as err:
            raise InstallationError(f"{self.path}: cannot make the audit signing key: {err}") from None
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        log.warning("made a new audit signing key", extra={"path": str(self.path), "key_id": fingerprint(key.public_key())})
        return key


def public_key(path: str | Path) -> Ed25519PublicKey:
    """The key that checks the signatures: from the signing key's file, or a public key's PEM file."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise InstallationError(f"{path}: cannot be read: {err}") from None
    try:
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            if isinstance(private, Ed25519PrivateKey):
                return private.public_key()
        else:
            public = serialization.load_pem_public_key(data)
            if isinstance(public, Ed25519PublicKey):
                return public
    except (ValueError, TypeError) as err:
        raise InstallationError(f"{path}: not an Ed25519 key: {err}") from None
    raise InstallationError(f"{path}: not an Ed25519 key")


# --- Writing ---------------------------------------------------------------------------------


def checkpoint(db: Database, settings: Settings, now: dt.datetime | None = None, *, force: bool = False) -> Checkpoint | None:
    """Sign the chain's head if it grew by ``checkpoint_every`` events, or by any after
    ``checkpoint_seconds`` (``force``: if it grew at all); then bring the kept copy up to date.

    Returns the new checkpoint, or None when there was nothing to sign."""
    now = now or dt.datetime.now(dt.UTC)
    key = KeyFile(settings.audit_key_file)
    signed = None
    with db.transaction() as session:
        head = session.get(AuditHead, 1)
        last = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
        grown = head.last_seq - (last.seq if last else 0) if head is not None else 0
        due = force or last is None or grown >= settings.audit_checkpoint_every
        due = due or (last is not None and (now - last.at).total_seconds() >= settings.audit_checkpoint_seconds)
        if head is not None and grown > 0 and due:
            signed = key.sign(head.last_seq, head.last_hash, now)
            session.add(AuditCheckpoint(**signed.as_json() | {"at": signed.at}))
    _copy_out(db, Path(settings.audit_checkpoints_file))
    return signed


def _copy_out(db: Database, path: Path) -> None:
    """Append to the kept copy every checkpoint it lacks (one whose append failed is caught up next time)."""
    try:
        held = kept(path)
        after = max((c.seq for c in held), default=0)
        with db.reading() as session:
            missing = [Checkpoint.of_row(row) for row in session.scalars(
                select(AuditCheckpoint).where(AuditCheckpoint.seq > after).order_by(AuditCheckpoint.seq))]  # fmt: skip
        if not missing:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.writelines(json.dumps(c.as_json(), sort_keys=True) + "\n" for c in missing)
            file.flush()
            os.fsync(file.fileno())
    except (OSError, InstallationError):
        log.exception("the audit checkpoints could not be copied out; the next round tries again",
                      extra={"path": str(path)})  # fmt: skip


def kept(path: str | Path) -> list[Checkpoint]:
    """The checkpoints of a kept copy (one JSON object a line); none if there is no such file."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as err:
        raise InstallationError(f"{path}: cannot be read: {err}") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(Checkpoint.from_json(json.loads(line)))
        except ValueError as err:
            raise InstallationError(f"{path}:{number}: not a checkpoint: {err}") from None
    return out


def stored(session: Session) -> list[Checkpoint]:
    return [Checkpoint.of_row(row) for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))]


def newest(session: Session, limit: int = 100) -> list[Checkpoint]:
    """The newest checkpoints first, as observers fetch them."""
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(limit))
    return [Checkpoint.of_row(row) for row in rows]


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditCheckpoint)) or 0)


# --- Checking --------------------------------------------------------------------------------


def verify(
    session: Session, key: Ed25519PublicKey | None, outside: Iterable[Checkpoint] = (), *, incremental: bool = False
) -> audit.Verdict:
    """The chain checked against every checkpoint, in the database and kept ``outside`` it.

    Each checkpoint's signature must be ``key``'s; the database must hold every checkpoint kept
    outside, the same; the chain must reach each checkpoint's number with the signed hash there.
    ``incremental``: the chain is recomputed from the newest checkpoint on, that checkpoint (its
    signature, and its copy outside where one is kept) standing for the events before it."""
    inside = {c.seq: c for c in stored(session)}
    outside_by_seq = {c.seq: c for c in outside}
    every = inside | outside_by_seq
    if every and key is None:
        return audit.Verdict(0, None, f"{len(every)} signed checkpoints, but no key to check their signatures")
    for seq, kept_one in sorted(outside_by_seq.items()):
        held = inside.get(seq)
        if held is None:
            return audit.Verdict(0, seq, f"the checkpoint of event {seq} kept outside the database is missing from it")
        if held != kept_one:
            return audit.Verdict(0, seq, f"the checkpoint of event {seq} in the database differs from the one kept outside")
    for seq, signed in sorted(every.items()):
        if key is not None and not _signed_by(key, signed):
            return audit.Verdict(0, seq, f"the checkpoint of event {seq} does not carry the audit key's signature")
    newest_signed = max(every, default=None)
    if incremental and newest_signed is not None:
        return audit.verify(session, signed={seq: c.hash for seq, c in every.items() if seq > newest_signed},
                            since=(newest_signed, every[newest_signed].hash))  # fmt: skip
    return audit.verify(session, signed={seq: c.hash for seq, c in every.items()})


def _signed_by(key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    try:
        key.verify(bytes.fromhex(checkpoint.signature), checkpoint.statement())
    except (InvalidSignature, ValueError):
        return False
    return checkpoint.key_id == fingerprint(key)


PUBLISHED_PAGE = 1000


def published(session: Session, key_file: str | Path, after: int = 0) -> dict[str, Any]:
    """What observers fetch: the public key (when this host holds the key file) and the
    checkpoints after event ``after``, oldest first, a page at a time."""
    path = Path(key_file)
    key = public_key(path) if path.exists() else None
    rows = session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.seq > after)
                           .order_by(AuditCheckpoint.seq).limit(PUBLISHED_PAGE))  # fmt: skip
    signed = [Checkpoint.of_row(row).as_json() for row in rows]
    return {"key_id": fingerprint(key) if key else None, "public_key": public_pem(key) if key else None,
            "checkpoints": signed, "next_after": signed[-1]["seq"] if len(signed) == PUBLISHED_PAGE else None}  # fmt: skip
