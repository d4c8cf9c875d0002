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
from accounts.choices import Role
from accounts.models import ApiToken
from tests.api.helpers import Api, error_of, issue
from tests.policy import POLICY, ROLES
from tests.test_access_sweep import LOGIN, expected, route_names, row_counts, url_for, world  # noqa: F401 (fixture)

API_KEYS = sorted(key for key in POLICY if getattr(POLICY[key], "api", False))
MODES = ("token", "session")


def test_every_api_route_is_in_the_api_sweep():
    assert {key.split("#")[0] for key in API_KEYS} == {name for name in route_names() if name.startswith("api:")}


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


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", API_KEYS)
def test_api_route_answers_every_role_as_the_policy_says(world, key, mode):
    name, route = key.split("#")[0], POLICY[key]
    apis = callers(world, mode)
    failures = []
    for role, own in itertools.product(ROLES, (True, False)):
        if not own and ((route.obj is None and route.url is None) or role == "outsider"):
            continue  # no foreign object to ask for; the outsider's "foreign" case is his own
        want = expected(route, role, own)
        want = 401 if want == LOGIN else want
        cache.clear()  # the throttle is tested on its own
        write = route.method != "GET"
        with transaction.atomic():
            before = row_counts() if write else None
            response = apis[role].request(route.method, url_for(name, route, world, own),
                                          route.data(world) if route.data else None,
                                          headers=route.headers(world) if route.headers else None)
            changed = write and row_counts() != before
            transaction.set_rollback(True)
        where = f"{role} {'own' if own else 'foreign'}"
        if response.status_code != want:
            failures.append(f"{where}: expected {want}, got {response.status_code} {response.content[:200]!r}")
        elif want >= 400:
            error = error_of(response)
            if want == 401 and error["code"] != "not_authenticated":
                failures.append(f"{where}: 401 with code {error['code']}")
        if want in (401, 403, 404) and changed:
            failures.append(f"{where}: a refused {route.method} changed rows")
    assert not failures, "\n".join(failures)
