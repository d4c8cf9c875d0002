"""The administration workspace in Chromium, in Russian: an administrator creates a user and moves
them to another unit (issue #16 item 7), every control labelled, each step one audit event."""

from __future__ import annotations

import re

import pytest

from accounts.choices import Role
from accounts.models import User
from audit.choices import EventType
from audit.models import AuditEvent
from tests.browser.helpers import UNLABELLED, enrolled, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "another-correct-horse-battery-77"


def test_an_administrator_creates_a_user_and_changes_their_unit_in_russian(page_for, shot, admin, astana, taraz):
    admin.language = "ru"
    admin.save(update_fields=["language"])
    enrolled(admin)
    page = page_for()
    sign_in(page, admin)
    page.wait_for_url("**/manage/")  # the administrator's home after sign-in
    assert page.locator("h1").inner_text() == "Администрирование"
    assert page.get_by_role("link", name="Дела").count() == 0  # no case list in his menu

    page.get_by_role("link", name="Пользователи").first.click()
    page.wait_for_url("**/manage/users/")
    page.get_by_role("link", name="Новый пользователь").click()
    page.wait_for_url("**/manage/users/new/")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("Имя пользователя").fill("new.investigator")
    page.get_by_label("Фамилия", exact=False).first.fill("Нұров")
    page.get_by_label("Имя *", exact=True).fill("Ілияс")
    page.get_by_label("Роль *", exact=True).select_option(Role.INVESTIGATOR)
    page.get_by_label("Код подразделения").fill(astana.code)
    page.get_by_label("Должность на русском").fill("Следователь")
    page.get_by_label("Должность на казахском").fill("Тергеуші")
    page.get_by_label("Пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Пароль ещё раз").fill(NEW_PASSWORD)
    shot(page, "new-user")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_url(re.compile(r"/manage/users/\d+/$"))
    assert "Пользователь new.investigator создан." in page.locator(".messages").inner_text()
    user = User.objects.get(username="new.investigator")
    assert (user.unit, user.position_kk) == (astana, "Тергеуші")

    # A unit code nobody has: refused beside the field, under its label, nothing saved.
    page.get_by_label("Код подразделения").fill("NOPE")
    page.get_by_role("button", name="Сохранить").click()
    assert "Код подразделения: Нет подразделения с кодом NOPE." in page.locator("main .errors").first.inner_text()
    assert User.objects.get(pk=user.pk).unit == astana

    page.get_by_label("Код подразделения").fill(taraz.code)
    page.get_by_label("Причина").fill("Перевод")
    shot(page, "change-unit")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_selector(".messages")
    assert User.objects.get(pk=user.pk).unit == taraz
    events = list(AuditEvent.objects.filter(target_id=str(user.pk)).order_by("pk").values_list("event", "actor_id"))
    assert events == [(EventType.USER_CREATED, admin.pk), (EventType.USER_CHANGED, admin.pk)]
    changed = AuditEvent.objects.get(event=EventType.USER_CHANGED, target_id=str(user.pk))
    assert changed.data["changed"]["unit"] == [astana.code, taraz.code] and changed.data["reason"] == "Перевод"
    shot(page, "moved")
