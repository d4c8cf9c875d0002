"""Typing a valid IIN fills birth date and sex in the browser (static/js/iin.js, issue #16)."""

from __future__ import annotations

from datetime import date

from tests.browser.helpers import sign_in
from tests.factories import make_iin, register


def test_typing_an_iin_fills_birth_date_and_sex_over_what_was_there(page_for, investigator, prosecutor):
    case = register(actor=investigator, prosecutor=prosecutor)
    page = page_for()
    sign_in(page, investigator, enrol=True)
    page.goto(f"/cases/{case.pk}/participants/new/")
    page.wait_for_load_state()  # iin.js attaches on DOMContentLoaded
    assert page.input_value("#id_role") == ""  # no role preselected
    page.fill("#id_birth_date", "2001-01-01")  # typed before the IIN: the IIN wins
    page.click("#id_iin")
    page.keyboard.type(make_iin(date(1990, 6, 15), "F"))
    assert page.input_value("#id_birth_date") == "1990-06-15"
    assert page.input_value("#id_sex") == "F"
    page.keyboard.press("Backspace")  # an incomplete IIN leaves the filled values alone
    assert page.input_value("#id_birth_date") == "1990-06-15"
