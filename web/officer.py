"""The officers' pages (being written)."""

from __future__ import annotations

from flask import Blueprint

from web.auth import roles_required

bp = Blueprint("officer", __name__, url_prefix="/officer")

OFFICERS = ("clerk", "commission", "revenue", "court", "auditor", "admin")


@bp.get("/")
@roles_required(*OFFICERS)
def dashboard() -> str:
    return "dashboard"
