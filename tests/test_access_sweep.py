"""The URL × role sweep (EXAMPLES §6): every route, every role, an own and a foreign case.

anonymous → the login page; outside the case's scope (outsider, colleague, administrator) →
404 exactly like an absent object; in scope but not allowed → 403; allowed → the route's
status. A refused request changes no row of any table but the audit trail and the session
store, which record the refusal itself.
"""
from __future__ import annotations

import io
import itertools

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.choices import ParticipantRole
from cases.models import ProceduralActType
from cases.services.acts import act_create
from cases.services.participants import participant_add
from evidence.services import evidence_add, evidence_file_add
from tests.auth import verified_client
from tests.factories import article, make_iin, person_data, register
from tests.policy import IN_SCOPE, POLICY, ROLES, Route
from tests.evidence.helpers import png_bytes

LOGIN = "login"
NOT_COUNTED = {"audit", "sessions", "axes"}
NOT_COUNTED_MODELS = {"accounts.usersession", "audit.chainhead"}


def route_names(patterns=None, namespace="") -> set[str]:
    names = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if inner == "admin:":
                names.add("admin:*")
                continue
            names |= route_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            names.add(f"{namespace}{entry.name}" if entry.name else f"<unnamed {entry.pattern}>")
    return names


def test_every_route_has_a_policy_entry():
    missing = route_names() - {key.split("#")[0] for key in POLICY}
    assert not missing, f"routes without an entry in tests/policy.py: {sorted(missing)}"


def test_every_policy_entry_is_a_route():
    assert {key.split("#")[0] for key in POLICY} <= route_names()


class World:
    """An own case (Astana) and a foreign case (Taraz), each with a participant, an act, an item and a file."""

    def __init__(self, people, act_type):
        self.people, self.act_type, self.article = people, act_type, article("188-1")
        self.case = register(actor=people["investigator"], prosecutor=people["prosecutor"])
        self.foreign_case = register(actor=people["outsider"])
        self.objects = {True: self._children(self.case, people["investigator"]),
                        False: self._children(self.foreign_case, people["outsider"])}
        self.act = self.objects[True]["act"]

    def _children(self, case, author):
        participant = participant_add(case_id=case.pk, actor=author, role=ParticipantRole.VICTIM,
                                      person_data=person_data())
        act = act_create(case_id=case.pk, actor=author, act_type=self.act_type, language="ru", place="Астана")
        item = evidence_add(case_id=case.pk, actor=author, kind="physical", description="Телефон",
                            seized_at=case.registered_at, seized_place="Астана")
        file = evidence_file_add(item_id=item.pk, actor=author, stream=io.BytesIO(png_bytes()), name="photo.png")
        return {"case": case, "participant": participant, "act": act, "item": item, "file": file}

    def new_iin(self) -> str:
        from datetime import date

        return make_iin(date(1990, 5, 17), "M")

    def upload(self):
        return SimpleUploadedFile("scan.png", png_bytes(shade=7), content_type="image/png")


@pytest.fixture
def world(settings, tmp_path, investigator, colleague, supervisor, prosecutor, outsider, admin):
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    act_type = ProceduralActType.objects.create(code="sweep_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    people = {"investigator": investigator, "colleague": colleague, "supervisor": supervisor,
              "prosecutor": prosecutor, "outsider": outsider, "admin": admin}
    return World(people, act_type)


def expected(route: Route, role: str, own: bool):
    if role == "anonymous" and not route.public:
        return LOGIN
    if role in route.overrides:
        return route.overrides[role]
    if route.public:
        return route.ok
    if route.obj is None:
        return route.ok if role in route.allowed else 403
    if not own:
        return 404
    if role in route.allowed:
        return route.ok
    return 403 if role in IN_SCOPE else 404


def url_for(name: str, route: Route, world: World, own: bool) -> str:
    if route.url is not None:
        return route.url(world, own)
    if name == "admin:*":
        return reverse("admin:index")
    if route.obj is None:
        return reverse(name)
    return reverse(name, args=[world.objects[own][route.obj].pk])


def row_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in apps.get_models()
            if m._meta.app_label not in NOT_COUNTED and m._meta.label_lower not in NOT_COUNTED_MODELS}


# JSON API routes are swept with tokens and sessions by tests/test_api_sweep.py.
@pytest.mark.parametrize("key", sorted(k for k in POLICY if not getattr(POLICY[k], "api", False)))
def test_route_answers_every_role_as_the_policy_says(world, key):
    name, route = key.split("#")[0], POLICY[key]
    clients = {role: verified_client(None if role == "anonymous" else world.people[role]) for role in ROLES}
    for number, client in enumerate(clients.values(), start=1):
        # Everyone at a desk of their own: per-address limits (the public verification page)
        # must not turn one role's answer into a 429 because of the roles swept before it.
        client.defaults["REMOTE_ADDR"] = f"198.51.100.{number}"
    failures = []
    for role, own in itertools.product(ROLES, (True, False)):
        if not own and ((route.obj is None and route.url is None) or role == "outsider"):
            continue  # no foreign object to ask for; the outsider's "foreign" case is his own
        want = expected(route, role, own)
        with transaction.atomic():
            before = row_counts()
            url = url_for(name, route, world, own)
            client = clients[role]
            if route.method == "POST":
                response = client.post(url, route.data(world) if route.data else {})
            else:
                response = client.get(url)
            changed = row_counts() != before
            transaction.set_rollback(True)
        got = response.status_code
        if want == LOGIN:
            ok = got == 302 and "login" in response.get("Location", "")
        else:
            ok = got == want
        if not ok:
            failures.append(f"{role} {'own' if own else 'foreign'}: expected {want}, got {got}")
        refused = want in (LOGIN, 403, 404) and route.method == "POST"
        if refused and changed:
            failures.append(f"{role} {'own' if own else 'foreign'}: a refused POST changed rows")
    assert not failures, "\n".join(failures)
