"""NUL and other control characters anywhere a request can put them: never a 5xx, nothing changed (issue #13 item 9).

PostgreSQL refuses NUL in text ("A string literal cannot contain NUL"); one in a search box, a
filter or a form field used to answer 500. ``ecase.control_chars.ControlCharacterMiddleware``
answers 400 for them in one place. These sweeps send them to every query parameter the pages and
the API read, on every GET route, and to every field of every form on every POST route, each as
the role that may use the route (so the request gets past the access check to the view), and
compare every row of every table but the audit trail's and the sessions' before and after.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.forms import ReauthForm, TokenForm
from accounts.workspace import forms as manage
from cases.forms import (
    ActCreateForm,
    ActEditForm,
    ActReviewForm,
    ActTransitionForm,
    CaseAssignForm,
    CaseEditForm,
    CaseRegisterForm,
    CaseTransitionForm,
    ExtensionForm,
    ParticipantForm,
    ReasonForm,
    VerifyUploadForm,
)
from cases.forms_term import ActSanctionForm, ExtensionRequestForm
from ecase.control_chars import FORBIDDEN
from evidence.forms import EvidenceForm, TransferForm, UploadForm
from tests.auth import verified_client
from tests.factories import PASSWORD
from tests.policy import POLICY
from tests.test_access_sweep import (  # noqa: F401 (the world's people are fixtures)
    NOT_COUNTED,
    NOT_COUNTED_MODELS,
    admin,
    astana,
    colleague,
    investigator,
    module_world,
    outsider,
    prosecutor,
    prosecutors_office,
    superior,
    supervisor,
    taraz,
    url_for,
)
from tests.test_api_sweep import api_world, module_api_world, world  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
NUL = "\x00"
OTHERS = ("\x01", "\x08", "\x0b", "\x1f", "\x7f")
# A lone surrogate has no UTF-8 form: in a URL its would-be bytes are sent, in JSON its escape.
SURROGATE_IN_URL = "%ED%A0%80"
ROLE_ORDER = ("investigator", "supervisor", "prosecutor", "colleague", "outsider", "admin")

# Every query parameter a view reads (the list below is checked against the source by the first test).
PAGE_PARAMETERS = {
    "q",
    "status",
    "gravity",
    "investigator",
    "investigator_q",
    "overdue",
    "tab",
    "page",
    "next",
    "field",
    "prosecutor",
    "prosecutor_q",
    "article",
    "article_q",
    "act_type",
    "script",
    # The administration workspace's user search (accounts/workspace/forms.py UserSearchForm).
    "unit",
    "role",
    "active",
    # The statistics report's CSV switch (cases/views/statistics.py); its period and rows come through its form.
    "format",
}

# The form each POST route reads; its fields and the policy's sample data are what the sweep fills.
FORMS = {
    "cases:edit#post": CaseEditForm,
    "cases:assign#post": CaseAssignForm,
    "cases:transition": CaseTransitionForm,
    "cases:extend#post": ExtensionForm,
    "cases:participant-add#post": ParticipantForm,
    "cases:participant-withdraw": ReasonForm,
    "cases:act-create#post": ActCreateForm,
    "cases:act-edit#post": ActEditForm,
    "cases:act-transition": ActTransitionForm,
    "cases:act-transition#approve": ActTransitionForm,
    "cases:act-transition#agree": ActTransitionForm,
    "cases:act-transition#refuse": ActTransitionForm,
    "cases:act-review#post": ActReviewForm,
    "cases:act-review#agree": ActReviewForm,
    "cases:act-review#refuse": ActReviewForm,
    "cases:act-sanction#post": ActSanctionForm,
    "cases:extension-request#post": ExtensionRequestForm,
    "evidence:add#post": EvidenceForm,
    "evidence:withdraw": ReasonForm,
    "evidence:upload": UploadForm,
    "evidence:transfer": TransferForm,
    "evidence:file-withdraw": ReasonForm,
    "verify:act#post": VerifyUploadForm,
    "accounts:language": ["language"],
    "manage:unit-new#post": manage.UnitCreateForm,
    "manage:unit#post": manage.UnitChangeForm,
    "manage:user-new#post": manage.UserCreateForm,
    "manage:user#post": manage.UserChangeForm,
    "manage:user-deactivate#post": manage.ReasonForm,
    "manage:user-reactivate#post": manage.ReasonForm,
    "manage:user-second-factor#post": manage.ReasonForm,
    "manage:user-password#post": manage.SetPasswordForm,
}
# They read nothing from the request body (the requalification address only leads to drafting the decree, issue #18).
NO_FIELDS = {"logout", "cases:export#post", "evidence:resumable-create", "cases:requalify#post"}
# Forms posted here as the one role that fills them (the access policy's ``#post`` entries post them
# as every role, with data that is fine).
EXTRA_POSTS = {
    "cases:register": (CaseRegisterForm, "investigator"),
    "accounts:otp-verify": (TokenForm, "investigator"),
    "accounts:reauthenticate": (ReauthForm, "investigator"),
    "accounts:sessions": (["session_key"], "investigator"),
    "accounts:password-change": (["old_password", "new_password1", "new_password2"], "investigator"),
    "login": (["username", "password"], "anonymous"),
}
# Enrolment answers 404 to everyone enrolled already (everyone in the sweeps) before reading its form.
NOT_REACHED = {"accounts:otp-setup#post"}


def snapshot() -> dict:
    """Every row of every table but the audit trail's and the sessions' (they record the requests themselves)."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in NOT_COUNTED or label in NOT_COUNTED_MODELS:
            continue
        rows[label] = list(model._default_manager.order_by("pk").values())
    for user in rows.get("accounts.user", []):
        user.pop("last_login", None)  # the sweep's sign-ins
    return rows


