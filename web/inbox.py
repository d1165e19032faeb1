"""An officer's inbox: the notifications addressed to their role, read or unread by them, filtered, a page at a time.

A list of one line per message (what happened, to what, when) and a page for each message;
opening it marks it read. The officer's count of unread messages is the template global
``unread_count()`` (for the officer's menu). What is read and how is :mod:`registrar.inbox`'s.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

import web
from registrar import inbox as messages
from registrar import roles
from registrar.errors import NotFound
from web.auth import current_account, roles_required

bp = Blueprint("inbox", __name__, url_prefix="/officer")

Page = str | tuple[str, int] | BaseResponse


def _filters(values: Any) -> messages.Filters:
    return messages.Filters(unread_only=values.get("unread") == "1", topic=values.get("topic", "").strip(),
                            election=values.get("election", "").strip())  # fmt: skip


def _query(filters: messages.Filters, **more: Any) -> dict[str, Any]:
    """The filters as the list's address keeps them (an empty filter is left out)."""
    return {key: value for key, value in (("unread", "1" if filters.unread_only else ""), ("topic", filters.topic),
                                          ("election", filters.election), *more.items()) if value}  # fmt: skip


def _who() -> tuple[str, str]:
    account = current_account()
    assert account is not None  # roles_required let the request in
    return account.login, account.role


@bp.get("/inbox")
@roles_required(*roles.ACCOUNT_ROLES)
def inbox() -> str:
    login, role = _who()
    filters = _filters(request.args)
    number = request.args.get("page", "1")
    shown = messages.page(web.database(), login, role, filters, int(number) if number.isdigit() else 1)
    return render_template("officer/inbox.html", inbox=shown, query=_query)


@bp.get("/inbox/<int:message_id>")
@roles_required(*roles.ACCOUNT_ROLES)
def message(message_id: int) -> Page:
    login, role = _who()
    try:
        shown = messages.message(web.database(), login, role, message_id)
    except NotFound:
        return render_template("auth/error.html", title=_("No such message"),
                               message=_("This message is not in your inbox.")), 404  # fmt: skip
    if not shown.read:
        messages.mark_read(web.database(), login, role, [message_id])
    # The list and a message are one template: a message is the list's line opened.
    return render_template("officer/inbox.html", m=shown, back=_query(_filters(request.args), page=request.args.get("page", "")))


@bp.post("/inbox/read")
@roles_required(*roles.ACCOUNT_ROLES)
def mark_read() -> BaseResponse:
    login, role = _who()
    filters = _filters(request.form)
    if request.form.get("all") == "1":
        count = messages.mark_all_read(web.database(), login, role, filters)
    else:
        ids = [int(i) for i in request.form.getlist("id") if i.isdigit() and 0 < int(i) < 2**31]
        count = messages.mark_read(web.database(), login, role, ids)
    flash(_("Marked as read: %(count)s.", count=count), "success")
    return redirect(url_for(".inbox", **_query(filters, page=request.form.get("page", ""))))


@bp.app_template_global()
def unread_count() -> int:
    """The signed-in officer's unread messages (0 for anyone else)."""
    account = current_account()
    return messages.unread_count(web.database(), account.login, account.role) if account is not None else 0
