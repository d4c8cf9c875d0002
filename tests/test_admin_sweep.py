"""The administration workspace swept route by route: the administrator is an attacker for case content.

Every route of the workspace (``/manage/``, units, users, reference data) × every HTTP method × every
role: an active administrator (with and without the superuser flag, which decides nothing) gets its
pages and forms, every other role 403, the anonymous visitor the login page, and a method a route does
not take 405. What the administrator posts goes through the audited services (one event per write)
and writes nothing of a case; no page, and no answer to a search, shows case content; his own role,
unit and activity stay as they are whatever he posts, so he never grants himself a case. Django's
admin is not mounted at all.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.choices import Role, UnitKind
from accounts.models import Unit, User
from accounts.services import unit_supervisors_group
from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ParticipantRole
from cases.models import Case, CriminalCodeArticle, ProceduralActType
from cases.services.participants import participant_add
from evidence.services import evidence_add
from tests.auth import verified_client
from tests.factories import make_user, person_data, register
from tests.test_access_sweep import writes

NAMESPACES = ("manage", "reference")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
NEW_PASSWORD = "another-correct-horse-battery-77"


def workspace_routes() -> dict[str, str]:
    """Every named route of the workspace's namespaces, with its pattern."""
    routes = {}
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace in NAMESPACES:
            for inner in entry.url_patterns:
                assert isinstance(inner, URLPattern)
                routes[f"{entry.namespace}:{inner.name}"] = str(inner.pattern)
    return routes


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


