"""An officer's inbox: the notifications addressed to their role."""

from __future__ import annotations

from flask import Blueprint, render_template

import web
from registrar import officer_views, roles
from web.auth import current_account, roles_required

bp = Blueprint("inbox", __name__, url_prefix="/officer")


@bp.get("/inbox")
@roles_required(*roles.ACCOUNT_ROLES)
def inbox() -> str:
    account = current_account()
    role = account.role if account else "public"
    return render_template("officer/inbox.html", messages=officer_views.inbox(web.database(), role))
