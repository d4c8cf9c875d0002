"""The URL × role sweep of the JSON API (issue #7): every API route, every role, own and foreign case.

Each role calls as a system would (its own API token) and as a person would (a verified browser
session). The rules are the pages' (tests/test_access_sweep.py, whose world and expectations
this reuses): outside the scope 404, in scope but not allowed 403, allowed the route's status;
the anonymous caller 401. Every refusal is in the API's error shape, and a refused write
changes no row but the audit trail's.
"""
from __future__ import annotations

import itertools
import secrets
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.api.tokens import digest_of
from accounts.models import ApiToken
from accounts.choices import Role
from tests.api.helpers import Api, error_of, issue, signed_act
from tests.factories import make_user
from tests.policy import POLICY, ROLES
from tests.policy_api import ApiRoute
from tests.test_access_sweep import LOGIN, expected, route_names, row_counts, url_for, world  # noqa: F401 (fixture)

API_KEYS = sorted(key for key in POLICY if getattr(POLICY[key], "api", False))
MODES = ("token", "session")


def test_every_api_route_is_in_the_api_sweep():
    assert {key.split("#")[0] for key in API_KEYS} == {name for name in route_names() if name.startswith("api:")}


@pytest.fixture
def api_world(world):
    """The pages' world, plus a signed act in the own and in the foreign case (for the PDF route)."""
    foreign_supervisor = make_user("supervisor.taraz", Role.SUPERVISOR, world.foreign_case.unit)
    for own, author, approver in ((True, world.people["investigator"], world.people["supervisor"]),
                                  (False, world.people["outsider"], foreign_supervisor)):
        world.objects[own]["signed_act"] = signed_act(world.objects[own]["case"], author, approver, world.act_type)
    return world


def token_of(user) -> str:
    if user.role != Role.ADMINISTRATOR:
        return issue(user)
    # token_issue refuses administrators; a row made by hand shows that the scope, not the issuing
    # rule, keeps case data from them.
    prefix = secrets.token_hex(5)
    raw = f"ecase_{prefix}_{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(user=user, name="sweep", prefix=prefix, digest=digest_of(raw), can_write=True,
                            expires_at=timezone.now() + timedelta(days=1))
    return raw


def callers(world, mode: str) -> dict[str, Api]:
    result = {"anonymous": Api()}
    for role in ROLES[1:]:
        user = world.people[role]
        result[role] = Api(token=token_of(user)) if mode == "token" else Api(session=user)
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
            failures += check(world, name, route, apis[role], f"{mode} {role} {'own' if own else 'foreign'}",
                              expected(route, role, own), own)
    assert not failures, "\n".join(failures)


def check(world, name, route, api: Api, where: str, want, own: bool) -> list[str]:
    """Make one request inside a rolled-back transaction; what went against the expectation."""
    wanted = want if isinstance(want, tuple) else (401 if want == LOGIN else want,)
    want = wanted[0]
    cache.clear()  # the throttle is tested on its own
    write = route.method != "GET"
    with transaction.atomic():
        before = row_counts() if write else None
        response = api.request(route.method, url_for(name, route, world, own),
                               route.data(world) if route.data else None,
                               headers=route.headers(world) if route.headers else None)
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
    if want in (400, 401, 403, 404) and changed:
        failures.append(f"{where}: a refused {route.method} changed rows")
    return failures


def test_a_prosecutors_token_cannot_write_anything(api_world):
    """Every write route of the API, on the prosecutor's own case: refused, and nothing changes."""
    world = api_world
    raw = issue(world.people["prosecutor"], can_write=True)  # asks for writing; the rule keeps it read-only
    assert not ApiToken.objects.get(prefix=raw.split("_")[1]).can_write
    writes = [key for key in API_KEYS if POLICY[key].method != "GET"]
    assert len(writes) >= 5
    failures = []
    for key in writes:
        route = POLICY[key]
        failures += check(world, key.split("#")[0], route, Api(token=raw), f"prosecutor {key}", 403, own=True)
        # Whatever the body says: every action of the act workflow, every field.
        if key == "api:act-transition":
            for action in ("approve", "return", "revise", "supersede", "sign"):
                body = {"action": action, "reason": "x"}
                failures += check(world, "api:act-transition", ApiRoute(obj="act", method="POST", data=lambda w: body),
                                  Api(token=raw), f"prosecutor {action}", (403, 400), own=True)
    assert not failures, "\n".join(failures)
