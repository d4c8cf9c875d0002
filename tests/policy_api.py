"""Policy entries for the JSON API routes (issue #7); merged into tests/policy.py.

The same rules as the pages: outside the case's scope 404, in scope but not allowed 403,
allowed the route's status. The anonymous caller gets 401 (no login page in an API).
These routes are swept by tests/test_api_sweep.py, with every role's token and session;
tests/test_access_sweep.py leaves them to it (``api = True``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from tests.policy import PROSECUTORS, READERS, SIGNED_IN, Route

INVESTIGATOR = frozenset({"investigator"})


@dataclass(frozen=True)
class ApiRoute(Route):
    headers: Callable | None = None  # headers(world) -> dict, e.g. If-Match
    api = True  # not a dataclass field: marks the route for the API sweep


def _person(world, own: bool) -> str:
    return reverse("api:person-detail", args=[world.objects[own]["participant"].person_id])


def _if_match(obj: str):
    """The current ETag of the own object: its version, or for an evidence item its custody chain's length."""

    def headers(world) -> dict:
        row = world.objects[True][obj]
        if obj == "item":
            from evidence.api import chain_length

            return {"If-Match": f'"v{chain_length(row.pk)}"'}
        return {"If-Match": f'"v{type(row).objects.filter(pk=row.pk).values_list("version", flat=True).get()}"'}

    return headers


POLICY: dict[str, Route] = {
    "api:me": ApiRoute(allowed=SIGNED_IN),
    "api:case-list": ApiRoute(allowed=SIGNED_IN),
    "api:case-detail": ApiRoute(obj="case", allowed=READERS),
    "api:case-detail#patch": ApiRoute(
        obj="case",
        method="PATCH",
        allowed=INVESTIGATOR,
        headers=_if_match("case"),
        data=lambda w: {"plot": "Уточнённая фабула.", "reason": "Уточнение"},
    ),
    "api:case-participants": ApiRoute(obj="case", allowed=READERS),
    "api:case-acts": ApiRoute(obj="case", allowed=READERS),
    "api:case-acts#post": ApiRoute(
        obj="case",
        method="POST",
        allowed=INVESTIGATOR,
        ok=201,
        data=lambda w: {"act_type": w.act_type.code, "language": "ru", "place": "Астана"},
    ),
    "api:case-evidence": ApiRoute(obj="case", allowed=READERS),
    "api:case-audit-events": ApiRoute(obj="case", allowed=frozenset({"supervisor"}) | PROSECUTORS),
    "api:participant-detail": ApiRoute(obj="participant", allowed=READERS),
    "api:person-list": ApiRoute(allowed=SIGNED_IN),
    "api:person-detail": ApiRoute(obj="person", allowed=READERS, url=_person),
    "api:act-detail": ApiRoute(obj="act", allowed=READERS),
    "api:act-detail#patch": ApiRoute(
        obj="act", method="PATCH", allowed=INVESTIGATOR, headers=_if_match("act"), data=lambda w: {"place": "Тараз"}
    ),
    "api:act-pdf": ApiRoute(obj="signed_act", allowed=READERS),
    "api:act-transition": ApiRoute(
        obj="act", method="POST", allowed=INVESTIGATOR, headers=_if_match("act"), data=lambda w: {"action": "sign"}
    ),
    "api:evidence-detail": ApiRoute(obj="item", allowed=READERS),
    "api:evidence-files": ApiRoute(obj="item", allowed=READERS),
    "api:evidence-custody": ApiRoute(obj="item", allowed=READERS),
    "api:evidence-custody#post": ApiRoute(
        obj="item",
        method="POST",
        allowed=INVESTIGATOR,
        ok=201,
        headers=_if_match("item"),
        data=lambda w: {"to_holder": "Камера хранения", "reason": "На хранение"},
    ),
    "api:file-download": ApiRoute(obj="file", allowed=READERS),
    # Public: the schema and its documentation show the API's shape, never case data.
    "api:schema": ApiRoute(public=True),
    "api:docs": ApiRoute(public=True),
    "api:not-found": ApiRoute(public=True, ok=404, url=lambda w, own: "/api/v1/no-such-thing/"),
}