class Sweep:
    """The URL and a POST that writes (or, where nothing may be written, is refused) for every route."""

    def __init__(self, unit: Unit, user: User):
        self.unit, self.user = unit, user
        self.article = CriminalCodeArticle.objects.order_by("pk").first()
        self.act_type = ProceduralActType.objects.order_by("pk").first()

    def url(self, name: str) -> str:
        if name in ("manage:unit",):
            return reverse(name, args=[self.unit.pk])
        if name.startswith("manage:user-") and name != "manage:user-new" or name == "manage:user":
            return reverse(name, args=[self.user.pk])
        if name == "reference:article":
            return reverse(name, args=[self.article.pk])
        if name == "reference:act-type":
            return reverse(name, args=[self.act_type.pk])
        return reverse(name)

    # Route → (POST data, the audit event it writes, or None when the form is refused).
    def posts(self) -> dict[str, tuple[dict, str | None]]:
        user = self.user
        return {
            "manage:unit-new": (
                {
                    "code": "AST7",
                    "parent": self.unit.code,
                    "name_ru": "УП района Байконыр",
                    "name_kk": "Байқоңыр ауданы ПБ",
                    "kind": UnitKind.DISTRICT,
                    "city": "Астана",
                },
                EventType.UNIT_CREATED,
            ),
            "manage:unit": (
                {
                    "name_ru": "ДП г. Астаны",
                    "name_kk": self.unit.name_kk,
                    "kind": self.unit.kind,
                    "city": self.unit.city,
                    "reason": "Переименование",
                },
                EventType.UNIT_CHANGED,
            ),
            "manage:user-new": (
                {
                    "username": "newcomer",
                    "last_name": "Нұров",
                    "first_name": "Ілияс",
                    "role": Role.INVESTIGATOR,
                    "unit": self.unit.code,
                    "language": "kk",
                    "position": "Следователь",
                    "position_kk": "Тергеуші",
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                },
                EventType.USER_CREATED,
            ),
            "manage:user": (
                {
                    "last_name": user.last_name,
                    "first_name": user.first_name,
                    "role": user.role,
                    "unit": user.unit.code,
                    "language": user.language,
                    "position": "Начальник отдела",
                    "position_kk": "Бөлім бастығы",
                },
                EventType.USER_CHANGED,
            ),
            "manage:user-deactivate": ({"reason": "Уволен"}, EventType.USER_DEACTIVATED),
            "manage:user-reactivate": ({"reason": "Вернулся"}, None),  # the account is active: refused
            "manage:user-second-factor": ({"reason": "Телефон утерян"}, EventType.OTP_RESET),
            "manage:user-password": ({"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, EventType.PASSWORD_SET),
        }


def test_the_sweep_knows_every_route_of_the_workspace_and_djangos_admin_is_gone(astana, supervisor):
    routes = workspace_routes()
    assert len(routes) >= 15
    forms = set(Sweep(astana, supervisor).posts())
    assert forms <= set(routes)
    for name in routes:
        Sweep(astana, supervisor).url(name)  # every route is reachable by the sweep
    assert not any(isinstance(e, URLResolver) and e.namespace == "admin" for e in get_resolver().url_patterns)


def test_every_route_every_method_every_role(administrator, content, investigator, supervisor, prosecutor, outsider):
    """Administrators: pages 200, forms write through the services (one audit event each) or are refused,
    other methods 405, never case content. Everyone else: 403 (anonymous: the login page) whatever the
    method, and nothing written."""
    case, words = content
    sweep = Sweep(supervisor.unit, supervisor)
    posts = sweep.posts()
    clients = {"anonymous": verified_client(None)} | {
        user.username: verified_client(user) for user in (administrator, investigator, supervisor, prosecutor, outsider)
    }
    failures = []
    for name in workspace_routes():
        url = sweep.url(name)
        for who, client in clients.items():
            is_admin = who == administrator.username
            for method in METHODS:
                data, event = posts.get(name, ({}, None)) if method == "POST" else ({}, None)
                with transaction.atomic():
                    before, events = writes(), AuditEvent.objects.count()
                    if method == "POST":
                        response = client.post(url, data)
                    else:
                        response = client.generic(method, url)
                    written = {t: n for t, n in writes().items() if before.get(t) != n}
                    new_events = list(AuditEvent.objects.order_by("pk")[events:].values_list("event", flat=True))
                    transaction.set_rollback(True)
                where, got = f"{method} {url} as {who}", response.status_code
                if who == "anonymous":
                    if not (got == 302 and "/accounts/login/" in response["Location"]):
                        failures.append(f"{where}: {got}, not the login page")
                elif not is_admin:
                    if got != 403:
                        failures.append(f"{where}: {got}, not 403")
                elif method in ("GET", "HEAD"):
                    if got != 200:
                        failures.append(f"{where}: {got}, not 200")
                elif method == "POST":
                    if name not in posts:
                        if got != 405:
                            failures.append(f"{where}: {got} on a page without a form, not 405")
                    elif event is not None and (got != 302 or event not in new_events):
                        failures.append(f"{where}: {got}, events {new_events}: not saved through the service")
                    elif event is None and (got != 200 or written):
                        failures.append(f"{where}: {got}, wrote {written}: a refused form wrote")
                elif got != 405:
                    failures.append(f"{where}: {got}, not 405")
                if not is_admin and written:
                    failures.append(f"{where}: a refused request wrote {written}")
                case_tables = {t for t in written if t.startswith(("cases_", "evidence_"))}
                if case_tables:
                    failures.append(f"{where}: wrote case tables {sorted(case_tables)}")
                shown = [w for w in words if w in response.content.decode(errors="replace")]
                if shown:
                    failures.append(f"{where}: shows case content {shown}")
    assert Case.objects.filter(pk=case.pk).exists()
    assert not failures, "\n".join(failures)


def test_no_search_of_the_workspace_finds_a_case(administrator, content):
    case, words = content
    client = verified_client(administrator)
    for url in (reverse("manage:users"), reverse("manage:units"), reverse("reference:articles")):
        for word in words:
            # The search box (and the language switch's return address) show what was typed; nothing else.
            body = client.get(url, {"q": word}).content.decode().replace(f'value="{word}"', "").replace(f"q={word}", "")
            assert not [w for w in words if w in body], (url, word)


def test_djangos_admin_answers_nothing(administrator, content):
    case, _words = content
    client = verified_client(administrator)
    for url in ("/admin/", "/admin/cases/case/", f"/admin/cases/case/{case.pk}/change/", f"/admin/r/1/{case.pk}/"):
        assert client.get(url).status_code == 404 and client.post(url, {"post": "yes"}).status_code == 404


def test_an_administrator_cannot_grant_himself_a_supervisors_group(administrator, astana, content):
    """His own card: role and unit are disabled (not taken from the POST), groups and flags are not fields,
    his own account cannot be deactivated or reactivated by him; whatever he posts he stays an administrator
    in no unit and no group — and sees no case."""
    case, _words = content
    unit_supervisors_group(astana)
    client = verified_client(administrator)
    flags = (administrator.is_superuser, administrator.is_staff)
    response = client.post(
        reverse("manage:user", args=[administrator.pk]),
        {
            "last_name": "Админов",
            "first_name": administrator.first_name,
            "language": administrator.language,
            "position": administrator.position,
            "role": Role.SUPERVISOR,
            "unit": astana.code,
            "groups": [g.pk for g in Group.objects.all()],
            "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    for action in ("manage:user-deactivate", "manage:user-reactivate"):
        refused = client.post(reverse(action, args=[administrator.pk]), {"reason": "Сам"})
        assert refused.status_code == 200 and "errors" in refused.content.decode()
    me = User.objects.get(pk=administrator.pk)
    assert (me.role, me.unit_id, me.is_active, (me.is_superuser, me.is_staff)) == (
        Role.ADMINISTRATOR,
        None,
        True,
        flags,
    )
    assert not me.groups.exists() and not me.user_permissions.exists()
    assert not Case.objects.restrict(me, "view").filter(pk=case.pk).exists()
    changed = AuditEvent.objects.filter(event=EventType.USER_CHANGED, target_id=str(me.pk)).get()
    assert set(changed.data["changed"]) == {"last_name"} and changed.actor_id == me.pk
    assert not AuditEvent.objects.filter(event=EventType.USER_DEACTIVATED).exists()


def test_a_units_code_and_parent_are_not_fields_of_its_page(administrator, astana_district, taraz):
    """Moving a unit or renaming its code would leave its cases' supervisors' grants with the old superiors
    (and the code is in every registration number): a forged POST changes neither; names change, audited."""
    client = verified_client(administrator)
    response = client.post(
        reverse("manage:unit", args=[astana_district.pk]),
        {
            "code": "MOVED",
            "parent": taraz.code,
            "path": "TRZ/MOVED/",
            "name_ru": "УП района Есиль (новое)",
            "name_kk": astana_district.name_kk,
            "kind": astana_district.kind,
            "city": astana_district.city,
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(pk=astana_district.pk)
    assert (unit.code, unit.parent_id, unit.path, unit.name_ru) == (
        "AST1",
        astana_district.parent_id,
        "AST/AST1/",
        "УП района Есиль (новое)",
    )
    event = AuditEvent.objects.get(event=EventType.UNIT_CHANGED)
    assert event.actor_id == administrator.pk and set(event.data["changed"]) == {"name_ru"}
    page = client.get(reverse("manage:unit", args=[astana_district.pk])).content.decode()
    assert 'name="code"' not in page and 'name="parent"' not in page
