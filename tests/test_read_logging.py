"""Every read of case content leaves exactly one access-log row (issue #13 item 7).

A closed world: every GET route of the pages and the API (the GET entries of tests/policy*.py,
which in turn must cover every route) is classified here as case content or no case content;
a route in neither fails the suite. Each content route is requested as a user it allows, on
the own case, and must write exactly one row of audit.choices.ACCESS_EVENTS — a list too: one
row per request naming what it showed, not one per object. A route without case content must
write none (a read logged as nothing-in-particular would hide among the reads that matter).
"""

from __future__ import annotations

import pytest
from django.db import transaction

from audit.choices import ACCESS_EVENTS, EventType
from audit.models import AuditEvent
from tests.api.helpers import Api
from tests.policy import POLICY
from tests.test_access_sweep import (  # noqa: F401 (the world and its people are fixtures)
    LOGIN,
    admin,
    astana,
    colleague,
    expected,
    investigator,
    module_world,
    outsider,
    prosecutor,
    prosecutors_office,
    route_names,
    superior,
    supervisor,
    taraz,
    url_for,
    world,
)
from tests.test_api_sweep import api_world, module_api_world, token_of  # noqa: F401 (api_world is a fixture)

CASE_CONTENT = {
    # pages
    "home",
    "cases:list",
    "cases:detail",
    "cases:edit",
    "cases:assign",
    "cases:extend",
    "cases:access-log",
    "cases:access-log-all",
    # Counts over the reader's cases (issue #18 item 6): a read of case data, logged as one.
    "cases:statistics",
    "cases:participant-add",
    "cases:act-create",
    "cases:act",
    "cases:act-edit",
    "cases:act-review",
    "cases:act-pdf",
    "cases:extension-request",
    "cases:act-sanction",
    "cases:act-sanction-scan",
    "cases:history",
    "cases:export",
    "evidence:add",
    "evidence:detail",
    "evidence:download",
    # API
    "api:case-list",
    "api:case-detail",
    "api:case-participants",
    "api:case-acts",
    "api:case-evidence",
    "api:case-audit-events",
    "api:participant-detail",
    "api:person-list",
    "api:person-detail",
    "api:act-detail",
    "api:act-pdf",
    "api:evidence-detail",
    "api:evidence-files",
    "api:evidence-custody",
    "api:file-download",
}
NO_CASE_CONTENT = {
    "healthz",
    # Leads to drafting the qualification decree (issue #18): a redirect, nothing of the case.
    "cases:requalify",
    "login",
    "accounts:otp-setup",
    "accounts:otp-verify",
    "accounts:reauthenticate",
    "accounts:sessions",
    "accounts:password-change",
    "cases:register",
    # A resumable upload's offset (tus HEAD/GET): how many bytes of one's own upload arrived, nothing of the case.
    "evidence:resumable",
    # The search boxes of forms answer users and articles (reference data), never a case.
    "cases:prosecutor-options",
    "cases:investigator-options",
    "cases:article-options",
    # Public: the QR code's page and the trust roots show nothing the PDF does not (cases/views/verify.py).
    "verify:act",
    "verify:trust-roots",
    # The administration workspace: units, users, reference data; administrators never read a case.
    "manage:home",
    "manage:units",
    "manage:unit-new",
    "manage:unit",
    "manage:users",
    "manage:user-new",
    "manage:user",
    "manage:user-deactivate",
    "manage:user-reactivate",
    "manage:user-second-factor",
    "manage:user-password",
    "reference:articles",
    "reference:article",
    "reference:act-types",
    "reference:act-type",
    "api:me",
    "api:schema",
    "api:docs",
    "api:not-found",
}
# Lists are asked for with their filters too: a search (an IIN above all) is a read of its own.
VARIANTS = {
    "cases:list": lambda w: {"q": w.case.registration_number},
    "api:case-list": lambda w: {"q": w.case.registration_number},
    "api:person-list": lambda w: {"iin": w.objects[True]["participant"].person.iin},
}
READERS_FIRST = ("investigator", "supervisor", "prosecutor", "colleague", "outsider", "admin", "anonymous")
GET_KEYS = sorted(key for key, route in POLICY.items() if route.method == "GET")


def test_every_get_route_is_classified_and_nothing_else():
    names = {key.split("#")[0] for key in GET_KEYS}
    unclassified = names - CASE_CONTENT - NO_CASE_CONTENT
    assert not unclassified, f"GET routes neither case content nor no case content: {sorted(unclassified)}"
    assert not CASE_CONTENT & NO_CASE_CONTENT
    assert (CASE_CONTENT | NO_CASE_CONTENT) == names, sorted((CASE_CONTENT | NO_CASE_CONTENT) - names)
    # and the policy covers every route (tests/test_access_sweep.py), so no GET route escapes this file
    assert set(names) <= route_names()


def reader_of(route) -> tuple[str, int]:
    """The first role the route serves on the own case, and the status it answers that role."""
    return next(
        (role, want)
        for role in READERS_FIRST
        if (want := expected(route, role, True)) not in (LOGIN, 403, 404) or want == route.ok
    )


