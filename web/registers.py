"""The registers an officer reads across candidacies: the appeals before the Supreme Court (G6)."""

from __future__ import annotations

from flask import Blueprint, render_template

import web
from registrar import actions, officer_views, roles
from web.auth import roles_required

bp = Blueprint("registers", __name__, url_prefix="/officer")


@bp.get("/appeals")
@roles_required(*roles.ACCOUNT_ROLES)
def appeals() -> str:
    return render_template("officer/appeals.html", appeals=officer_views.appeals(web.database(), at=actions.now()))
