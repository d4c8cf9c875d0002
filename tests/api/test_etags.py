"""Optimistic locking over the API: GET gives an ETag, PATCH needs it in If-Match, a stale one gets 412."""
import pytest

from cases.models import Case, ProceduralAct, ProceduralActType
from cases.services.acts import act_create
from tests.api.helpers import Api, error_of, issue


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


@pytest.mark.parametrize("headers,status,code", [
    ({}, 428, "precondition_required"),
    ({"If-Match": "*"}, 428, "precondition_required"),
    ({"If-Match": '"v0"'}, 412, "stale"),
    ({"If-Match": "garbage"}, 412, "stale"),
])
def test_a_change_without_a_current_etag_is_refused(api, case, headers, status, code):
    version = Case.objects.get(pk=case.pk).version
    response = api.patch(url(case), {"plot": "Иначе.", "reason": "x"}, headers=headers)
    assert response.status_code == status and error_of(response)["code"] == code
    assert Case.objects.get(pk=case.pk).version == version


def test_a_weak_etag_and_a_list_of_etags_are_understood(api, case):
    version = Case.objects.get(pk=case.pk).version
    response = api.patch(url(case), {"plot": "Иначе.", "reason": "x"},
                         headers={"If-Match": f'"v{version - 1}", W/"v{version}"'})
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
