"""Every edit form round-trips in a real browser (issue #13, "nothing typed is lost").

A world with every editable object: a case with its offence date, two articles, an investigative
group, a prosecutor and a supervisor; participants with their role dates; act drafts of types with
date, datetime, article, participant, evidence, choice and multi-line fields (one stored the way
the demo generator and the API store them: lists, a datetime in UTC, one with seconds); evidence
items seized at a time of day. Each edit form is opened by the user who may edit it, in Russian
(the locale whose date format ``<input type=date>`` used to show as empty), and submitted
unchanged: every stored field, many-to-many included, is what it was. Then one other field is
changed and saved: the date and datetime fields are still what they were.

Participants and evidence items have no edit page (their services have no form yet): the add
forms are checked to show their date defaults in the form the control accepts.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import User
from cases.choices import ParticipantRole
from cases.models import Case, ProceduralAct, ProceduralActType
from cases.services.acts import act_create
from cases.services.case import case_assign
from cases.services.participants import participant_add
from evidence.services import evidence_add
from tests.browser.helpers import enrolled, sign_in
from tests.factories import person_data, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALMATY = ZoneInfo("Asia/Almaty")
BOOKKEEPING = {"version", "updated_at"}  # raised by every save, also an unchanged one
SUBMIT = "main form[method=post] button[type=submit]"


def stored(obj) -> dict:
    """Every concrete field and many-to-many of ``obj`` as the database holds it now."""
    row = type(obj).objects.get(pk=obj.pk)
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.attname not in BOOKKEEPING}
    for m2m in row._meta.many_to_many:
        values[m2m.name] = sorted(getattr(row, m2m.name).values_list("pk", flat=True))
    return values


# Every date relative to a registration a month ago: a role or a seizure cannot predate the case.
DAY = timezone.localdate() - timedelta(days=25)


def day(n: int) -> str:
    return (DAY + timedelta(days=n)).isoformat()


class World:
    def __init__(self, investigator, colleague, supervisor, prosecutor):
        for user in (investigator, colleague, supervisor, prosecutor):
            User.objects.filter(pk=user.pk).update(language="ru")  # the localised date format is the trap
        self.investigator, self.supervisor = investigator, supervisor
        self.case = register(
            actor=investigator,
            prosecutor=prosecutor,
            articles=("188-2", "190-1"),
            event_date=DAY - timedelta(days=10),
            days_ago=30,
            plot="Первая строка фабулы.\nВторая строка: «кавычки», ёлка, Қазақ.",
        )
        case_assign(
            case_id=self.case.pk,
            actor=supervisor,
            lead_investigator=investigator,
            group=[colleague],
            prosecutor=prosecutor,
            supervisor=supervisor,
            reason="Группа",
        )
        self.victim = participant_add(
            case_id=self.case.pk,
            actor=investigator,
            role=ParticipantRole.VICTIM,
            person_data=person_data(),
            role_since=DAY,
        )
        self.witness = participant_add(
            case_id=self.case.pk,
            actor=investigator,
            role=ParticipantRole.WITNESS,
            person_data=person_data(born=date(1990, 1, 2), last_name="Сапаров"),
            role_since=DAY + timedelta(days=1),
        )
        self.items = [
            evidence_add(
                case_id=self.case.pk,
                actor=investigator,
                kind="physical",
                description=text,
                seized_at=datetime.combine(DAY, datetime.min.time(), ALMATY).replace(hour=9, minute=15),
                seized_place="ул. Абая, 1",
            )
            for text in ("Телефон", "Нож")
        ]
        self.acts = [
            # The form's own way of storing: ISO date, datetime with the zone's offset, one id, one code.
            self._act(
                "qualification",
                {
                    "suspect": self.victim.pk,
                    "articles": "190-1",
                    "circumstances": "Строка 1\nСтрока 2",
                    "prosecutor_agreed_on": day(2),
                    "announced_at": f"{day(2)}T10:00:00+05:00",
                },
            ),
            # A datetime stored in UTC and one with seconds, a choice, a participant and multi-line text.
            self._act(
                "interrogation_witness",
                {
                    "start_time": f"{day(1)}T05:30:00+00:00",
                    "end_time": f"{day(1)}T11:45:30+05:00",
                    "interrogated": self.witness.pk,
                    "rights_explained": "yes",
                    "testimony": "Видел.\n\nУбежал.",
                },
                participants=[self.witness.pk],
            ),
            # The demo generator's and the API's way: reference fields as lists.
            self._act(
                "seizure",
                {
                    "started_at": f"{day(1)}T09:00+05:00",
                    "finished_at": f"{day(1)}T09:40+05:00",
                    "holder": self.victim.pk,
                    "attesting_witnesses": [self.witness.pk, self.victim.pk],
                    "items_seized": [item.pk for item in self.items],
                    "grounds": "Постановление",
                },
            ),
            self._act(
                "investigation_completion_notice",
                {"recipients": [self.victim.pk], "review_deadline": day(30), "notified_at": f"{day(5)}T16:05:00+05:00"},
            ),
        ]

    def _act(self, code: str, fields: dict, participants=()) -> ProceduralAct:
        act_type = ProceduralActType.objects.get(code=code)
        assert {spec["name"] for spec in act_type.fields} >= set(fields), code
        return act_create(
            case_id=self.case.pk,
            actor=self.investigator,
            act_type=act_type,
            language="ru",
            place="г. Астана",
            fields=fields,
            body="Текст акта.\nВторой абзац.",
            participant_ids=participants,
        )


@pytest.fixture
def world(investigator, colleague, supervisor, prosecutor):
    for user in (investigator, supervisor):
        enrolled(user)
    return World(investigator, colleague, supervisor, prosecutor)


def submit(page, url_after: str) -> None:
    page.click(SUBMIT)
    page.wait_for_url(re.compile(url_after))
    assert not page.locator(".errors").count(), page.locator(".errors").all_inner_texts()


def test_every_edit_form_saved_unchanged_stores_exactly_what_was_there(page_for, shot, world):
    investigator_page, supervisor_page = page_for(), page_for()
    sign_in(investigator_page, world.investigator)
    sign_in(supervisor_page, world.supervisor)
    case = world.case

    # The case: offence date, form of proceedings, plot.
    page, before = investigator_page, stored(case)
    page.goto(f"/cases/{case.pk}/edit/")
    assert page.input_value("#id_event_date") == (DAY - timedelta(days=10)).isoformat()
    shot(page, "case-edit")
    page.fill("#id_reason", "Проверка без изменений")
    submit(page, rf"/cases/{case.pk}/$")
    assert stored(case) == before

    # The qualification changes only by a decree in force (issue #18): its address leads to drafting one.
    page.goto(f"/cases/{case.pk}/requalify/")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/acts/new/\?act_type=\d+$"))
    shot(page, "case-requalify")
    assert stored(case) == before

    # The assignment: lead investigator, group, prosecutor, supervisor.
    page, before = supervisor_page, stored(case)
    page.goto(f"/cases/{case.pk}/assign/")
    assert page.input_value("#id_supervisor") == str(world.supervisor.pk)
    shot(page, "case-assign")
    page.fill("#id_reason", "Проверка без изменений")
    submit(page, rf"/cases/{case.pk}/$")
    assert stored(case) == before

    # Every act draft: its structured fields (JSON, exactly as stored), text, language, participants.
    page = investigator_page
    for act in world.acts:
        before = stored(act)
        page.goto(f"/cases/acts/{act.pk}/edit/")
        for name, value in before["fields"].items():
            if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\d", value):
                shown = page.input_value(f"#id_f_{name}")
                local = timezone.localtime(datetime.fromisoformat(value)) if "T" in value else None
                assert shown == (
                    local.strftime("%Y-%m-%dT%H:%M" + (":%S" if local.second else "")) if local else value
                ), (act.act_type.code, name, value, shown)
        shot(page, f"act-edit-{act.act_type.code}")
        submit(page, rf"/cases/acts/{act.pk}/$")
        assert stored(act) == before, act.act_type.code


def test_changing_another_field_keeps_every_date(page_for, world):
    page = page_for()
    sign_in(page, world.investigator)
    case = world.case

    page.goto(f"/cases/{case.pk}/edit/")
    page.fill("#id_plot", "Новая фабула.")
    page.fill("#id_reason", "Уточнение фабулы")
    submit(page, rf"/cases/{case.pk}/$")
    case = Case.objects.get(pk=case.pk)
    assert (case.plot, case.event_date) == ("Новая фабула.", DAY - timedelta(days=10))

    for act in world.acts:
        dated = {spec["name"] for spec in act.act_type.fields if spec.get("type") in ("date", "datetime", "time")}
        before = {name: value for name, value in act.fields.items() if name in dated}
        assert before, act.act_type.code
        page.goto(f"/cases/acts/{act.pk}/edit/")
        page.fill("#id_place", "г. Астана, ул. Кенесары, 5")
        submit(page, rf"/cases/acts/{act.pk}/$")
        act.refresh_from_db()
        assert act.place == "г. Астана, ул. Кенесары, 5"
        assert {name: value for name, value in act.fields.items() if name in dated} == before, act.act_type.code

    # Changing a datetime in the browser stores it in the configured zone (Asia/Almaty, +05:00).
    act = world.acts[0]
    page.goto(f"/cases/acts/{act.pk}/edit/")
    page.fill("#id_f_announced_at", f"{day(3)}T09:05")
    submit(page, rf"/cases/acts/{act.pk}/$")
    act.refresh_from_db()
    assert act.fields["announced_at"] == f"{day(3)}T09:05:00+05:00"
    assert act.fields["prosecutor_agreed_on"] == day(2)


def test_the_add_forms_show_their_date_defaults(page_for, world):
    page = page_for()
    sign_in(page, world.investigator)
    page.goto(f"/cases/{world.case.pk}/participants/new/")
    assert page.input_value("#id_role_since") == timezone.localdate().isoformat()  # used to show empty
    page.goto(f"/evidence/{world.items[0].pk}/")
    assert page.locator("#id_occurred_at").get_attribute("type") == "datetime-local"
