"""The date, datetime and time widgets render what the browser's control accepts, in every language (issue #13).

A locale's format (``03.11.2026``) or an offset in the value makes ``<input type=date>`` /
``datetime-local`` show an empty field, which the next save stores. Fast checks of the rendered
``value="…"``, of reading it back, and of act fields stored as JSON; the browser proof is
tests/browser/test_forms_round_trip.py.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.utils import translation

from cases.act_fields import PREFIX, add_structured_fields, structured_values
from cases.forms import CaseEditForm, ParticipantForm
from cases.models import ProceduralActType
from ecase.widgets import DateInput, DateTimeInput, TimeInput
from evidence.forms import EvidenceForm, TransferForm

ALMATY = ZoneInfo("Asia/Almaty")
LANGUAGES = ("ru", "kk", "en")


def value_of(html: str) -> str:
    return re.search(r'value="([^"]*)"', html).group(1)


class Dates(forms.Form):
    day = forms.DateField(widget=DateInput())
    moment = forms.DateTimeField(widget=DateTimeInput())
    clock = forms.TimeField(widget=TimeInput())


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_date_renders_as_iso(language):
    with translation.override(language):
        html = str(Dates(initial={"day": date(2026, 11, 3)})["day"])
    assert 'type="date"' in html and value_of(html) == "2026-11-03"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_datetime_renders_in_the_configured_zone_without_offset(language):
    with translation.override(language):
        local = str(Dates(initial={"moment": datetime(2026, 11, 3, 10, 0, tzinfo=ALMATY)})["moment"])
        utc = str(Dates(initial={"moment": datetime(2026, 11, 3, 5, 0, tzinfo=UTC)})["moment"])
    assert 'type="datetime-local"' in local and value_of(local) == "2026-11-03T10:00" == value_of(utc)
    assert "step=" not in local


def test_seconds_are_shown_and_allowed_so_an_unchanged_save_keeps_them():
    html = str(Dates(initial={"moment": datetime(2026, 11, 3, 10, 0, 30, 500, tzinfo=ALMATY)})["moment"])
    assert value_of(html) == "2026-11-03T10:00:30" and 'step="1"' in html
    assert value_of(str(Dates(initial={"clock": time(9, 5, 7)})["clock"])) == "09:05:07"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_time_renders_as_hours_and_minutes(language):
    with translation.override(language):
        html = str(Dates(initial={"clock": time(9, 5)})["clock"])
    assert 'type="time"' in html and value_of(html) == "09:05"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_iso_values_are_read_back_in_the_configured_zone(language):
    with translation.override(language):
        form = Dates(data={"day": "2026-11-03", "moment": "2026-11-03T10:00", "clock": "09:05"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == date(2026, 11, 3)
    assert form.cleaned_data["moment"] == datetime(2026, 11, 3, 10, 0, tzinfo=ALMATY)
    assert form.cleaned_data["moment"].isoformat() == "2026-11-03T10:00:00+05:00"
    assert form.cleaned_data["clock"] == time(9, 5)


def test_the_project_forms_render_their_dates_as_iso(db):
    with translation.override("ru"):
        assert value_of(str(CaseEditForm(initial={"event_date": date(2026, 11, 3)})["event_date"])) == "2026-11-03"
        participant = ParticipantForm(initial={"birth_date": date(1985, 3, 14), "role_since": date(2026, 11, 4)})
        assert value_of(str(participant["birth_date"])) == "1985-03-14"
        assert value_of(str(participant["role_since"])) == "2026-11-04"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", value_of(str(ParticipantForm()["role_since"])))  # today's default
        seized = datetime(2026, 11, 5, 9, 15, tzinfo=ALMATY)
        assert value_of(str(EvidenceForm(initial={"seized_at": seized})["seized_at"])) == "2026-11-05T09:15"
        assert value_of(str(TransferForm(initial={"occurred_at": seized})["occurred_at"])) == "2026-11-05T09:15"


def test_multi_line_text_comes_back_with_the_line_breaks_it_was_shown_with(db):
    form = CaseEditForm(
        data={"version": 1, "plot": "Строка 1\r\nСтрока 2\rСтрока 3", "reason": "x", "proceedings_form": "inquiry"}
    )
    form.is_valid()
    assert form.cleaned_data["plot"] == "Строка 1\nСтрока 2\nСтрока 3"


@pytest.fixture
def notice_case(case, investigator):
    from cases.services.participants import participant_add
    from tests.factories import person_data

    participant_add(case_id=case.pk, actor=investigator, role="victim", person_data=person_data())
    return case


def _act_form(act_type, case, stored, data=None):
    form = forms.Form(data=data)
    add_structured_fields(form, act_type, case, stored)
    return form


def test_act_fields_render_stored_json_as_the_controls_accept(notice_case):
    act_type = ProceduralActType.objects.get(code="investigation_completion_notice")
    stored = {"review_deadline": "2026-12-01", "notified_at": "2026-11-20T11:05:00+00:00"}
    with translation.override("ru"):
        form = _act_form(act_type, notice_case, stored)
        assert value_of(str(form[PREFIX + "review_deadline"])) == "2026-12-01"
        assert value_of(str(form[PREFIX + "notified_at"])) == "2026-11-20T16:05"  # 11:05 UTC is 16:05 in Almaty


def test_act_fields_saved_unchanged_keep_the_stored_json_verbatim(notice_case):
    act_type = ProceduralActType.objects.get(code="investigation_completion_notice")
    recipient = notice_case.participants.get()
    stored = {
        "review_deadline": "2026-12-01",
        "notified_at": "2026-11-20T11:05:00+00:00",
        "recipients": [recipient.pk],
        "delivery_method": "retired-method",
        "legacy_key": "kept",
    }
    browser_sends = {
        PREFIX + "review_deadline": "2026-12-01",
        PREFIX + "notified_at": "2026-11-20T16:05",
        PREFIX + "recipients": [str(recipient.pk)],
        PREFIX + "delivery_method": "retired-method",
    }
    form = _act_form(act_type, notice_case, stored, browser_sends)
    assert form.is_valid(), form.errors
    assert structured_values(form, act_type, stored) == stored

    changed = _act_form(act_type, notice_case, stored, {**browser_sends, PREFIX + "notified_at": "2026-11-21T09:00"})
    assert changed.is_valid(), changed.errors
    assert structured_values(changed, act_type, stored)["notified_at"] == "2026-11-21T09:00:00+05:00"


def test_the_case_list_filters_come_back_chosen(supervisor, investigator):
    from cases.forms_filters import CaseFilterForm

    form = CaseFilterForm(
        {"q": "188", "status": "registered", "gravity": "2", "investigator": str(investigator.pk), "overdue": "on"},
        user=supervisor,
    )
    assert form.is_valid(), form.errors
    assert 'value="registered" selected' in str(form["status"]) and 'value="2" selected' in str(form["gravity"])
    assert f'value="{investigator.pk}" selected' in str(form["investigator"])
    assert "checked" in str(form["overdue"]) and 'value="188"' in str(form["q"])