def role_for(route) -> str:
    if route.public:
        return "investigator"
    return next(role for role in ROLE_ORDER if role in route.allowed)


def client_for(world, role):
    return verified_client(None if role == "anonymous" else world.people[role], reauthenticated=True)


def api_query_parameters() -> set[str]:
    names = set()

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "view_class", None) or getattr(entry.callback, "cls", None)
                serializer = getattr(view, "query_serializer", None)
                if serializer is not None:
                    names.update(serializer().fields)

    walk(get_resolver().url_patterns)
    return names


def test_every_parameter_the_code_reads_is_swept():
    read = set()
    pattern = re.compile(r"""(?:GET|query_params)(?:\.get\(|\[)\s*f?["']([a-z_]+)["']""")
    for app in ("accounts", "audit", "cases", "evidence", "ecase"):
        for path in (ROOT / app).rglob("*.py"):
            read |= set(pattern.findall(path.read_text()))
    assert read, "the pattern found no parameter at all"
    assert read <= PAGE_PARAMETERS | api_query_parameters(), sorted(read - PAGE_PARAMETERS - api_query_parameters())
    assert {"q", "iin", "status", "gravity"} <= api_query_parameters()


def test_every_post_route_is_swept():
    posts = {key for key, route in POLICY.items() if route.method == "POST" and not getattr(route, "api", False)}
    assert posts == set(FORMS) | NO_FIELDS | {f"{name}#post" for name in EXTRA_POSTS} | NOT_REACHED


GET_KEYS = sorted(key for key, route in POLICY.items() if route.method == "GET")


# A search box's text is read only beside the name of its field (cases/views/options.py, the case list).
SEARCH_FIELDS = ("prosecutor", "investigator", "article")


