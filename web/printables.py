"""What an officer prints: the registration certificate (G2) and the CEC's resolutions on a candidacy
(registration, refusal, cancellation) and on the election (a round's results, the President's
registration ...), each a page with a print stylesheet and, where WeasyPrint is installed (the
``pdf`` extra), a PDF of the same page.

Each paper carries its number, its date, the commission's name and a verification link to the
public page that confirms it, built from the configured ``web.public_url``: a paper printed on
an officer's machine must not point at 127.0.0.1 or at whatever host the request came in on.

The Russian certificate agrees in gender with the candidate ("зарегистрирован" /
"зарегистрирована"). The records hold no sex; a Kazakh or Russian name says it in its
patronymic (…ович/…евич, …овна/…евна, …ұлы/…улы, …қызы/…кызы) or its surname (…ов/…ова,
…ев/…ева, …ин/…ина); :func:`gender_of` reads them, and when a name says nothing certain the
certificate uses a construction that needs no gender.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import import_module
from importlib.resources import files
from types import ModuleType
from typing import Any, Literal

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

import web
from registrar import printables, roles
from registrar.errors import NotFound
from web.auth import roles_required

bp = Blueprint("printables", __name__, url_prefix="/officer")

Gender = Literal["masculine", "feminine"]

# Endings of a patronymic, which always says it (Cyrillic, then the Latin transliterations).
_PATRONYMIC: tuple[tuple[Gender, tuple[str, ...]], ...] = (
    ("masculine", ("ович", "евич", "ьич", "ич", "ұлы", "улы", "uly", "ovich", "evich")),
    ("feminine", ("овна", "евна", "ична", "инична", "қызы", "кызы", "гызы", "kyzy", "qyzy", "ovna", "evna")),
)
# Endings of a surname, which says it for the common Russian and Kazakh forms.
_SURNAME: tuple[tuple[Gender, tuple[str, ...]], ...] = (
    ("feminine", ("ова", "ева", "ёва", "ина", "ына", "ская", "цкая", "ova", "eva", "ina", "skaya")),
    ("masculine", ("ов", "ев", "ёв", "ин", "ын", "ский", "цкий", "ov", "ev", "in", "sky", "skiy")),
)
_MASCULINE: Gender = "masculine"
_FEMININE: Gender = "feminine"
# "son of", "daughter of", written apart from the father's name.
_SON, _DAUGHTER = ("ұлы", "улы", "uly"), ("қызы", "кызы", "kyzy", "qyzy")
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def gender_of(full_name: str) -> Gender | None:
    """The grammatical gender a full name states, or None when it states none for certain.

    A patronymic decides (written joined, "Кемелұлы", or apart, "Кемел ұлы"); without one, the
    surname, first or last in the name, as Kazakh names are written either way round. A name
    that says two things says nothing."""
    words = [word.lower() for word in _WORDS.findall(full_name)]
    said: set[Gender] = {gender for word in words if len(word) > 4 and (gender := _ending(word, _PATRONYMIC))}
    said |= {_MASCULINE for word in words if word in _SON} | {_FEMININE for word in words if word in _DAUGHTER}
    if not said and words:
        said = {gender for word in {words[0], words[-1]} if len(word) > 3 and (gender := _ending(word, _SURNAME))}
    return said.pop() if len(said) == 1 else None


def _ending(word: str, table: tuple[tuple[Gender, tuple[str, ...]], ...]) -> Gender | None:
    return next((gender for gender, endings in table if word.endswith(endings)), None)


def verification_link(endpoint: str, **values: Any) -> str:
    """The public page that confirms a paper, on the configured public address."""
    return web.settings().public_url + url_for(endpoint, **values)


@cache
def _weasyprint() -> ModuleType | None:
    """WeasyPrint when the ``pdf`` extra is installed and its libraries load; else None (the page is printed)."""
    try:
        return import_module("weasyprint")
    except (ImportError, OSError):  # OSError: pango or its fonts missing
        return None


def pdf_available() -> bool:
    return _weasyprint() is not None


# What each resolution is about, and what the CEC resolves: sentences that name "the person named
# above", so that no language needs the candidate's gender or case.
RESOLUTION_SUBJECTS: dict[str, Any] = {
    "register": _l("On the registration of a candidate for President of the Republic of Kazakhstan"),
    "refuse": _l("On the refusal to register a candidate for President of the Republic of Kazakhstan"),
    "refuse_incomplete": _l("On the refusal to register a candidate for President of the Republic of Kazakhstan"),
    "cancel_registration": _l(
        "On the cancellation of the registration of a candidate for President of the Republic of Kazakhstan"
    ),
}
RESOLUTION_OPERATIVE: dict[str, Any] = {
    "register": _l("To register the person named above as a candidate for President of the Republic of Kazakhstan."),
    "refuse": _l("To refuse the person named above registration as a candidate for President of the Republic of Kazakhstan."),
    "refuse_incomplete": _l("To refuse the person named above registration as a candidate for President of the Republic "
                            "of Kazakhstan."),
    "cancel_registration": _l("To cancel the registration of the candidate named above."),
}  # fmt: skip
ELECTION_RESOLUTION_SUBJECTS: dict[str, Any] = {
    "establish_results": _l("On the results of the election of the President of the Republic of Kazakhstan"),
    "call_second_round": _l("On a second round of the election of the President of the Republic of Kazakhstan"),
    "declare_void": _l("On declaring the election of the President of the Republic of Kazakhstan void"),
    "register_president": _l("On the registration of the President-elect of the Republic of Kazakhstan"),
    "refuse_president": _l("On the refusal to register the President-elect of the Republic of Kazakhstan"),
    "call_rerun": _l("On a repeat election of the President of the Republic of Kazakhstan"),
}


@bp.app_context_processor
def _printing() -> dict[str, Any]:
    return {
        "pdf_available": pdf_available,
        "RESOLUTION_SUBJECTS": RESOLUTION_SUBJECTS,
        "RESOLUTION_OPERATIVE": RESOLUTION_OPERATIVE,
        "ELECTION_RESOLUTION_SUBJECTS": ELECTION_RESOLUTION_SUBJECTS,
    }


def _paper(page: str, body: str, pdf: bool, filename: str, **context: Any) -> Response | str:
    """The paper as an officer's page, or as a PDF of the same body with the print stylesheet."""
    if not pdf:
        pdf_url = url_for(request.endpoint or "", **{**(request.view_args or {}), "pdf": True})
        return render_template(page, body=body, pdf_url=pdf_url, **context)
    weasyprint = _weasyprint()
    if weasyprint is None:
        abort(404)
    css = files("web").joinpath("static/print.css").read_text(encoding="utf-8")
    html = render_template("print/document.html", body=body, css=css, **context)
    document = weasyprint.HTML(string=html, base_url=web.settings().public_url).write_pdf()
    response = Response(document, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=f"{filename}-{get_locale()}.pdf")
    return response


