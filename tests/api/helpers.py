"""Calling the JSON API in tests: as a system with a token, or as a person in a browser session."""

from __future__ import annotations

import json

from django.test import Client

from accounts.api.tokens import token_issue
from tests.auth import verified_client


def issue(
    user, *, can_write: bool = True, days: int = 30, name: str = "test system", grave_cases: bool = False, admin=None
) -> str:
    """A token for ``user``; prosecutors' tokens are always read-only. ``grave_cases`` needs ``admin``."""
    _token, raw = token_issue(
        user=user,
        name=name,
        actor=admin,
        actor_label="" if admin else "tests",
        days=days,
        can_write=can_write and user.role != "prosecutor",
        grave_cases=grave_cases,
    )
    return raw


class Api:
    """A thin JSON client: ``Api(token=...)``, ``Api(session=user)`` or ``Api()`` (anonymous)."""

    def __init__(self, token: str | None = None, session=None, client: Client | None = None, **session_kwargs):
        self.client = client or (verified_client(session, **session_kwargs) if session is not None else Client())
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, url: str, body=None, headers: dict | None = None, **params):
        headers = {**self.headers, **(headers or {})}
        if method == "GET":
            return self.client.get(url, params or None, headers=headers)
        return self.client.generic(
            method, url, json.dumps(body if body is not None else {}), content_type="application/json", headers=headers
        )

    def get(self, url, **params):
        return self.request("GET", url, **params)

    def post(self, url, body=None, **kwargs):
        return self.request("POST", url, body, **kwargs)

    def patch(self, url, body=None, **kwargs):
        return self.request("PATCH", url, body, **kwargs)


def if_match(act) -> dict:
    """If-Match naming the act's current version (transitions and edits must name it)."""
    from cases.models import ProceduralAct

    return {"If-Match": f'"v{ProceduralAct.objects.values_list("version", flat=True).get(pk=act.pk)}"'}


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields", "request_id"}, body
    return body["error"]


PDF = b"%PDF-1.4\n% a signed act, as far as these tests care\n%%EOF\n"


def signed_act(case, author, act_type):
    """An act taken through the real workflow to "signed" (signed by its author, then sealed);
    the worker's PDF is stood in for by PDF."""
    from cases.pdf.storage import pdf_store
    from cases.services.act_workflow import act_seal, act_transition
    from cases.services.acts import act_create
    from cases.system_actor import system_actor
    from tests.factories import author_only_requirement

    author_only_requirement(act_type)
    act = act_create(case_id=case.pk, actor=author, act_type=act_type, language="ru", place="Астана")
    act_transition(act_id=act.pk, action="sign", actor=author)
    return act_seal(act_id=act.pk, pdf_sha256=pdf_store(PDF), system_actor=system_actor())
