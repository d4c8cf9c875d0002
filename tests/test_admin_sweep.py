"""The administrators' site swept page by page: the administrator is an attacker for case content.

Every model of the project × every page the admin has for a model (changelist, add, change, delete,
history) × every HTTP method, as an administrator with and without the superuser flag: case content
(cases, persons, participants, acts, evidence, the audit trail) is neither on a page nor reachable
by a URL, nothing is deleted, the site's own links (the object shortcut, autocomplete, the password
page) open nothing either, and what the administrator changes goes through the audited services.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from accounts.admin_site import site
from accounts.choices import Role, UnitKind
from accounts.models import Unit, User
from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ParticipantRole
from cases.models import Case
from cases.services.participants import participant_add
from evidence.services import evidence_add
from tests.auth import verified_client
from tests.factories import make_user, person_data, register
from tests.test_access_sweep import writes

# Apps whose every model is case content or its trail; in `cases`, everything but the reference data.
CASE_CONTENT_APPS = {"evidence", "audit"}
REFERENCE_DATA = {
    "cases.criminalcodearticle",
    "cases.criminalcodearticleversion",
    "cases.proceedingsterm",
    "cases.proceduralacttype",
}
PAGES = ("changelist", "add", "change", "delete", "history")
OTHER_METHODS = ("PUT", "PATCH", "DELETE", "OPTIONS")
GRANTING = ("groups", "user_permissions", "is_superuser", "is_staff")


def is_case_content(model) -> bool:
    label = model._meta.label_lower
    return model._meta.app_label in CASE_CONTENT_APPS or (
        model._meta.app_label == "cases" and label not in REFERENCE_DATA
    )


@pytest.fixture(params=["superuser", "plain"])
def administrator(request, admin, reference_data):
    return admin if request.param == "superuser" else make_user("plain.admin", Role.ADMINISTRATOR, None)


@pytest.fixture
def content(investigator, prosecutor, settings, tmp_path):
    """A case with what makes it content: plot, a participant's names, an evidence item; with words to look for."""
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    case = register(actor=investigator, prosecutor=prosecutor, plot="Секретная фабула Жолдасбеков")
    participant_add(
        case_id=case.pk,
        actor=investigator,
        role=ParticipantRole.VICTIM,
        person_data=person_data(last_name="Тұрсынбаева"),
    )
    evidence_add(
        case_id=case.pk,
        actor=investigator,
        kind="physical",
        description="Кольцо с гравировкой",
        seized_at=case.registered_at,
        seized_place="Астана",
    )
    return case, ("Жолдасбеков", "Тұрсынбаева", "Кольцо с гравировкой", case.registration_number)


def admin_url(model, page: str) -> str | None:
    opts = model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}_{page}"
    first = model._default_manager.order_by("pk").first()
    try:
        if page in ("changelist", "add"):
            return reverse(name)
        return reverse(name, args=[first.pk if first else 1])
    except NoReverseMatch:
        # Not registered: the URL the admin would have, which must not exist.
        tail = {"changelist": "", "add": "add/"}.get(page, f"{first.pk if first else 1}/{page}/")
        return f"/admin/{opts.app_label}/{opts.model_name}/{tail.replace('change/', '')}"


def test_no_case_content_model_is_registered():
    registered = {model._meta.label_lower for model in site._registry}
    assert registered, "the sweep needs the site's models"
    assert not [label for label in registered if is_case_content(apps.get_model(label))]