@bp.get("/candidacies/<int:candidacy_id>/certificate", defaults={"pdf": False})
@bp.get("/candidacies/<int:candidacy_id>/certificate.pdf", defaults={"pdf": True})
@roles_required(*roles.ACCOUNT_ROLES)
def certificate(candidacy_id: int, pdf: bool) -> Response | str:
    try:
        found = printables.certificate(web.database(), candidacy_id)
    except NotFound:
        abort(404)
    verify = verification_link("public.candidacy", candidacy_id=candidacy_id)
    return _paper("officer/certificate.html", "print/_certificate.html", pdf, f"certificate-{found['number']}",
                  certificate=found, verify=verify, gender=gender_of(found["person"]))  # fmt: skip


@bp.get("/resolutions/<int:decision_id>", defaults={"pdf": False})
@bp.get("/resolutions/<int:decision_id>.pdf", defaults={"pdf": True})
@roles_required(*roles.ACCOUNT_ROLES)
def resolution(decision_id: int, pdf: bool) -> Response | str:
    try:
        found = printables.resolution(web.database(), decision_id)
    except NotFound:
        abort(404)
    verify = verification_link("public.candidacy", candidacy_id=found["candidacy"])
    return _paper("print/resolution.html", "print/_resolution.html", pdf, f"resolution-{found['number']}",
                  resolution=found, verify=verify, gender=gender_of(found["person"]))  # fmt: skip


@bp.get("/election-resolutions/<int:decision_id>", defaults={"pdf": False})
@bp.get("/election-resolutions/<int:decision_id>.pdf", defaults={"pdf": True})
@roles_required(*roles.ACCOUNT_ROLES)
def election_resolution(decision_id: int, pdf: bool) -> Response | str:
    try:
        found = printables.election_resolution(web.database(), decision_id)
    except NotFound:
        abort(404)
    verify = verification_link("public.results", election_id=found["election_id"])
    return _paper(
        "print/resolution.html",
        "print/_election_resolution.html",
        pdf,
        f"resolution-{found['number']}",
        resolution=found,
        verify=verify,
    )


@bp.app_template_global()
def resolutions_of(candidacy_id: int | None = None, election_id: str | None = None) -> list[dict[str, Any]]:
    """The CEC's resolutions on a candidacy or an election, for a page to link to their printable form."""
    return printables.resolutions_of(web.database(), candidacy_id, election_id)
