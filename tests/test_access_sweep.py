"""The URL × role sweep (EXAMPLES §6): every route, every role, an own and a foreign case.

anonymous → the login page; outside the case's scope (outsider, colleague, administrator) →
404 exactly like an absent object; in scope but not allowed → 403; allowed → the route's
status. A refused request writes no row of any table but the audit trail and the session
store, which record the refusal itself; no request, refused or not, changes anything of
another user (password, language, role, groups, second factor, sessions) or of a case the
request does not name.

Every HTTP method: a route answers the methods its policy entries name; any other method
answers 405 (or the refusal the role gets anyway), never 2xx or 5xx, and writes nothing.
"""

from __future__ import annotations

import copy
import io
import itertools

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.choices import ParticipantRole
from cases.models import ProceduralActType
from cases.services.acts import act_create
from cases.services.participants import participant_add
from evidence.services import evidence_add, evidence_file_add
from tests.auth import stale_otp_client, verified_client
from tests.evidence.helpers import png_bytes
from tests.factories import article, author_only_requirement, make_iin, person_data, register
from tests.module_data import module_transaction
from tests.people import PEOPLE, UNITS, load_reference_data, make_person, make_unit
from tests.policy import IN_SCOPE, POLICY, ROLES, Route

LOGIN = "login"
NOT_COUNTED = {"audit", "sessions", "axes"}
NOT_COUNTED_MODELS = {"accounts.usersession", "audit.chainhead"}


def route_names(patterns=None, namespace="") -> set[str]:
    names = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= route_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            names.add(f"{namespace}{entry.name}" if entry.name else f"<unnamed {entry.pattern}>")
    return names


def test_every_route_has_a_policy_entry():
    missing = route_names() - {key.split("#")[0] for key in POLICY}
    assert not missing, f"routes without an entry in tests/policy.py: {sorted(missing)}"


def test_every_policy_entry_is_a_route():
    assert {key.split("#")[0] for key in POLICY} <= route_names()


