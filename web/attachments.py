"""The scanned papers on the web: a record's papers listed with their SHA-256, filed through a form,
downloaded by the roles that read them; for the public they do not exist (404).

A page shows a subject's papers with ``{% include "officer/_attachments.html" %}`` and the
variables ``subject_type``, ``subject_id`` and ``record`` (None: every record of the subject);
the template global :func:`attachments` reads them. The filing itself is
:func:`registrar.attachments.attach`, the same call as anywhere else.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template_string, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

import web
from registrar import attachments as papers
from registrar.errors import InvalidPayload, NotFound
from web.auth import actor, current_account
from web.words import DOCUMENT_NAMES

bp = Blueprint("attachments", __name__, url_prefix="/officer")

Page = str | tuple[str, int] | BaseResponse

# What a refusal's message id says, at the field it names.
REFUSALS: dict[str, Any] = {
    papers.EMPTY: _l("Choose the scanned file to attach."),
    papers.TOO_LARGE: _l("The file is larger than %(megabytes)s MB. Scan it at a lower resolution or split it."),
    papers.WRONG_TYPE: _l("The file must be a PDF, JPEG or PNG scan."),
    papers.BAD_RECORD: _l("Choose the record the paper proves."),
}
# The records an officer files papers for, by subject: a candidacy's documents (D6) and decisions,
# an election's resolutions and protocols.
RECORDS: dict[str, tuple[str, ...]] = {
    "candidacy": (*(f"document:{name}" for name in DOCUMENT_NAMES), "decision"),
    "election": ("resolution", "protocol"),
}
RECORD_NAMES: dict[str, Any] = {
    **{f"document:{name}": words for name, words in DOCUMENT_NAMES.items()},
    "decision": _l("decision of the CEC or of the court"),
    "resolution": _l("resolution of the CEC"),
    "protocol": _l("protocol of a territorial commission"),
}


def _role() -> str | None:
    account = current_account()
    return account.role if account is not None else None


def _readable() -> None:
    """The public is told nothing exists here (404); an officer whose role does not read papers, 403."""
    role = _role()
    if role is None:
        abort(404)
    if not papers.may_read(role):
        abort(403)


@bp.app_template_global()
def attachments(subject_type: str, subject_id: str | int, record: str | None = None) -> list[papers.Attached]:
    """The papers of a subject (of one record), for the partial; none for a reader who may not read them."""
    role = _role()
    if role is None or not papers.may_read(role):
        return []
    return papers.attachments_of(web.database(), subject_type, subject_id, record)


@bp.app_template_global()
def record_name(record: str) -> str:
    """A record in words ("consent to stand"), or as filed when it has none."""
    named = RECORD_NAMES.get(record) or RECORD_NAMES.get(record.split(":", 1)[0])
    return str(named) if named is not None else record


@bp.app_template_global()
def may_attach_documents() -> bool:
    role = _role()
    return role is not None and papers.may_attach(role)


@bp.app_template_global()
def document_limit_megabytes() -> float:
    megabytes = web.settings().document_max_bytes / 1024 / 1024
    return int(megabytes) if megabytes.is_integer() else round(megabytes, 1)


@bp.app_context_processor
def _records() -> dict[str, Any]:
    return {"RECORDS": RECORDS}


@bp.app_template_filter()
def file_size(size: int) -> str:
    if size < 1024:
        return _("%(bytes)s bytes", bytes=size)
    if size < 1024 * 1024:
        return _("%(kilobytes)s KB", kilobytes=round(size / 1024))
    return _("%(megabytes)s MB", megabytes=round(size / 1024 / 1024, 1))


@bp.get("/<any(candidacy, election):subject_type>/<subject_id>/documents")
def documents(subject_type: str, subject_id: str) -> Page:
    _readable()
    if not papers.subject_exists(web.database(), subject_type, subject_id):
        abort(404)
    return _page(subject_type, subject_id, request.args.get("record") or None)


@bp.post("/<any(candidacy, election):subject_type>/<subject_id>/documents")
def attach(subject_type: str, subject_id: str) -> Page:
    role = _role()
    if role is None:
        abort(404)
    if not papers.may_attach(role):
        abort(403)
    record, upload = request.form.get("record", ""), request.files.get("file")
    # One byte past the limit is enough to know it is too large; the rest is never held.
    content = upload.read(web.settings().document_max_bytes + 1) if upload is not None else b""
    filename = (upload.filename or "") if upload is not None else ""
    try:
        filed = papers.attach(web.database(), subject_type, subject_id, record, filename, content, actor(),
                              settings=web.settings())  # fmt: skip
    except NotFound:
        abort(404)
    except InvalidPayload as err:
        errors = {field: [_refusal(message) for message in messages] for field, messages in err.errors.items()}
        fixed = request.form.get("fixed_record") or None
        return _page(subject_type, subject_id, fixed, errors=errors, chosen=record), 422
    flash(_("%(file)s attached (SHA-256 %(sha256)s).", file=filed.filename, sha256=filed.sha256))
    back = request.form.get("next", "")
    if back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return redirect(back)
    return redirect(url_for("attachments.documents", subject_type=subject_type, subject_id=subject_id))


@bp.get("/documents/<int:attachment_id>")
def download(attachment_id: int) -> Response:
    _readable()
    try:
        found, content = papers.content_of(web.database(), attachment_id)
    except NotFound:
        abort(404)
    # send_file writes the name as RFC 6266 wants it: an ASCII fallback and the UTF-8 name (Cyrillic names survive).
    response = send_file(io.BytesIO(content), mimetype=found.content_type, as_attachment=True,
                         download_name=found.filename, etag=found.sha256, max_age=0)  # fmt: skip
    response.headers["X-Content-SHA256"] = found.sha256
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refusal(message: str) -> str:
    words = REFUSALS.get(message)
    if words is None:
        return message
    return str(words) % {"megabytes": document_limit_megabytes()}


def _page(subject_type: str, subject_id: str, record: str | None, *, errors: dict[str, list[str]] | None = None,
          chosen: str = "") -> str:  # fmt: skip
    title = (
        _("Documents of candidacy %(id)s", id=subject_id)
        if subject_type == "candidacy"
        else _("Documents of election %(id)s", id=subject_id)
    )
    return render_template_string(PAGE, title=title, subject_type=subject_type, subject_id=subject_id, record=record,
                                  document_errors=errors or {}, document_record_chosen=chosen)  # fmt: skip


# The page of a subject's papers is the partial under a title: the partial is the one place they are drawn.
PAGE = """{% extends "base.html" %}
{% block title %}{% if document_errors %}{{ _("Error") }}: {% endif %}{{ title }}{% endblock %}
{% block content %}<h1>{{ title }}</h1>{% include "officer/_attachments.html" %}{% endblock %}"""
