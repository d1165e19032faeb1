"""``GET /audit/checkpoints``: the audit chain's signed checkpoints, public, for observers to keep."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registrar import audit, checkpoints
from registrar.db import Database
from registrar.settings import Settings
from web import create_app


@pytest.mark.parametrize("odd", ["²", "-1", "9" * 40, "x", ""])
def test_observers_fetch_the_signed_checkpoints_and_the_key_that_checks_them(db: Database, tmp_path: Path, odd: str) -> None:
    settings = Settings(audit_key_file=str(tmp_path / "audit.key"), audit_checkpoints_file=str(tmp_path / "kept.jsonl"))
    with db.transaction() as session:
        audit.append_many(session, [audit.Entry(dt.datetime.now(dt.UTC), "test", "note", "election", "e", {"n": n})
                                    for n in range(5)])  # fmt: skip
    signed = checkpoints.checkpoint(db, settings)
    assert signed is not None
    client = create_app(settings, db, TESTING=True, SECRET_KEY="x" * 32).test_client()
    body = client.get("/audit/checkpoints").get_json()
    assert body["checkpoints"] == [signed.as_json()]
    assert body["key_id"] == signed.key_id and body["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert client.get(f"/audit/checkpoints?after={signed.seq}").get_json()["checkpoints"] == []
    assert client.get(f"/audit/checkpoints?after={odd}").status_code == 200


def test_a_web_host_holding_only_the_public_key_publishes_it(db: Database, tmp_path: Path) -> None:
    # The signer (serve, or the Celery beat's worker) holds the secret; a web host that only
    # serves needs none: its key_file is the public key's PEM.
    signer = Settings(audit_key_file=str(tmp_path / "audit.key"), audit_checkpoints_file=str(tmp_path / "kept.jsonl"))
    with db.transaction() as session:
        audit.append(session, at=dt.datetime.now(dt.UTC), actor="test", action="note", subject_type="election",
                     subject_id="e", payload={})  # fmt: skip
    signed = checkpoints.checkpoint(db, signer)
    assert signed is not None
    public = tmp_path / "audit.pub"
    public.write_text(checkpoints.public_pem(checkpoints.public_key(signer.audit_key_file)))
    web_host = Settings(audit_key_file=str(public), audit_checkpoints_file=str(tmp_path / "web.jsonl"))
    body = create_app(web_host, db, TESTING=True, SECRET_KEY="x" * 32).test_client().get("/audit/checkpoints").get_json()
    assert (body["key_id"], body["public_key"]) == (signed.key_id, public.read_text())
    assert "PRIVATE" not in public.read_text()
