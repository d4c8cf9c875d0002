"""The administration workspace as an administrator uses it: units, users, reference data (issue #16 item 7).

Each write goes through its service and leaves one audit event naming the administrator; forms show a
refusal beside the field's label; lists search and page; the position has a Kazakh version, shown on
Kazakh pages. Access by role and method is swept in tests/test_admin_sweep.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import Role, UnitKind
from accounts.models import Unit, User
from accounts.services import unit_supervisors_group
from accounts.workspace.views import PAGE_SIZE
from audit.choices import EventType
from audit.models import AuditEvent
from cases.models import CriminalCodeArticle, ProceduralActType
from tests.auth import verified_client
from tests.factories import make_user

NEW_PASSWORD = "another-correct-horse-battery-77"


def last_event(event: str) -> AuditEvent:
    return AuditEvent.objects.filter(event=event).order_by("-id").first()


@pytest.fixture
def client(admin):
    return verified_client(admin)


def test_the_administrator_lands_in_the_workspace_and_its_shell_is_the_sites(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("manage:home")
    page = client.get(reverse("manage:home")).content.decode()
    assert "css/ecase.css" in page and "admin/css" not in page
    assert reverse("manage:users") in page and reverse("reference:articles") in page
    assert reverse("cases:list") not in page  # no case list in an administrator's menu


def test_a_user_created_in_the_workspace_is_created_by_the_service_and_audited(client, admin, astana):
    response = client.post(
        reverse("manage:user-new"),
        {
            "username": "new.investigator",
            "last_name": "Нұров",
            "first_name": "Ілияс",
            "role": Role.INVESTIGATOR,
            "unit": astana.code,
            "language": "kk",
            "position": "Следователь",
            "position_kk": "Тергеуші",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    user = User.objects.get(username="new.investigator")
    assert response.status_code == 302 and response["Location"] == reverse("manage:user", args=[user.pk])
    assert (user.role, user.unit, user.position, user.position_kk) == (
        Role.INVESTIGATOR,
        astana,
        "Следователь",
        "Тергеуші",
    )
    assert user.check_password(NEW_PASSWORD) and not user.is_staff
    event = last_event(EventType.USER_CREATED)
    assert (event.actor_id, event.target_id, event.data["password"]) == (admin.pk, str(user.pk), "set")
    assert user.history.get().history_user_id == admin.pk


def test_a_refused_form_names_the_fields_label_and_saves_nothing(client, astana, investigator):
    response = client.post(
        reverse("manage:user-new"),
        {
            "username": investigator.username,  # taken: the service's full_clean refuses it
            "last_name": "Нұров",
            "first_name": "Ілияс",
            "role": Role.SUPERVISOR,
            "unit": "",
            "language": "ru",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    # A supervisor without a unit: refused by the form, beside "Unit", and listed under its label.
    assert 'href="#id_unit">Unit code</a>: Everyone but an administrator works in a unit.' in body
    assert User.objects.filter(username=investigator.username).count() == 1
    assert last_event(EventType.USER_CREATED).target_id == str(investigator.pk)

    response = client.post(
        reverse("manage:user-new"),
        {
            "username": investigator.username,
            "last_name": "Нұров",
            "first_name": "Ілияс",
            "role": Role.INVESTIGATOR,
            "unit": astana.code,
            "language": "ru",
        },
    )
    assert response.status_code == 200
    assert 'href="#id_username">Username</a>: A user with that username already exists.' in response.content.decode()

    response = client.post(
        reverse("manage:user-new"),
        {"username": "x", "last_name": "Нұров", "first_name": "Ілияс", "role": Role.INVESTIGATOR, "unit": "NOPE"},
    )
    assert 'href="#id_unit">Unit code</a>: No unit has the code NOPE.' in response.content.decode()
    assert not User.objects.filter(username="x").exists()


def test_changing_role_and_unit_moves_the_supervisors_group_and_is_audited(client, admin, supervisor, taraz):
    response = client.post(
        reverse("manage:user", args=[supervisor.pk]),
        {
            "last_name": supervisor.last_name,
            "first_name": supervisor.first_name,
            "role": Role.SUPERVISOR,
            "unit": taraz.code,
            "language": "en",
            "position": supervisor.position,
            "reason": "Перевод",
        },
    )
    assert response.status_code == 302
    moved = User.objects.get(pk=supervisor.pk)
    assert moved.unit == taraz
    assert set(moved.groups.all()) == {unit_supervisors_group(taraz)}
    event = last_event(EventType.USER_CHANGED)
    assert event.actor_id == admin.pk and event.data["changed"]["unit"] == ["AST", "TRZ"]
    assert event.data["reason"] == "Перевод"

    response = client.post(
        reverse("manage:user", args=[supervisor.pk]),
        {
            "last_name": supervisor.last_name,
            "first_name": supervisor.first_name,
            "role": Role.INVESTIGATOR,
            "unit": taraz.code,
            "language": "en",
            "position": supervisor.position,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=supervisor.pk).role == Role.INVESTIGATOR
    assert not User.objects.get(pk=supervisor.pk).groups.exists()
    assert last_event(EventType.USER_CHANGED).data["changed"]["role"] == [Role.SUPERVISOR, Role.INVESTIGATOR]


def test_deactivation_needs_a_reason_ends_the_sessions_and_is_audited(client, admin, investigator):
    theirs = verified_client(investigator)
    url = reverse("manage:user-deactivate", args=[investigator.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and 'href="#id_reason">Reason</a>' in refused.content.decode()
    assert User.objects.get(pk=investigator.pk).is_active

    assert client.post(url, {"reason": "Уволен"}).status_code == 302
    assert not User.objects.get(pk=investigator.pk).is_active
    event = last_event(EventType.USER_DEACTIVATED)
    assert (event.actor_id, event.data["reason"], event.data["sessions_ended"]) == (admin.pk, "Уволен", 1)
    assert theirs.get("/").status_code == 302  # signed out

    assert (
        client.post(reverse("manage:user-reactivate", args=[investigator.pk]), {"reason": "Вернулся"}).status_code
        == 302
    )
    assert User.objects.get(pk=investigator.pk).is_active
    assert last_event(EventType.USER_REACTIVATED).data["reason"] == "Вернулся"


def test_the_second_factor_reset_needs_a_reason_and_is_audited(client, admin, investigator):
    verified_client(investigator)  # enrolled
    url = reverse("manage:user-second-factor", args=[investigator.pk])
    assert client.post(url, {"reason": " "}).status_code == 200
    assert TOTPDevice.objects.filter(user=investigator).exists()
    assert client.post(url, {"reason": "Телефон утерян"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=investigator).exists()
    event = last_event(EventType.OTP_RESET)
    assert (event.actor_id, event.target_id, event.data["reason"]) == (admin.pk, str(investigator.pk), "Телефон утерян")


def test_a_password_is_set_by_the_service_and_checked_by_the_rules(client, admin, investigator):
    url = reverse("manage:user-password", args=[investigator.pk])
    weak = client.post(url, {"password1": "123", "password2": "123"})
    assert weak.status_code == 200 and 'href="#id_password1">Password</a>' in weak.content.decode()
    assert client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302
    assert User.objects.get(pk=investigator.pk).check_password(NEW_PASSWORD)
    assert last_event(EventType.PASSWORD_SET).actor_id == admin.pk


def test_the_user_list_searches_by_surname_unit_role_and_activity_and_pages(
    client, astana, astana_district, taraz, investigator, outsider, supervisor
):
    district = make_user("district.investigator", Role.INVESTIGATOR, astana_district, last_name="Әлиев")
    names = lambda **query: {  # noqa: E731
        u.username for u in client.get(reverse("manage:users"), query).context["page"].object_list
    }
    assert names(q="ахм") == {investigator.username}  # typed in lower case
    assert names(q="outs") == {outsider.username}
    assert names(unit="AST") >= {investigator.username, supervisor.username, district.username}
    assert outsider.username not in names(unit="AST")
    assert names(unit="AST1") == {district.username}  # the unit and the units below it
    assert names(role=Role.SUPERVISOR) == {supervisor.username}
    outsider.is_active = False
    outsider.save(update_fields=["is_active"])
    assert names(active="no") == {outsider.username}
    for n in range(PAGE_SIZE + 1):
        make_user(f"many.{n:03}", Role.INVESTIGATOR, taraz, last_name="Яковлев")
    first = client.get(reverse("manage:users"), {"q": "Яков"})
    assert len(first.context["page"].object_list) == PAGE_SIZE and 'rel="next"' in first.content.decode()
    assert "q=%D0%AF%D0%BA%D0%BE%D0%B2&amp;page=2" in first.content.decode()  # the search stays on the next page
    assert len(client.get(reverse("manage:users"), {"q": "Яков", "page": 2}).context["page"].object_list) == 1


def test_units_are_a_tree_created_and_renamed_through_the_services(client, admin, astana, astana_district, taraz):
    page = client.get(reverse("manage:units")).content.decode()
    assert page.index(">AST<") < page.index(">AST1<") < page.index(">TRZ<")  # parents before children
    assert 'class="depth-1"' in page
    response = client.post(
        reverse("manage:unit-new"),
        {
            "code": "AST9",
            "parent": astana.code,
            "name_ru": "УП района Сарыарка",
            "name_kk": "Сарыарқа ауданы ПБ",
            "kind": UnitKind.DISTRICT,
            "city": "Астана",
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="AST9")
    assert unit.path == "AST/AST9/"
    event = last_event(EventType.UNIT_CREATED)
    assert (event.actor_id, event.target_id, event.data["parent"]) == (admin.pk, str(unit.pk), "AST")
    duplicate = client.post(
        reverse("manage:unit-new"),
        {"code": "AST9", "name_ru": "x", "name_kk": "x", "kind": UnitKind.CITY, "city": "Астана"},
    )
    assert duplicate.status_code == 200 and 'href="#id_code">Code</a>' in duplicate.content.decode()

    response = client.post(
        reverse("manage:unit", args=[unit.pk]),
        {"name_ru": unit.name_ru, "name_kk": "Сарыарқа ауданының ПБ", "kind": unit.kind, "city": unit.city},
    )
    assert response.status_code == 302
    assert Unit.objects.get(pk=unit.pk).name_kk == "Сарыарқа ауданының ПБ"
    assert last_event(EventType.UNIT_CHANGED).data["changed"] == {
        "name_kk": ["Сарыарқа ауданы ПБ", "Сарыарқа ауданының ПБ"]
    }


def test_reference_data_is_shown_read_only_and_searched_by_number(client):
    article = CriminalCodeArticle.objects.get(article="188", part=2)
    listing = client.get(reverse("reference:articles"), {"q": "188 2"})
    assert list(listing.context["page"].object_list) == [article]
    assert "load_reference_data" in listing.content.decode()
    assert {a.article for a in client.get(reverse("reference:articles"), {"q": "188"}).context["page"]} == {"188"}
    detail = client.get(reverse("reference:article", args=[article.pk])).content.decode()
    assert article.title_ru in detail and article.title_kk in detail and "01.01.2015" in detail
    assert "<form" not in detail.split("<main")[1]  # nothing to submit on a reference page
    act_type = ProceduralActType.objects.exclude(fields=[]).order_by("code").first()
    types = client.get(reverse("reference:act-types")).content.decode()
    assert act_type.name_kk in types
    fields = client.get(reverse("reference:act-type", args=[act_type.pk])).content.decode()
    assert all(spec["label_kk"] in fields for spec in act_type.fields)


def test_pages_are_translated(admin, supervisor):
    admin.language = "kk"
    admin.save(update_fields=["language"])
    client = verified_client(admin)
    for url in (
        reverse("manage:home"),
        reverse("manage:users"),
        reverse("manage:user", args=[supervisor.pk]),
        reverse("manage:units"),
        reverse("reference:articles"),
        reverse("reference:act-types"),
    ):
        body = client.get(url).content.decode()
        assert '<html lang="kk">' in body
        for english in ("Users", "Units", "Surname", "Search", "Save", "Read-only", "Administration"):
            assert f">{english}<" not in body and f">{english} " not in body, (url, english)


# --- the position in two languages ------------------------------------------------------------------


def test_position_in_returns_the_kazakh_one_when_recorded(investigator):
    investigator.position, investigator.position_kk = "Старший следователь", ""
    assert investigator.position_in("kk") == investigator.position_in("ru") == "Старший следователь"
    investigator.position_kk = "Аға тергеуші"
    assert investigator.position_in("kk") == "Аға тергеуші"
    assert investigator.position_in("ru") == investigator.position_in("en") == "Старший следователь"


def test_a_signed_act_prints_the_signers_position_in_the_acts_language(case, investigator, settings, tmp_path):
    """The author's line in the act and their signature stamp carry the position in the act's language."""
    from cases.pdf.storage import pdf_read
    from tests.cases.pdf_text import pdf_text, signature_appearance_texts
    from tests.cases.signing_helpers import TEST_PASSPHRASE, install_authority, signed_act

    settings.ECASE_SIGNING_PASSPHRASE = TEST_PASSPHRASE
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    install_authority()
    investigator.position, investigator.position_kk = "Начальник следственного отдела", "Тергеу бөлімінің бастығы"
    investigator.save(update_fields=["position", "position_kk"])
    for language, shown, hidden in (
        ("kk", "Тергеу бөлімінің бастығы", "Начальник следственного отдела"),
        ("ru", "Начальник следственного отдела", "Тергеу бөлімінің бастығы"),
    ):
        pdf = pdf_read(signed_act(case, investigator, language=language).pdf_sha256)
        stamps = " ".join(signature_appearance_texts(pdf).values())
        assert shown in stamps and hidden not in stamps, language
        text = pdf_text(pdf)
        assert shown in text and hidden not in text, language
