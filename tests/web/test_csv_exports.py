"""The public CSV exports open in a spreadsheet as typed (issue 13): Cyrillic read through a UTF-8
BOM, and no cell that a spreadsheet program would run as a formula (OWASP's CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from web.public import spreadsheet


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://evil.example")', "+7 701", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_begins_like_a_formula_stays_text(app: Flask, typed: str) -> None:
    with app.test_request_context():
        body = spreadsheet([["place_of_work"], [typed], [1500]], "x.csv").get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["place_of_work"], [f"'{typed}"], ["1500"]], "numbers stay numbers"


def test_cyrillic_and_plain_text_are_kept_as_typed(app: Flask) -> None:
    with app.test_request_context():
        body = spreadsheet([["Әлихан Бөкейханов", "Алматы қаласы"]], "x.csv").get_data()
    assert body.decode("utf-8-sig") == "Әлихан Бөкейханов,Алматы қаласы\r\n"
