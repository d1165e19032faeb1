"""The JSON API under ``/api/v1`` (flask-smorest), its OpenAPI 3 document at ``/api/v1/openapi.json``.

Request bodies are registrar's own marshmallow schemas, validated by the same action
functions the CLI and the forms call; the views only read the request, call ``registrar`` and
shape the answer. Errors are JSON with a stable ``code`` (see :mod:`web.api.errors`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from web.api import (
    election_actions,  # noqa: F401 - its routes register on blp (issue 14, part 5)
    errors,
)
from web.api.schemas import ApiErrorSchema
from web.api.views import BODIES, _name, blp

PREFIX = "/api/v1"


class _Api(Api):
    # A query-string error (flask-smorest's own 422) is answered by errors.http_error in the same
    # body as every other error, so the document says so too.
    ERROR_SCHEMA = ApiErrorSchema

    def _register_error_handlers(self) -> None:
        # flask-smorest would answer every HTTP error of the whole app in JSON; the public
        # and officer pages keep their HTML error pages, so only /api/ paths get JSON.
        self._app.register_error_handler(errors.HTTPException, errors.http_error)


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Registrar")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    spec: dict[str, Any] = {
        "info": {"description": "Candidate registration for the presidential elections of Kazakhstan. Read endpoints are "
                 "public (the public sees what rule G2 allows); changes need an API token: Authorization: Bearer <token>."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }  # fmt: skip
    api = _Api(app, spec_kwargs=spec)
    for schema in BODIES:
        api.spec.components.schema(_name(schema), schema=schema)
    api.register_blueprint(blp, url_prefix=PREFIX)
    app.extensions["registrar.api"] = api
