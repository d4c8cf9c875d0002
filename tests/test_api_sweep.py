"""The URL × role sweep of the JSON API (issue #7): every API route, every role, own and foreign case.

Each role calls as a system would (its own API token) and as a person would (a verified browser
session). The rules are the pages' (tests/test_access_sweep.py, whose world and expectations
this reuses): outside the scope 404, in scope but not allowed 403, allowed the route's status;
the anonymous caller 401. Every refusal is in the API's error shape, and a refused write
changes no row but the audit trail's.

A second sweep asks every route for the parts of a grave case: a token not issued for grave
cases gets 404 from every route and for every role; one issued for them (by an administrator)
gets what the policy says; a session gets it only with a fresh second factor.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.api.tokens import digest_of
from accounts.choices import Role
from accounts.models import ApiToken
from tests.api.helpers import Api, error_of, issue, signed_act
from tests.auth import age_second_factor
from tests.policy import POLICY, ROLES
from tests.policy_api import ApiRoute
from tests.test_access_sweep import (  # noqa: F401 (the world and its people are fixtures)
    LOGIN,
    admin,
    astana,
    colleague,
    expected,
    investigator,
    make_own_case_grave,
    module_world,
    outsider,
    prosecutor,
    prosecutors_office,
    route_names,
    row_counts,
    superior,
    supervisor,
    taraz,
    url_for,
    world,
)

API_KEYS = sorted(key for key in POLICY if getattr(POLICY[key], "api", False))
MODES = ("token", "session")


def test_every_api_route_is_in_the_api_sweep():
    assert {key.split("#")[0] for key in API_KEYS} == {name for name in route_names() if name.startswith("api:")}


@pytest.fixture(scope="module")
def module_api_world(module_world):
    """The pages' world, plus a signed act in the own and in the foreign case (for the PDF route); built
    once per module inside the world's transaction (tests/module_data.py)."""
    world = module_world.variant()
    # The sweep's act type needs its author's signature alone (issue #17): no approver in either case.
    for own, author in ((True, world.people["investigator"]), (False, world.people["outsider"])):
        world.objects[own]["signed_act"] = signed_act(world.objects[own]["case"], author, world.act_type)
    return world


@pytest.fixture
def api_world(module_api_world, db):
    """The module's API world inside this test's own transaction (see ``world``)."""
    return module_api_world


def hand_made_token(user, *, grave_cases: bool = False) -> str:
    """A write token stored directly, past token_issue's rules (which refuse administrators, and writing
    to prosecutors): it shows that the scope and the request-time rules, not only the issuing rules,
    keep case data and writes from them."""
    prefix = secrets.token_hex(5)
    raw = f"ecase_{prefix}_{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(
        user=user,
        name="sweep",
        prefix=prefix,
        digest=digest_of(raw),
        can_write=True,
        grave_cases=grave_cases,
        expires_at=timezone.now() + timedelta(days=1),
    )
    return raw


def token_of(user, *, grave_cases: bool = False, admin=None) -> str:
    if user.role == Role.ADMINISTRATOR:
        return hand_made_token(user, grave_cases=grave_cases)
    return issue(user, grave_cases=grave_cases, admin=admin if grave_cases else None)


def callers(world, mode: str) -> dict[str, Api]:
    """Every role's client: "token", "grave-token" (issued for grave cases), "session", "stale-otp-session"."""
    result = {"anonymous": Api()}
    for role in ROLES[1:]:
        user = world.people[role]
        if mode in ("token", "grave-token"):
            result[role] = Api(token=token_of(user, grave_cases=mode == "grave-token", admin=world.people["admin"]))
        else:
            result[role] = Api(session=user)
            if mode == "stale-otp-session":
                age_second_factor(result[role].client)
    return result


@pytest.mark.parametrize("key", API_KEYS)
def test_api_route_answers_every_role_as_the_policy_says(api_world, key):
    world = api_world
    name, route = key.split("#")[0], POLICY[key]
    failures = []
    for mode in MODES:
        apis = callers(world, mode)
        for role, own in itertools.product(ROLES, (True, False)):
            if not own and ((route.obj is None and route.url is None) or role == "outsider"):
                continue  # no foreign object to ask for; the outsider's "foreign" case is his own
            failures += check(
                world,
                name,
                route,
                apis[role],
                f"{mode} {role} {'own' if own else 'foreign'}",
                expected(route, role, own),
                own,
            )
    assert not failures, "\n".join(failures)


