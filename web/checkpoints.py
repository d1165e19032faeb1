"""``GET /audit/checkpoints``: the audit chain's signed checkpoints, public, for observers to keep.

    200 {"key_id": "3f1c...", "public_key": "-----BEGIN PUBLIC KEY-----...", "next_after": null,
         "checkpoints": [{"seq": 1000, "hash": "...", "at": "...", "key_id": "...", "signature": "..."}]}

``?after=<seq>`` pages on (``next_after`` says where). A copy kept elsewhere, one checkpoint a
line, is what ``registrar audit verify --checkpoints`` checks the database against.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from registrar import checkpoints
from web import database, settings

bp = Blueprint("checkpoints", __name__)


@bp.get("/audit/checkpoints")
def published() -> Response:
    given = request.args.get("after", "0")
    after = min(int(given), 2**62) if given.isascii() and given.isdigit() else 0  # never past what a BIGINT holds
    with database().reading() as session:
        page = checkpoints.published(session, settings().audit_key_file, after)
    response = jsonify(page)
    response.headers["Cache-Control"] = "public, max-age=30"
    return response
