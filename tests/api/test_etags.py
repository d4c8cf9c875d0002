"""Optimistic locking over the API: GET gives an ETag, PATCH needs it in If-Match, a stale one gets 412."""

import pytest

from cases.models import Case, ProceduralAct, ProceduralActType
from cases.services.acts import act_create
from tests.api.helpers import Api, error_of, issue
from tests.factories import author_only_requirement


@pytest.fixture
def api(investigator):
    return Api(token=issue(investigator))


def url(case):
    return f"/api/v1/cases/{case.pk}/"


def test_a_change_with_the_current_etag_goes_through_and_returns_the_next(api, case):
    etag = api.get(url(case))["ETag"]
    response = api.patch(url(case), {"plot": "Уточнённая фабула.", "reason": "Допрос"}, headers={"If-Match": etag})
    assert response.status_code == 200 and response.json()["plot"] == "Уточнённая фабула."
    assert response["ETag"] != etag and response["ETag"] == api.get(url(case))["ETag"]
    history = Case.objects.get(pk=case.pk).history.latest("history_id")
    assert history.history_change_reason == "Допрос" and history.history_user.username == "investigator"


def test_the_second_of_two_writers_who_read_the_same_version_gets_412(api, investigator, case):
    other = Api(token=issue(investigator))
    etag = api.get(url(case))["ETag"]
    assert other.get(url(case))["ETag"] == etag
    first = api.patch(url(case), {"plot": "Первая правка.", "reason": "1"}, headers={"If-Match": etag})
    assert first.status_code == 200
    response = other.patch(url(case), {"plot": "Вторая правка.", "reason": "2"}, headers={"If-Match": etag})
    assert response.status_code == 412 and error_of(response)["code"] == "stale"
    assert Case.objects.get(pk=case.pk).plot == "Первая правка."


@pytest.mark.parametrize(
    "headers,status,code",
    [
        ({}, 428, "precondition_required"),
        ({"If-Match": "*"}, 428, "precondition_required"),
        ({"If-Match": '"v0"'}, 412, "stale"),
        ({"If-Match": "garbage"}, 412, "stale"),
    ],
)
def test_a_change_without_a_current_etag_is_refused(api, case, headers, status, code):
    version = Case.objects.get(pk=case.pk).version
    response = api.patch(url(case), {"plot": "Иначе.", "reason": "x"}, headers=headers)
    assert response.status_code == status and error_of(response)["code"] == code
    assert Case.objects.get(pk=case.pk).version == version


def test_a_weak_etag_and_a_list_of_etags_are_understood(api, case):
    version = Case.objects.get(pk=case.pk).version
    response = api.patch(
        url(case), {"plot": "Иначе.", "reason": "x"}, headers={"If-Match": f'"v{version - 1}", W/"v{version}"'}
    )
    assert response.status_code == 200