def _patterns(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.callback


def handled_methods(callback) -> set[str] | None:
    """The methods a class-based view (Django's or DRF's) has a handler for, OPTIONS and HEAD aside
    (answered by the framework: OPTIONS says nothing of an object, HEAD is GET without a body);
    None for a function view, which the method sweep probes instead."""
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return None
    initkwargs = getattr(callback, "view_initkwargs", None) or getattr(callback, "initkwargs", None) or {}
    names = initkwargs.get("http_method_names", view_class.http_method_names)
    return {m.upper() for m in names if hasattr(view_class, m)} - {"OPTIONS", "HEAD"}


def policy_methods(name: str) -> set[str]:
    return {route.method for key, route in POLICY.items() if key.split("#")[0] == name}


def test_every_method_a_view_handles_has_a_policy_entry():
    """Closed world for methods too: a view that grows a handler (a ``put``, a ``delete``, a form view's
    PUT-as-POST) without its policy entry fails here, so the sweep below cannot miss it."""
    failures = []
    for name, callback in _patterns():
        handled = handled_methods(callback)
        if handled is not None and handled != policy_methods(name):
            failures.append(
                f"{name}: the view handles {sorted(handled)}, the policy names {sorted(policy_methods(name))}"
            )
    assert not failures, "\n".join(failures)


class World:
    """An own case (Astana) and a foreign case (Taraz), each with a participant, an item, a file and acts:
    a draft, one awaiting the head of unit's approval, one awaiting the prosecutor's agreement, and a
    signed one that needs a judge's sanction (issue #17), and one whose judge's decision is recorded."""

    def __init__(self, people, act_type, units):
        self.people, self.act_type, self.units, self.article = people, act_type, units, article("188-1")
        self.decided_types = {
            "submitted": _act_type("sweep_approval", approval_article="test"),
            "awaiting": _act_type("sweep_agreement", agreement_article="test", agreement_hours=24),
            "sanctioned": _act_type("sweep_sanction", sanction_article="test"),
        }
        self.case = register(actor=people["investigator"], prosecutor=people["prosecutor"])
        self.foreign_case = register(actor=people["outsider"])
        self.objects = {
            True: self._children(self.case, people["investigator"]),
            False: self._children(self.foreign_case, people["outsider"]),
        }
        self.act = self.objects[True]["act"]
        self.investigators_other_session = self._second_session()

    def variant(self) -> World:
        """A copy whose cases and objects a fixture may replace or add to, leaving the module's world as it is."""
        other = copy.copy(self)
        other.objects = {own: dict(objects) for own, objects in self.objects.items()}
        return other

    def _children(self, case, author):
        participant = participant_add(
            case_id=case.pk, actor=author, role=ParticipantRole.VICTIM, person_data=person_data()
        )
        act = act_create(case_id=case.pk, actor=author, act_type=self.act_type, language="ru", place="Астана")
        decided = {obj: _signed_by_author(case, author, act_type) for obj, act_type in self.decided_types.items()}
        decided["sanctioned"] = _sealed(decided["sanctioned"])
        decided["recorded"] = _sanction_recorded(
            _sealed(_signed_by_author(case, author, self.decided_types["sanctioned"])), author
        )
        item = evidence_add(
            case_id=case.pk,
            actor=author,
            kind="physical",
            description="Телефон",
            seized_at=case.registered_at,
            seized_place="Астана",
        )
        file = evidence_file_add(item_id=item.pk, actor=author, stream=io.BytesIO(png_bytes()), name="photo.png")
        return {"case": case, "participant": participant, "act": act, "item": item, "file": file, **decided}

    NEW_PASSWORD = "another-correct-horse-battery-77"

    def _second_session(self) -> str:
        """The key of a second signed-in session of the investigator (another computer)."""
        from accounts.models import UserSession
        from accounts.services import session_record_login

        key = verified_client(self.people["investigator"]).session.session_key
        if not UserSession.objects.filter(session_key=key).exists():  # the login signal records it already
            session_record_login(user=self.people["investigator"], session_key=key, ip=None, user_agent="sweep")
        return key

    def new_iin(self) -> str:
        from datetime import date

        return make_iin(date(1990, 5, 17), "M")

    def upload(self):
        return SimpleUploadedFile("scan.png", png_bytes(shade=7), content_type="image/png")


def _act_type(code: str, **steps) -> ProceduralActType:
    """A type without required fields whose requirements call for ``steps`` besides the author's signature."""
    act_type = ProceduralActType.objects.create(code=code, name_ru="Справка", name_kk="Анықтама", kind="other")
    author_only_requirement(act_type, **steps)
    return act_type


def _signed_by_author(case, author, act_type):
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition

    act = act_create(case_id=case.pk, actor=author, act_type=act_type, language="ru", place="Астана")
    return act_transition(act_id=act.pk, action=ActAction.SIGN, actor=author)


def _sealed(act):
    """Sealed by the worker's account over a stored stand-in PDF (no page of the sweep renders it)."""
    from cases.pdf.storage import pdf_store
    from cases.services.act_workflow import act_seal
    from cases.system_actor import system_actor
    from tests.api.helpers import PDF

    return act_seal(act_id=act.pk, pdf_sha256=pdf_store(PDF), system_actor=system_actor())


def _sanction_recorded(act, author):
    """``act`` with the judge's decision and its scan on record (a file name with a path in it)."""
    from tests.cases.sanctions import judge_decides

    judge_decides(act, author, scan_name="../decision.pdf")
    return act


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once per module and rolled back after it (tests/module_data.py)."""
    with module_transaction(django_db_blocker, tmp_path_factory):
        load_reference_data()
        units = {key: make_unit(key) for key in UNITS}
        people = {key: make_person(key, units.get(unit)) for key, (_role, unit, _extra) in PEOPLE.items()}
        yield World(people, _act_type("sweep_note"), units)  # sweep_note: signed by its author alone


@pytest.fixture
def world(module_world, db):
    """The module's world inside this test's own transaction: what the test writes is rolled back after
    it, so every route meets the same world."""
    return module_world


# The conftest's units and people, taken from the module's world (they exist once per module); a
# module importing ``world`` imports these too, or the conftest would create the same users again.
@pytest.fixture
def astana(world):
    return world.units["astana"]


@pytest.fixture
def taraz(world):
    return world.units["taraz"]


@pytest.fixture
def prosecutors_office(world):
    return world.units["prosecutors_office"]


@pytest.fixture
def investigator(world):
    return world.people["investigator"]


@pytest.fixture
def colleague(world):
    return world.people["colleague"]


@pytest.fixture
def supervisor(world):
    return world.people["supervisor"]


@pytest.fixture
def prosecutor(world):
    return world.people["prosecutor"]


@pytest.fixture
def superior(world):
    return world.people["superior"]


@pytest.fixture
def outsider(world):
    return world.people["outsider"]


@pytest.fixture
def admin(world):
    return world.people["admin"]


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
    if route.obj is None:
        return reverse(name)
    return reverse(name, args=[world.objects[own][route.obj].pk])


def row_counts() -> dict[str, int]:
    return {
        m._meta.label_lower: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in NOT_COUNTED and m._meta.label_lower not in NOT_COUNTED_MODELS
    }


def writes() -> dict:
    """What the current transaction has written so far, outside the audit trail and the session store.

    PostgreSQL counts every inserted, updated and deleted row per table in the transaction, so an
    UPDATE shows as much as an INSERT; elsewhere (the SQLite run) the row counts stand in for it."""
    if connection.vendor != "postgresql":
        return row_counts()
    skipped = {
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label in NOT_COUNTED or m._meta.label_lower in NOT_COUNTED_MODELS
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"
        )
        return {table: n for table, n in cursor.fetchall() if table not in skipped}


def others_state(actor) -> dict:
    """Everything of every other user a request could change: account, rights, second factor, sessions."""
    from django.contrib.sessions.models import Session
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User, UserSession

    me = actor.pk if actor is not None else None
    fields = (
        "password",
        "language",
        "role",
        "unit_id",
        "superior_prosecutor",
        "is_active",
        "is_staff",
        "is_superuser",
        "email",
        "last_name",
    )
    return {
        "users": sorted(User.objects.exclude(pk=me).values_list("pk", *fields)),
        "groups": sorted(User.groups.through.objects.exclude(user_id=me).values_list("user_id", "group_id")),
        "permissions": sorted(
            User.user_permissions.through.objects.exclude(user_id=me).values_list("user_id", "permission_id")
        ),
        "devices": sorted(TOTPDevice.objects.exclude(user_id=me).values_list("user_id", "key", "confirmed")),
        "sessions": sorted(UserSession.objects.exclude(user_id=me).values_list("session_key", "ended_at")),
        "live": sorted(
            s.session_key for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") not in (None, str(me))
        ),
    }


def case_state(case) -> dict:
    """A case as a request that does not name it must leave it: its row and its children's rows."""
    from cases.models import Case
    from evidence.models import EvidenceFile

    return {
        "case": Case.objects.filter(pk=case.pk).values().get(),
        "participants": sorted(case.participants.values_list("pk", "role", "withdrawn_at")),
        "acts": sorted(case.acts.values_list("pk", "status", "version")),
        "items": sorted(case.evidence_items.values_list("pk", "status")),
        "files": EvidenceFile.objects.filter(item__case=case).count(),
        "grants": sorted(case.user_grants.values_list("user_id", "permission_id")),
    }


def untouched_case(world, role: str):
    """The case the sweep's requests of ``role`` never name: the foreign one (the outsider's is the own)."""
    return world.case if role == "outsider" else world.foreign_case


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
        actor, other_case = world.people.get(role), untouched_case(world, role)
        with transaction.atomic():
            url = url_for(name, route, world, own)
            data = route.data(world) if route.data else {}
            before, others, untouched = writes(), others_state(actor), case_state(other_case)
            client = clients[role]
            if route.method == "POST":
                response = client.post(url, data)
            elif route.method == "GET":
                response = client.get(url)
            else:  # PATCH, DELETE: the resumable upload's protocol (tus)
                response = client.generic(route.method, url)
            changed = writes() != before
            if others_state(actor) != others:
                failures.append(f"{role} {'own' if own else 'foreign'}: another user's account or session changed")
            if case_state(other_case) != untouched:
                failures.append(f"{role} {'own' if own else 'foreign'}: a case the request did not name changed")
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


# The prosecutor's decisions (issue #17): the only writes of a case-scoped page the prosecutor may make.
PROSECUTOR_DECISIONS = {
    "cases:extend#post",
    "cases:act-transition#agree",
    "cases:act-transition#refuse",
    "cases:act-review#agree",
    "cases:act-review#refuse",
}
# POSTs that read: the case file's export is built on a POST (its options), and writes nothing of the case.
PROSECUTOR_READS = {"cases:export#post"}


@pytest.mark.parametrize("role", ["prosecutor", "superior"])
def test_the_prosecutor_writes_nothing_of_a_cases_content_only_their_decisions(role):
    """With the sweep above (everyone not allowed gets 403 and writes nothing), this closes the prosecutor's
    writes: of every write route that names a case or its parts, the prosecutor holds only their decisions.
    The superior prosecutor of the office holds the same decisions, and reads without exporting."""
    theirs = {
        key
        for key, route in POLICY.items()
        if route.method != "GET" and route.obj is not None and role in route.allowed
    }
    assert theirs == PROSECUTOR_DECISIONS | (PROSECUTOR_READS if role == "prosecutor" else set())


@pytest.mark.parametrize("action,status", [("agree", "approved"), ("refuse", "refused")])
@pytest.mark.parametrize("route", ["cases:act-transition", "cases:act-review"])
def test_only_the_cases_prosecutor_agrees_or_refuses(world, route, action, status):
    """Every role, re-authenticated a moment ago, posts the prosecutor's decision on an act awaiting it:
    the case's prosecutor, or the superior prosecutor of their office, takes it to the end as their own
    decision; everyone else (another prosecutor, another office's superior too) is refused as the
    policy says and nothing is written."""
    from accounts.choices import Role, UnitKind
    from cases.models import ActTransition, ProceduralAct
    from tests.factories import UnitFactory, make_user

    elsewhere = UnitFactory(code="TRZP", kind=UnitKind.PROSECUTOR_OFFICE, city="Тараз")
    others = {
        "another prosecutor": make_user("prosecutor.other", Role.PROSECUTOR, world.people["prosecutor"].unit),
        "another office's superior": make_user("superior.other", Role.PROSECUTOR, elsewhere, superior_prosecutor=True),
    }
    people = {**world.people, **others}
    policy = POLICY[f"{route}#{action}"]
    failures = []
    for role, own in itertools.product([*ROLES, *others], (True, False)):
        if not own and role == "outsider":
            continue
        act = world.objects[own]["awaiting"]
        user = people.get(role)
        client = verified_client(user, reauthenticated=True) if user is not None else verified_client(None)
        with transaction.atomic():
            before = writes()
            response = client.post(reverse(route, args=[act.pk]), {"action": action, "reason": "Не согласен"})
            now = ProceduralAct.objects.get(pk=act.pk)
            decided_by = ActTransition.objects.filter(act=act, action=action).values_list("actor", flat=True).first()
            changed = writes() != before
            transaction.set_rollback(True)
        where, got = f"{role} {'own' if own else 'foreign'}", response.status_code
        if role in ("prosecutor", "superior") and own:
            if not (got == 302 and response["Location"] == reverse("cases:act", args=[act.pk])):
                failures.append(f"{where}: expected the act page, got {got} {response.get('Location', '')}")
            if now.status != status or (action == "agree" and now.agreed_by != user) or decided_by != user.pk:
                failures.append(f"{where}: the act is {now.status}, agreed by {now.agreed_by}, decided by {decided_by}")
            continue
        want = 404 if role in others else expected(policy, role, own)
        ok = (got == 302 and "login" in response.get("Location", "")) if want == LOGIN else got == want
        if not ok:
            failures.append(f"{where}: expected {want}, got {got} {response.get('Location', '')}")
        if changed or now.status != "awaiting_agreement":
            failures.append(f"{where}: a refused decision changed rows ({now.status})")
    assert not failures, "\n".join(failures)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Answers that refuse or send away whatever the method: the login page, 403, 404, a redirect elsewhere
# (a signed-in user on the login page).
REFUSALS = (LOGIN, 302, 403, 404)


def _is_login(response) -> bool:
    return response.status_code == 302 and "login" in response.get("Location", "")


# Every route name the pages answer (the administration workspace's too). The JSON API's methods are
# swept by tests/test_api_sweep.py.
PAGE_ROUTES = sorted({k.split("#")[0] for k in POLICY if not getattr(POLICY[k], "api", False)})


@pytest.mark.parametrize("name", PAGE_ROUTES)
def test_a_route_answers_405_to_every_method_it_does_not_take(world, name):
    """Each role, on the own and the foreign object, sends every method the route's policy does not name.

    Wanted: 405 — or the refusal that role gets on this route anyway (the login page, 403, 404), when
    the view checks who asks before what is asked. Never a 2xx or a 5xx, never a written row.
    HEAD where GET is taken answers as GET does (or 405); OPTIONS, which Django's class-based views
    answer themselves before any object is looked up, may answer 200 with an empty body (the same
    for every object, so it says nothing) — or 405."""
    entries = {route.method: route for key, route in POLICY.items() if key.split("#")[0] == name}
    any_route = entries.get("GET") or next(iter(entries.values()))
    taken = set(entries)
    clients = {role: verified_client(None if role == "anonymous" else world.people[role]) for role in ROLES}
    for number, client in enumerate(clients.values(), start=1):
        client.defaults["REMOTE_ADDR"] = f"198.51.100.{number}"
    has_object = any_route.obj is not None or any_route.url is not None
    urls = {own: url_for(name, any_route, world, own) for own in ((True, False) if has_object else (True,))}
    failures = []
    for role, own in itertools.product(ROLES, urls):
        if not own and role == "outsider":
            continue
        where = f"{role} {'own' if own else 'foreign'}"
        refusal = expected(any_route, role, own)
        for method in (m for m in METHODS if m not in taken):
            with transaction.atomic():
                before = writes()
                try:
                    response = clients[role].generic(method, urls[own])
                except Exception as error:  # the test client re-raises what would be a 500
                    failures.append(f"{where} {method}: {type(error).__name__}: {error}")
                    transaction.set_rollback(True)
                    continue
                written = writes() != before
                transaction.set_rollback(True)
            got = response.status_code
            if method == "HEAD" and "GET" in taken:
                want_get = expected(entries["GET"], role, own)
                ok = got == 405 or (_is_login(response) if want_get == LOGIN else got == want_get)
            elif method == "OPTIONS" and got in (200, 204):
                # Django's own answer, or tus discovery on the resumable upload's routes (version,
                # extensions, the largest upload): the same headers for every object, no body.
                ok = not response.content
            else:
                ok = got == 405 or (
                    refusal in REFUSALS and (_is_login(response) if refusal == LOGIN else got == refusal)
                )
            if not ok:
                failures.append(f"{where} {method}: got {got} {response.get('Location', '')}")
            if written and method != "HEAD":
                failures.append(f"{where} {method}: wrote rows")
    assert not failures, "\n".join(failures)


# Grave and especially grave cases: every case-scoped route (anything that names a case, a
# participant, an act, an item or a file) opens only with a second factor from the last
# ECASE_GRAVE_CASE_OTP_MINUTES. Without it, everyone within the case's view scope is sent to
# confirm the code — before any 403, with nothing served, logged as read or written — and back
# to the URL asked for; with it, the policy's answer. Out of scope stays 404.
CASE_SCOPED_KEYS = sorted(k for k in POLICY if POLICY[k].obj is not None and not getattr(POLICY[k], "api", False))
# A grave case keeps its named supervisor: an assignment without one is refused (400).
GRAVE_DATA = {
    "cases:assign#post": lambda w: {**POLICY["cases:assign#post"].data(w), "supervisor": w.people["supervisor"].pk}
}
READS_LOGGED = ("case.opened", "act.opened", "evidence.opened", "file.downloaded", "act.pdf_downloaded")


@pytest.fixture
def grave_pages_world(world):
    return make_own_case_grave(world)


def make_own_case_grave(world):
    """A variant of the sweep's world whose own case is especially grave, with its supervisor named (no
    unit-wide grant)."""
    from cases.choices import Gravity

    world = world.variant()
    people = world.people
    grave = register(
        actor=people["investigator"],
        prosecutor=people["prosecutor"],
        supervisor=people["supervisor"],
        articles=("99-1",),
    )
    assert grave.gravity >= Gravity.GRAVE
    world.case = grave
    world.objects[True] = world._children(grave, people["investigator"])
    world.act = world.objects[True]["act"]
    return world


def test_every_case_scoped_route_is_in_the_grave_sweep():
    names = {key.split("#")[0] for key in CASE_SCOPED_KEYS}
    assert {
        "cases:detail",
        "cases:act",
        "cases:act-pdf",
        "cases:act-sanction-scan",
        "cases:act-review",
        "evidence:detail",
        "evidence:download",
        "cases:history",
        "cases:export",
    } <= names
    assert len(CASE_SCOPED_KEYS) >= 35


@pytest.mark.parametrize("key", CASE_SCOPED_KEYS)
def test_a_grave_case_route_needs_a_recent_second_factor(grave_pages_world, key):
    from urllib.parse import parse_qs, urlsplit

    from audit.models import AuditEvent

    world = grave_pages_world
    name, route = key.split("#")[0], POLICY[key]
    failures = []
    for role in ROLES:
        user = world.people.get(role)
        want = expected(route, role, True)
        for fresh in (True, False):
            client = verified_client(user) if fresh or user is None else stale_otp_client(user)
            where = f"{role} {'fresh' if fresh else 'stale'}"
            with transaction.atomic():
                url = url_for(name, route, world, True)
                before, reads = row_counts(), AuditEvent.objects.filter(event__in=READS_LOGGED).count()
                data = GRAVE_DATA.get(key, route.data)
                if route.method == "POST":
                    response = client.post(url, data(world) if data else {})
                elif route.method == "GET":
                    response = client.get(url)
                else:
                    response = client.generic(route.method, url)
                changed = row_counts() != before
                read = AuditEvent.objects.filter(event__in=READS_LOGGED).count() != reads
                transaction.set_rollback(True)
            got, location = response.status_code, response.get("Location", "")
            if want == LOGIN:
                if not (got == 302 and "login" in location):
                    failures.append(f"{where}: expected the login page, got {got} {location}")
                continue
            if fresh or want == 404:
                if got != want:
                    failures.append(f"{where}: expected {want}, got {got} {location}")
                continue
            # In the case's view scope without a recent second factor: to the code page, nothing else.
            target = urlsplit(location)
            back = parse_qs(target.query).get("next", [""])[0]
            if got != 302 or target.path != reverse("accounts:otp-verify"):
                failures.append(f"{where}: expected the second-factor page, got {got} {location}")
            elif back != (
                url if route.method == "GET" or _has_form_page(url) else reverse("cases:detail", args=[world.case.pk])
            ):
                failures.append(f"{where}: sent back to {back!r}, asked for {url!r}")
            if response.content or getattr(response, "streaming", False):
                failures.append(f"{where}: the refusal carries content")
            if changed or read:
                failures.append(f"{where}: the refusal {'changed rows' if changed else 'was logged as a read'}")
    assert not failures, "\n".join(failures)


def _has_form_page(url: str) -> bool:
    """Whether the route answers GET too (a form page): then a refused POST is sent back to it."""
    from django.urls import resolve

    view = resolve(url).func.view_class
    return hasattr(view, "get")


def test_the_second_factor_page_leads_back_to_the_act_asked_for(investigator, supervisor, settings, tmp_path):
    """The round trip: an act of a grave case → the code page → the code → the same act, open."""
    from urllib.parse import parse_qs, urlsplit

    from tests.accounts.test_authentication import code_for

    settings.ECASE_PRIVATE_STORAGE = tmp_path
    grave = register(actor=investigator, articles=("99-1",), supervisor=supervisor)
    act_type = ProceduralActType.objects.create(code="grave_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    act = act_create(case_id=grave.pk, actor=investigator, act_type=act_type, language="ru", place="Астана")
    client = stale_otp_client(investigator)
    asked = reverse("cases:act", args=[act.pk]) + "?from=list"
    response = client.get(asked)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == reverse("accounts:otp-verify") and parse_qs(target.query)["next"] == [asked]
    page = client.get(response["Location"])
    assert page.status_code == 200 and "especially grave crime" in page.content.decode()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=investigator)
    back = client.post(response["Location"], {"token": code_for(device), "next": asked})
    assert back.status_code == 302 and back["Location"] == asked
    assert client.get(asked).status_code == 200


def test_htmx_is_sent_to_the_second_factor_page_instead_of_swapping_it_into_a_tab(investigator, supervisor):
    grave = register(actor=investigator, articles=("99-1",), supervisor=supervisor)
    response = stale_otp_client(investigator).get(
        reverse("cases:detail", args=[grave.pk]) + "?tab=acts", headers={"HX-Request": "true"}
    )
    assert response.status_code == 204 and not response.content
    assert response["HX-Redirect"].startswith(reverse("accounts:otp-verify") + "?next=")
