"""The app ``python -m bench web`` serves under gunicorn: Registrar's own, plus bare routes to compare with.

``create_app()`` reads its settings from the environment the benchmark gives the workers
(``REGISTRAR_DATABASE_URL``, ``FLASK_SECRET_KEY``, an empty ``REGISTRAR_BROKER_URL``); it
starts no sweep thread (only ``registrar serve`` does). ``/bench/hello`` is registered on the
same app, so it passes through the same hooks (CSRF check, locale, security headers) and
differs from the measured pages only by what the page itself does.

Two more tell where an officer's page spends what the bare route does not: ``/bench/officer``
answers "hello" to an officer logged in (the session cookie read, the account loaded, the role
checked), and ``/bench/officer/page`` is an officer's page with nothing on it (the site's frame
and the officers' menu, with its count of unread notifications), the frame every officer's
page, the dashboard among them, is drawn in.
"""

from __future__ import annotations

from typing import Any

from registrar import roles
from web import create_app
from web.auth import roles_required

app = create_app()

# Compiled once, as a template file is (render_template_string would compile it on every request).
EMPTY_PAGE = app.jinja_env.from_string(
    '{% extends "base.html" %}{% block content %}{% include "officer/_nav.html" %}{% endblock %}'
)


@app.get("/bench/hello")
def hello() -> str:
    return "hello"


@app.get("/bench/officer")
@roles_required(*roles.ACCOUNT_ROLES)
def officer_hello() -> str:
    return "hello"


@app.get("/bench/officer/page")
@roles_required(*roles.ACCOUNT_ROLES)
def officer_page() -> str:
    context: dict[str, Any] = {}
    app.update_template_context(context)  # what render_template gives a template: request, session, helpers
    return EMPTY_PAGE.render(context)
