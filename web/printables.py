"""What an officer prints: the registration certificate (G2), to be read against the public page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for

import web
from registrar import officer_views, roles
from registrar.errors import NotFound
from web.auth import roles_required

bp = Blueprint("printables", __name__, url_prefix="/officer")


@bp.get("/candidacies/<int:candidacy_id>/certificate")
@roles_required(*roles.ACCOUNT_ROLES)
def certificate(candidacy_id: int) -> str:
    try:
        found = officer_views.certificate(web.database(), candidacy_id)
    except NotFound:
        abort(404)
    verify = url_for("public.candidacy", candidacy_id=candidacy_id, _external=True)
    return render_template("officer/certificate.html", certificate=found, verify=verify)