def check(world, name, route, api: Api, where: str, want, own: bool, code: str | None = None) -> list[str]:
    """Make one request inside a rolled-back transaction; what went against the expectation (status, error code)."""
    wanted = want if isinstance(want, tuple) else (401 if want == LOGIN else want,)
    want = wanted[0]
    write = route.method != "GET"
    with transaction.atomic():
        before = row_counts() if write else None
        response = api.request(
            route.method,
            url_for(name, route, world, own),
            route.data(world) if route.data else None,
            headers=route.headers(world) if route.headers else None,
        )
        changed = write and row_counts() != before
        transaction.set_rollback(True)
    if response.status_code not in wanted:
        return [f"{where}: expected {want}, got {response.status_code} {response.content[:200]!r}"]
    want = response.status_code
    failures = []
    if want >= 400:
        error = error_of(response)
        if want == 401 and error["code"] != "not_authenticated":
            failures.append(f"{where}: 401 with code {error['code']}")
        if code is not None and error["code"] != code:
            failures.append(f"{where}: code {error['code']}, expected {code}")
    if want in (400, 401, 403, 404) and changed:
        failures.append(f"{where}: a refused {route.method} changed rows")
    return failures


def test_a_prosecutors_token_cannot_write_anything(api_world):
    """Every write route of the API, on the prosecutor's own case, with a token stored as a write token
    past the issuing rule: refused, and nothing changes."""
    world = api_world
    raw = hand_made_token(world.people["prosecutor"], grave_cases=True)
    writes = [key for key in API_KEYS if POLICY[key].method != "GET"]
    assert len(writes) >= 5
    failures = []
    for key in writes:
        route = POLICY[key]
        failures += check(world, key.split("#")[0], route, Api(token=raw), f"prosecutor {key}", 403, own=True)
        # Whatever the body says: every action of the act workflow, every field.
        if key == "api:act-transition":
            for action in ("approve", "return", "agree", "refuse", "revise", "supersede", "sign", "seal"):
                body = {"action": action, "reason": "x"}
                failures += check(
                    world,
                    "api:act-transition",
                    ApiRoute(obj="act", method="POST", data=lambda w, body=body: body, headers=route.headers),
                    Api(token=raw),
                    f"prosecutor {action}",
                    (403, 400),
                    own=True,
                )
    assert not failures, "\n".join(failures)


OBJECT_KEYS = [key for key in API_KEYS if POLICY[key].obj is not None]


@pytest.fixture
def grave_world(world):
    """The pages' grave world, with a signed act of the grave case for the PDF routes."""
    world = make_own_case_grave(world)
    people = world.people
    world.objects[True]["signed_act"] = signed_act(world.case, people["investigator"], world.act_type)
    return world


def grave_expected(route, role: str, mode: str):
    want = expected(route, role, True)
    if role == "anonymous" or mode in ("grave-token", "session"):
        return want
    if mode == "token":
        return 404  # out of the token's scope, for every role and route: like an absent object
    # A session whose second factor is older than ECASE_GRAVE_CASE_OTP_MINUTES: in scope, refused
    # (a person too: the record belongs to the grave case, issue #13).
    return want if want == 404 else 403


@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_the_parts_of_a_grave_case_answer_by_token_scope_and_second_factor(grave_world, key):
    world = grave_world
    name, route = key.split("#")[0], POLICY[key]
    failures = []
    for mode in ("token", "grave-token", "session", "stale-otp-session"):
        apis = callers(world, mode)
        for role in ROLES:
            failures += check(
                world, name, route, apis[role], f"{mode} {role}", grave_expected(route, role, mode), own=True
            )
    assert not failures, "\n".join(failures)


def test_a_read_only_token_writes_nothing_anywhere(api_world):
    """Every write route, on the investigator's own case, with a token issued without --write: 403 token_read_only."""
    world = api_world
    raw = issue(world.people["investigator"], can_write=False)
    writes = [key for key in API_KEYS if POLICY[key].method != "GET"]
    failures = []
    for key in writes:
        failures += check(
            world,
            key.split("#")[0],
            POLICY[key],
            Api(token=raw),
            f"read-only {key}",
            403,
            own=True,
            code="token_read_only",
        )
    assert not failures, "\n".join(failures)


def test_a_session_reaches_the_api_only_verified_and_writes_only_with_the_csrf_token(api_world):
    """Every route with the investigator's session before the second factor: 403 second_factor_required.
    Every write route with a verified session but no CSRF token: 403. Nothing changes either way."""
    from django.test import Client

    world = api_world
    unverified = Client()
    unverified.force_login(world.people["investigator"])
    no_csrf = Api(session=world.people["investigator"])
    no_csrf.client.handler.enforce_csrf_checks = True
    failures = []
    for key in API_KEYS:
        name, route = key.split("#")[0], POLICY[key]
        failures += check(
            world,
            name,
            route,
            Api(client=unverified),
            f"unverified {key}",
            403,
            own=True,
            code="second_factor_required",
        )
        if route.method != "GET":
            failures += check(world, name, route, no_csrf, f"no CSRF {key}", 403, own=True, code="permission_denied")
    assert not failures, "\n".join(failures)