@pytest.mark.parametrize("key", GET_KEYS)
def test_control_characters_in_query_parameters_answer_no_5xx_and_change_nothing(api_world, key):
    name, route = key.split("#")[0], POLICY[key]
    url = url_for(name, route, api_world, True)
    parameters = sorted(PAGE_PARAMETERS | api_query_parameters())
    queries = [f"{p}=a{quote(NUL)}b" for p in parameters]  # each parameter alone
    queries += ["&".join(f"{p}={quote(c)}" for p in parameters) for c in OTHERS]  # every one at once
    queries += [f"field={f}&{f}_q=a{quote(c)}b" for f in SEARCH_FIELDS for c in (NUL, *OTHERS)]
    queries += [f"field={f}&{f}=1{quote(NUL)}" for f in SEARCH_FIELDS] + [f"investigator_q=a{quote(NUL)}b&q=x"]
    queries += [f"q={SURROGATE_IN_URL}", f"{quote(NUL)}=1", f"tab=summary{quote(NUL)}"]
    # A supervisor's case list and search boxes read more (the investigator filter) than an investigator's.
    roles = {role_for(route)} | ({"supervisor"} if route.obj is None and "supervisor" in route.allowed else set())
    clients = {
        role: client_for(api_world, role) for role in sorted(roles)
    }  # enrolment writes rows: before the snapshot
    before, failures = snapshot(), []
    for role, client in clients.items():
        for query in queries:
            response = client.get(f"{url}?{query}")
            if response.status_code >= 500:
                failures.append(f"GET {url}?{query} as {role}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert snapshot() == before


def _fields_of(form) -> list[str]:
    return list(form.base_fields) if not isinstance(form, list) else form


POST_KEYS = sorted(FORMS) + sorted(EXTRA_POSTS)


@pytest.mark.parametrize("key", POST_KEYS)
def test_control_characters_in_form_fields_answer_no_5xx_and_change_nothing(api_world, key):
    world = api_world
    if key in FORMS:
        name, route = key.split("#")[0], POLICY[key]
        form, role, url = FORMS[key], role_for(route), url_for(key.split("#")[0], route, world, True)
        sample = route.data(world) if route.data else {}
    else:
        name, (form, role) = key, EXTRA_POSTS[key]
        url, sample = reverse(name), {}
    if name == "login":
        sample = {"username": world.people["investigator"].username, "password": PASSWORD}
    fields = sorted(set(_fields_of(form)) | set(sample))
    client = client_for(world, role)
    before, failures = snapshot(), []

    def send(data, what):
        response = client.post(url, data)
        if response.status_code >= 500:
            failures.append(f"POST {url} {what}: {response.status_code}")
        elif response.status_code != 400:
            failures.append(f"POST {url} {what}: {response.status_code}, expected the refusal (400)")

    for field in fields:
        send({**sample, field: f"a{NUL}b"}, f"{field}=NUL")
    for char in OTHERS:
        send({**sample, **dict.fromkeys(fields, f"a{char}b")}, f"every field {char!r}")
    assert not failures, "\n".join(failures)
    assert snapshot() == before


def test_a_file_name_with_nul_is_no_5xx_and_not_stored_with_it(world):
    from evidence.models import EvidenceFile

    item = world.objects[True]["item"]
    response = client_for(world, "investigator").post(
        reverse("evidence:upload", args=[item.pk]),
        {"file": SimpleUploadedFile(f"scan{NUL}\x01.png", b"\x89PNG\r\n", content_type="image/png")},
    )
    assert response.status_code < 500
    assert not any(FORBIDDEN.search(name) for name in EvidenceFile.objects.values_list("original_name", flat=True))


API_WRITES = sorted(key for key, route in POLICY.items() if getattr(route, "api", False) and route.method != "GET")


@pytest.mark.parametrize("key", API_WRITES)
@pytest.mark.parametrize("bad", [NUL, "\x01", "\x7f", "\ud800"])
def test_control_characters_in_api_json_answer_400_and_change_nothing(api_world, key, bad):
    world, route = api_world, POLICY[key]
    client = client_for(world, role_for(route))
    url = url_for(key.split("#")[0], route, world, True)
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (route.headers(world) if route.headers else {}).items()
    }
    sample = route.data(world)
    before = snapshot()
    for field in sample:
        body = json.dumps({**sample, field: f"a{bad}b"})  # \u0000, \ud800 escapes: valid JSON, not storable
        response = getattr(client, route.method.lower())(url, body, content_type="application/json", **headers)
        assert response.status_code == 400, (field, response.status_code, response.content[:300])
        assert response.json()["error"]["code"] == "control_character", response.json()
    assert snapshot() == before


def test_the_refusal_page_says_nothing_was_saved(world, settings):
    client = client_for(world, "investigator")
    response = client.post(
        reverse("cases:edit", args=[world.case.pk]),
        {"version": world.case.version, "plot": f"Фабула{NUL}", "reason": "Уточнение"},
    )
    assert response.status_code == 400
    assert (
        "“plot” contains a control character (such as NUL) that cannot be stored. Nothing was saved."
        in response.content.decode()
    )
    assert NUL not in response.content.decode()


def test_a_control_character_in_a_path_that_reaches_a_view_answers_400(world):
    # The API's not-found route takes any path (the administrators' site, which took one, is gone).
    client = client_for(world, "investigator")
    response = client.get(f"/api/v1/cases/1{quote(NUL)}/x/")
    assert response.status_code == 400


def test_tab_and_line_breaks_stay_allowed(world):
    client = client_for(world, "investigator")
    case = world.case
    response = client.post(
        reverse("cases:edit", args=[case.pk]),
        {
            "version": case.version,
            "articles": [a.pk for a in case.articles.all()],
            "proceedings_form": case.proceedings_form,
            "plot": "Первая строка\r\n\tвторая строка",
            "reason": "Уточнение",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.plot == "Первая строка\n\tвторая строка"
