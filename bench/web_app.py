"""The app ``python -m bench web`` serves under gunicorn: Registrar's own, plus a bare route to compare with.

``create_app()`` reads its settings from the environment the benchmark gives the workers
(``REGISTRAR_DATABASE_URL``, ``FLASK_SECRET_KEY``, an empty ``REGISTRAR_BROKER_URL``); it
starts no sweep thread (only ``registrar serve`` does). ``/bench/hello`` is registered on the
same app, so it passes through the same hooks (CSRF check, locale, security headers) and
differs from the measured pages only by what the page itself does.
"""

from __future__ import annotations

from web import create_app

app = create_app()


@app.get("/bench/hello")
def hello() -> str:
    return "hello"