def test_every_admin_page_of_every_model_as_an_administrator(administrator, content, supervisor):
    """Registered models: their pages open (delete: 403), other methods 405, and no page shows case content.
    Every other model, case content above all: no page at all (404), whatever the method."""
    case, words = content
    client = verified_client(administrator)
    failures = []
    for model in apps.get_models():
        registered = model in site._registry
        for page in PAGES:
            url = admin_url(model, page)
            with transaction.atomic():
                before = writes()
                answers = {"GET": client.get(url), "POST": client.post(url, {"post": "yes"})}
                answers |= {method: client.generic(method, url) for method in OTHER_METHODS}
                written = writes() != before
                transaction.set_rollback(True)
            where = f"{model._meta.label_lower} {page}"
            if not registered:
                wrong = {m: r.status_code for m, r in answers.items() if r.status_code not in (404, 405)}
                if wrong:
                    failures.append(f"{where}: not registered, but answered {wrong}")
            else:
                want = 403 if page == "delete" else 200
                if answers["GET"].status_code != want:
                    failures.append(f"{where}: GET answered {answers['GET'].status_code}, not {want}")
                wrong = {m: answers[m].status_code for m in OTHER_METHODS if answers[m].status_code != 405}
                if wrong:
                    failures.append(f"{where}: answered {wrong} instead of 405")
                shown = [w for w in words for r in answers.values() if w in r.content.decode(errors="replace")]
                if shown:
                    failures.append(f"{where}: shows case content {sorted(set(shown))}")
            # A POST to a page may save a reference-data form with its errors; it never writes a case's
            # rows: the unregistered pages and the delete pages write nothing at all.
            if written and (not registered or page == "delete"):
                failures.append(f"{where}: wrote rows")
    assert Case.objects.filter(pk=case.pk).exists() and User.objects.filter(pk=supervisor.pk).exists()
    assert not failures, "\n".join(failures)


def page_text(response, url: str) -> str:
    """The page without what differs on every response anyway (CSP nonce, CSRF token, its own URL)."""
    import re

    return re.sub(r'(nonce|value|content)="[A-Za-z0-9+/=_-]{16,}"', "", response.content.decode().replace(url, "URL"))


def test_the_object_shortcut_and_autocomplete_reveal_no_case(administrator, content):
    """/admin/r/<type>/<id>/ would redirect to any object's page, which tells which cases exist:
    an existing case answers exactly like an absent one. Autocomplete reaches no case model."""
    case, words = content
    client = verified_client(administrator)
    case_type = ContentType.objects.get_for_model(Case).pk
    urls = (f"/admin/r/{case_type}/{case.pk}/", f"/admin/r/{case_type}/{case.pk + 1000}/")
    existing, absent = (client.get(url) for url in urls)
    assert existing.status_code == absent.status_code == 404
    assert page_text(existing, urls[0]) == page_text(absent, urls[1])
    for field in ("lead_investigator", "prosecutor", "unit"):
        response = client.get(
            "/admin/autocomplete/", {"app_label": "cases", "model_name": "case", "field_name": field, "term": ""}
        )
        # Django's autocomplete lists the *target* of a field when that model is registered (here users
        # and units, which the administrator administers anyway); a case model's rows it never lists.
        assert response.status_code in (200, 403, 404) and not any(w in response.content.decode() for w in words)


def test_the_sites_password_page_is_the_audited_one(administrator):
    client = verified_client(administrator)
    response = client.get(reverse("admin:password_change"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password-change")
    assert client.post(reverse("admin:password_change"), {"new_password1": "x"}).status_code == 302


def test_every_action_of_the_site_changes_no_case(administrator, content, supervisor):
    """The only bulk action is the second factor's reset (audited); nothing deletes in bulk."""
    client = verified_client(administrator)
    request = type("R", (), {"user": administrator, "GET": {}, "POST": {}})()
    administrator.is_verified = lambda: True
    for model, model_admin in site._registry.items():
        actions = set(model_admin.get_actions(request))
        assert actions <= ({"reset_second_factor"} if model is User else set()), (model, actions)
    case, _words = content
    with transaction.atomic():
        before = writes()
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "delete_selected", "_selected_action": [supervisor.pk], "post": "yes"},
        )
        assert writes() == before and response.status_code in (200, 302)
        transaction.set_rollback(True)
    assert User.objects.filter(pk=supervisor.pk).exists()


# --- units: through the audited services, code and place in the tree fixed ---------------------------


def unit_form(unit: Unit, **overrides) -> dict:
    data = {
        "code": unit.code,
        "name_ru": unit.name_ru,
        "name_kk": unit.name_kk,
        "kind": unit.kind,
        "parent": unit.parent_id or "",
        "city": unit.city,
    }
    data.update(overrides)
    return data