def test_an_act_is_edited_under_the_same_rule(api, investigator, case):
    act_type = ProceduralActType.objects.create(code="etag_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    act = act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place="Астана")
    etag = api.get(f"/api/v1/acts/{act.pk}/")["ETag"]
    assert etag == '"v1"'
    response = api.patch(f"/api/v1/acts/{act.pk}/", {"body": "Текст справки."}, headers={"If-Match": etag})
    assert response.status_code == 200 and response["ETag"] == '"v2"'
    stale = api.patch(f"/api/v1/acts/{act.pk}/", {"body": "Другой текст."}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert ProceduralAct.objects.get(pk=act.pk).body == "Текст справки."


# Every update names the version it changes. Creating an act is the one write without If-Match:
# it makes a new resource (numbered under the case's lock), so there is no version to overwrite.
CREATIONS = {("post", "/api/v1/cases/{id}/acts/")}


@pytest.fixture
def updates(investigator, case):
    """Per update: its URL, a body that succeeds, where its ETag is read, and another write that moves it."""
    from evidence.services import evidence_add, evidence_transfer

    note = ProceduralActType.objects.create(code="etag_all", name_ru="Справка", name_kk="Анықтама", kind="other")

    author_only_requirement(note, approval_article="test")  # signed by the author, then approved
    act = act_create(case_id=case.pk, actor=investigator, act_type=note, language="ru", place="Астана")
    item = evidence_add(
        case_id=case.pk,
        actor=investigator,
        kind="physical",
        description="Нож",
        seized_at=case.registered_at,
        seized_place="Астана",
    )
    evidence_transfer(item_id=item.pk, actor=investigator, to_holder="Камера", to_location="Склад", reason="Хранение")
    case_url, act_url, custody = (
        f"/api/v1/cases/{case.pk}/",
        f"/api/v1/acts/{act.pk}/",
        f"/api/v1/evidence/{item.pk}/custody/",
    )
    edit_act = ("PATCH", act_url, {"body": "Другой текст."})
    return {
        ("patch", "/api/v1/cases/{id}/"): (
            case_url,
            {"plot": "Иначе.", "reason": "x"},
            case_url,
            ("PATCH", case_url, {"plot": "Раньше.", "reason": "y"}),
        ),
        ("patch", "/api/v1/acts/{id}/"): (act_url, {"body": "Текст."}, act_url, edit_act),
        ("post", "/api/v1/acts/{id}/transition/"): (f"{act_url}transition/", {"action": "sign"}, act_url, edit_act),
        ("post", "/api/v1/evidence/{id}/custody/"): (
            custody,
            {"to_holder": "Эксперт", "reason": "Экспертиза"},
            custody,
            ("POST", custody, {"to_holder": "Суд", "reason": "Передача"}),
        ),
    }


def test_every_write_but_a_creation_requires_if_match_in_the_schema(updates):
    from django.test import Client

    schema = Client().get("/api/schema/").json()
    writes, guarded = set(), set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch", "delete"):
                writes.add((method, path))
                if any(
                    p["name"] == "If-Match" and p["in"] == "header" and p["required"]
                    for p in operation.get("parameters", [])
                ):
                    assert {"412", "428"} <= set(operation["responses"]), (method, path)
                    guarded.add((method, path))
    assert guarded == writes - CREATIONS == set(updates)


@pytest.mark.parametrize("precondition", ["missing", "any", "stale"])
@pytest.mark.parametrize(
    "operation",
    [
        "patch /api/v1/cases/{id}/",
        "patch /api/v1/acts/{id}/",
        "post /api/v1/acts/{id}/transition/",
        "post /api/v1/evidence/{id}/custody/",
    ],
)
def test_an_update_without_the_current_etag_is_refused_and_changes_nothing(api, updates, operation, precondition):
    from tests.test_access_sweep import row_counts

    url, body, read_at, other_write = updates[tuple(operation.split(" "))]
    method = operation.split(" ")[0].upper()
    read = api.get(read_at)["ETag"]
    headers = {"missing": {}, "any": {"If-Match": "*"}, "stale": {"If-Match": read}}[precondition]
    if precondition == "stale":  # another system writes after this one read
        moved = api.request(other_write[0], other_write[1], other_write[2], headers={"If-Match": read})
        assert moved.status_code in (200, 201) and moved["ETag"] != read
    before = row_counts()
    response = api.request(method, url, body, headers=headers)
    status, code = (412, "stale") if precondition == "stale" else (428, "precondition_required")
    assert response.status_code == status and error_of(response)["code"] == code
    assert row_counts() == before
    current = api.get(read_at)["ETag"]
    done = api.request(method, url, body, headers={"If-Match": current})
    assert done.status_code in (200, 201), done.content  # the same request, naming the current version, goes through


def test_every_step_of_the_workflow_is_a_new_version(api, investigator, supervisor, case):
    """Submit, return and revise each move the ETag: an If-Match read before a step no longer matches it,
    and a PATCH naming the old version is 412 and changes nothing — no row, no history."""
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition
    from tests.test_access_sweep import row_counts

    act_type = ProceduralActType.objects.create(code="etag_steps", name_ru="Справка", name_kk="Анықтама", kind="other")

    author_only_requirement(act_type, approval_article="test")  # signed by the author, then approved
    act = act_create(
        case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place="Астана", body="Первый текст."
    )
    act_url = f"/api/v1/acts/{act.pk}/"
    read = api.get(act_url)["ETag"]
    submitted = api.post(f"{act_url}transition/", {"action": "sign"}, headers={"If-Match": read})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert submitted["ETag"] != read and submitted["ETag"] == api.get(act_url)["ETag"]

    before, history = row_counts(), ProceduralAct.history.filter(id=act.pk).count()
    stale = api.patch(act_url, {"body": "Текст по старой версии."}, headers={"If-Match": read})
    assert stale.status_code == 412 and error_of(stale)["code"] == "stale"
    assert row_counts() == before and ProceduralAct.history.filter(id=act.pk).count() == history
    assert ProceduralAct.objects.get(pk=act.pk).body == "Первый текст."

    # Returned and revised back to a draft: the same status as when `read` was taken, but not the same version.
    act_transition(act_id=act.pk, action=ActAction.RETURN, actor=supervisor, reason="Дополнить")
    act_transition(act_id=act.pk, action=ActAction.REVISE, actor=investigator)
    assert ProceduralAct.objects.get(pk=act.pk).status == "draft"
    before = row_counts()
    for stale in (read, submitted["ETag"]):
        response = api.patch(act_url, {"body": "Текст по старой версии."}, headers={"If-Match": stale})
        assert response.status_code == 412 and error_of(response)["code"] == "stale"
        response = api.post(f"{act_url}transition/", {"action": "sign"}, headers={"If-Match": stale})
        assert response.status_code == 412 and error_of(response)["code"] == "stale"
    assert row_counts() == before and ProceduralAct.objects.get(pk=act.pk).body == "Первый текст."
    current = api.get(act_url)["ETag"]
    assert len({read, submitted["ETag"], current}) == 3
    assert api.patch(act_url, {"body": "Дополненный текст."}, headers={"If-Match": current}).status_code == 200
