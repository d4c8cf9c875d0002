"""The case table's rows (cases/templatetags/case_table.py): what each cell shows, escaped, in the
user's language and time zone, from one URL reverse and one translation per label per table."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tests.factories import register

pytestmark = pytest.mark.django_db


def rows(cases, today):
    html = render_to_string("cases/_case_table.html", {"cases": cases, "today": today})
    return re.findall(r"<tr(?: class=\"(\w+)\")?><td>(.*?)</td></tr>", html)


def test_a_row_shows_the_case_as_its_fields_say(investigator):
    case = register(actor=investigator)
    case.registration_number = '<b>"1"&</b>'  # never saved: escaping is what is under test
    case.registered_at = dt.datetime(2026, 3, 1, 21, 30, tzinfo=dt.UTC)  # 02:30 on 2 March in Almaty
    case.deadline = dt.date(2026, 3, 10)
    with translation.override("kk"):
        [(css, cells)] = rows([case], today=dt.date(2026, 3, 11))
    number, registered, gravity, status, deadline, unit = cells.split("</td><td>")
    assert number == f'<a href="{reverse("cases:detail", args=[case.pk])}">&lt;b&gt;&quot;1&quot;&amp;&lt;/b&gt;</a>'
    assert (registered, deadline, css) == ("02.03.2026", "10.03.2026", "overdue")
    with translation.override("kk"):
        assert (gravity, status, unit) == (
            str(case.get_gravity_display()),
            str(case.get_status_display()),
            str(case.unit),
        )
    assert status != "Registered"  # translated, not the code's English


def test_no_deadline_is_a_dash_and_not_overdue(investigator):
    case = register(actor=investigator)
    case.deadline = None
    [(css, cells)] = rows([case], today=dt.date(2026, 3, 11))
    assert css == "" and cells.split("</td><td>")[4] == "—"


def test_an_empty_table_says_so():
    with translation.override("ru"):
        html = render_to_string("cases/_case_table.html", {"cases": [], "today": dt.date(2026, 3, 11)})
    assert '<tr><td colspan="6">Дел нет.</td></tr>' in html