def access_rows() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event__in=ACCESS_EVENTS).order_by("id"))


def request_once(world, key: str, client_for, params=None):
    """GET the route on the own case as a reader; (the response, the access rows it wrote, all rows it wrote)."""
    name, route = key.split("#")[0], POLICY[key]
    role, want = reader_of(route)
    with transaction.atomic():
        url = url_for(name, route, world, True)  # may sign an act: before the counting starts
        api = Api() if role == "anonymous" else client_for(world.people[role])
        before_access, before_all = len(access_rows()), AuditEvent.objects.count()
        response = api.request("GET", url, **(params or {}))
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        written = access_rows()[before_access:]
        all_written = AuditEvent.objects.count() - before_all
        transaction.set_rollback(True)
    return want, role, response, written, all_written


def check(world, key, client_for, where: str, params=None) -> list[str]:
    name = key.split("#")[0]
    route = POLICY[key]
    want, role, response, written, all_written = request_once(world, key, client_for, params)
    where = f"{where} {key} as {role}{' ' + str(params) if params else ''}"
    if response.status_code != want:
        return [f"{where}: expected {want}, got {response.status_code}"]
    if name in NO_CASE_CONTENT:
        return [f"{where}: no case content, yet {len(written)} access rows"] if written else []
    failures = []
    if len(written) != 1 or all_written != 1:
        failures.append(f"{where}: {len(written)} access rows ({all_written} audit rows), expected exactly one")
    elif route.obj is not None and written[0].case_id not in (world.case.pk, None):
        failures.append(f"{where}: the row names case {written[0].case_id}, not {world.case.pk}")
    return failures


PAGE_KEYS = [key for key in GET_KEYS if not getattr(POLICY[key], "api", False)]
API_KEYS = [key for key in GET_KEYS if getattr(POLICY[key], "api", False)]


def test_every_page_read_of_case_content_writes_exactly_one_access_row(world):
    session = lambda user: Api(session=user)  # noqa: E731
    failures = []
    for key in PAGE_KEYS:
        failures += check(world, key, session, "page")
        if key in VARIANTS:
            failures += check(world, key, session, "page", VARIANTS[key](world))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("mode", ["token", "session"])
def test_every_api_read_of_case_content_writes_exactly_one_access_row(api_world, mode):
    world = api_world

    def caller(user):
        return Api(token=token_of(user)) if mode == "token" else Api(session=user)

    failures = []
    for key in API_KEYS:
        failures += check(world, key, caller, mode)
        if key in VARIANTS:
            failures += check(world, key, caller, mode, VARIANTS[key](world))
    assert not failures, "\n".join(failures)


def test_a_list_row_names_what_was_listed_and_what_was_asked(api_world):
    world = api_world
    iin = world.objects[True]["participant"].person.iin
    api = Api(token=token_of(world.people["investigator"]))
    assert api.get("/api/v1/persons/", iin=iin).status_code == 200
    row = AuditEvent.objects.filter(event=EventType.PERSONS_LISTED).latest("id")
    assert row.data["query"] == {"iin": iin}
    assert row.data["persons"] == [world.objects[True]["participant"].person_id]
    assert row.actor == world.people["investigator"] and row.data["channel"] == "api"

    page = Api(session=world.people["investigator"])
    assert page.get("/cases/").status_code == 200
    listed = AuditEvent.objects.filter(event=EventType.CASES_LISTED).latest("id")
    assert world.case.pk in listed.data["cases"] and world.foreign_case.pk not in listed.data["cases"]


def test_the_history_page_is_logged_as_a_read_of_its_case(world):
    from django.urls import reverse

    client = Api(session=world.people["prosecutor"]).client
    assert client.get(reverse("cases:history", args=[world.case.pk])).status_code == 200
    row = AuditEvent.objects.filter(event=EventType.CASE_OPENED).latest("id")
    assert (row.case_id, row.actor, row.data["page"]) == (world.case.pk, world.people["prosecutor"], "history")


def test_the_request_id_is_the_servers_own_never_the_clients(world):
    """The audit row records the server's id (returned in X-Request-ID); the client's header is ignored."""
    import uuid

    from django.urls import reverse

    client = Api(session=world.people["investigator"]).client
    forged = "forged-request-id-0001"
    answers = [
        client.get(reverse("cases:detail", args=[world.case.pk]), headers={"X-Request-ID": forged}) for _ in range(2)
    ]
    ids = [response["X-Request-ID"] for response in answers]
    assert forged not in ids and ids[0] != ids[1]
    assert all(uuid.UUID(value).version == 4 for value in ids)
    rows = AuditEvent.objects.filter(event=EventType.CASE_OPENED, case_id=world.case.pk).order_by("-id")[:2]
    assert sorted(row.request_id for row in rows) == sorted(ids)
    assert not AuditEvent.objects.filter(request_id=forged).exists()