def test_a_unit_added_in_the_admin_is_created_by_the_service_and_audited(administrator, astana):
    client = verified_client(administrator)
    response = client.post(
        reverse("admin:accounts_unit_add"),
        unit_form(
            Unit(code="AST9", name_ru="УП района Сарыарка", name_kk="Сарыарқа ауданы ПБ", city="Астана"),
            kind=UnitKind.DISTRICT,
            parent=astana.pk,
        ),
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="AST9")
    assert unit.path == "AST/AST9/"
    event = AuditEvent.objects.get(event=EventType.UNIT_CREATED)
    assert (event.actor_id, event.target_id, event.data["parent"]) == (administrator.pk, str(unit.pk), "AST")
    assert unit.history.get().history_user_id == administrator.pk


def test_a_units_code_and_parent_do_not_change_and_extra_fields_are_ignored(
    administrator, astana_district, taraz, supervisor
):
    """Moving a unit under another parent, or renaming its code, would leave its cases' supervisors'
    grants with the old superiors (and the code is in every registration number): the admin shows
    both read-only and a forged POST changes neither; names change, audited."""
    client = verified_client(administrator)
    groups_before = set(Group.objects.values_list("pk", "name"))
    response = client.post(
        reverse("admin:accounts_unit_change", args=[astana_district.pk]),
        {
            **unit_form(astana_district, code="MOVED", parent=taraz.pk, name_ru="УП района Есиль (новое)"),
            "groups": [g.pk for g in Group.objects.all()],
            "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
            "is_superuser": "on",
            "path": "TRZ/MOVED/",
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(pk=astana_district.pk)
    assert (unit.code, unit.parent_id, unit.path) == ("AST1", astana_district.parent_id, "AST/AST1/")
    assert unit.name_ru == "УП района Есиль (новое)"
    event = AuditEvent.objects.get(event=EventType.UNIT_CHANGED)
    assert event.actor_id == administrator.pk and set(event.data["changed"]) == {"name_ru"}
    assert set(Group.objects.values_list("pk", "name")) == groups_before
    administrator.refresh_from_db()
    assert not administrator.user_permissions.exists() and not administrator.groups.exists()
    page = client.get(reverse("admin:accounts_unit_change", args=[astana_district.pk])).content.decode()
    assert 'name="code"' not in page and 'name="parent"' not in page


def test_the_unit_service_refuses_a_new_code_or_parent(administrator, astana_district, taraz):
    from django.core.exceptions import ValidationError

    from accounts.services import unit_update

    for change in ({"code": "X1"}, {"parent": taraz}):
        with pytest.raises(ValidationError):
            unit_update(actor=administrator, unit=astana_district, **change)
    assert Unit.objects.get(pk=astana_district.pk).path == "AST/AST1/"


# --- the administrator's own rights ------------------------------------------------------------------


def test_an_administrator_cannot_make_himself_a_reader_of_cases(administrator, astana, content):
    """His own card: role, unit and activity read-only, groups and flags not fields; whatever he posts,
    he stays an administrator in no unit and no group — and sees no case."""
    case, _words = content
    client = verified_client(administrator)
    flags = (administrator.is_superuser, administrator.is_staff)
    response = client.post(
        reverse("admin:accounts_user_change", args=[administrator.pk]),
        {
            "last_name": "Админов",
            "first_name": administrator.first_name,
            "middle_name": administrator.middle_name,
            "email": administrator.email,
            "position": administrator.position,
            "language": administrator.language,
            "role": Role.SUPERVISOR,
            "unit": astana.pk,
            "is_active": "on",
            "groups": [g.pk for g in Group.objects.all()],
            "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    me = User.objects.get(pk=administrator.pk)
    assert (me.role, me.unit_id, (me.is_superuser, me.is_staff)) == (Role.ADMINISTRATOR, None, flags)
    assert not me.groups.exists() and not me.user_permissions.exists()
    assert not Case.objects.restrict(me, "view").filter(pk=case.pk).exists()
    changed = AuditEvent.objects.filter(event=EventType.USER_CHANGED, target_id=str(me.pk)).get()
    assert set(changed.data["changed"]) == {"last_name"} and changed.actor_id == me.pk
