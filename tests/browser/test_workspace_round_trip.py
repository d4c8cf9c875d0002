"""The administration workspace's edit forms round-trip in Chromium (issue #16 item 7, "nothing typed is lost").

An administrator opens a user's card and a unit's card in Russian and saves them unchanged: every
stored field is what it was and no change is audited. Then one field is changed: only that field
moves, in one audited change. The user is filled as in daily use (patronymic, e-mail, both
positions, a Kazakh interface), so a field the page shows but does not send back would be erased
on the first save.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Unit, User
from audit.choices import EventType
from audit.models import AuditEvent
from tests.browser.helpers import enrolled, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOOKKEEPING = {"last_login", "password"}  # the sign-in moves them, the card does not show them


def stored(model, pk: int) -> dict:
    row = model.objects.get(pk=pk)
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.attname not in BOOKKEEPING}


def audited(event: str) -> int:
    return AuditEvent.objects.filter(event=event).count()


@pytest.fixture
def administrator(admin):
    User.objects.filter(pk=admin.pk).update(language="ru")
    admin.refresh_from_db()
    enrolled(admin)
    return admin


def save(page) -> None:
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_selector(".messages, main .errors")
    assert not page.locator("main .errors").count(), page.locator("main .errors").all_inner_texts()


def test_a_users_card_saved_unchanged_stores_exactly_what_was_there(page_for, administrator, investigator, prosecutor):
    User.objects.filter(pk=investigator.pk).update(
        middle_name="Серікұлы",
        email="akhmetov@example.kz",
        position="Старший следователь СУ ДП г. Астаны",
        position_kk="Астана қ. ПД ТБ аға тергеушісі",
        language="kk",
    )
    page = page_for()
    sign_in(page, administrator)
    before = {user.pk: stored(User, user.pk) for user in (investigator, prosecutor, administrator)}
    changes = audited(EventType.USER_CHANGED)
    for user in (investigator, prosecutor, administrator):  # the administrator's own card disables role and unit
        page.goto(reverse("manage:user", args=[user.pk]))
        save(page)
        assert stored(User, user.pk) == before[user.pk], user.username
    assert audited(EventType.USER_CHANGED) == changes  # nothing changed, nothing audited

    page.goto(reverse("manage:user", args=[investigator.pk]))
    page.locator("#id_email").fill("n.akhmetov@example.kz")
    page.get_by_label("Причина").fill("Новый адрес")
    save(page)
    after = stored(User, investigator.pk)
    assert after == {**before[investigator.pk], "email": "n.akhmetov@example.kz"}
    change = AuditEvent.objects.filter(event=EventType.USER_CHANGED).latest("pk")
    assert change.data["changed"] == {"email": ["akhmetov@example.kz", "n.akhmetov@example.kz"]}


def test_a_units_card_saved_unchanged_stores_exactly_what_was_there(page_for, administrator, astana_district):
    page = page_for()
    sign_in(page, administrator)
    before = stored(Unit, astana_district.pk)
    changes = audited(EventType.UNIT_CHANGED)
    page.goto(reverse("manage:unit", args=[astana_district.pk]))
    save(page)
    assert stored(Unit, astana_district.pk) == before
    assert audited(EventType.UNIT_CHANGED) == changes

    page.goto(reverse("manage:unit", args=[astana_district.pk]))
    page.locator("#id_city").fill("Астана (Есильский район)")
    save(page)
    assert stored(Unit, astana_district.pk) == {**before, "city": "Астана (Есильский район)"}
    assert audited(EventType.UNIT_CHANGED) == changes + 1
