"""The API's errors: one JSON shape for every 4xx and 5xx, absent and forbidden indistinguishable."""

import json

import pytest
from django.test import Client

from audit.choices import EventType
from audit.models import AuditEvent
from cases.api.views import CaseListView
from tests.api.helpers import Api, error_of, issue
from tests.auth import verified_client


def without_request_id(response) -> dict:
    error = dict(error_of(response))
    error.pop("request_id")
    return error


def test_a_case_outside_the_scope_answers_exactly_like_an_absent_one(outsider, case):
    api = Api(token=issue(outsider))
    foreign, absent = api.get(f"/api/v1/cases/{case.pk}/"), api.get("/api/v1/cases/999999999/")
    assert foreign.status_code == absent.status_code == 404
    assert (
        without_request_id(foreign)
        == without_request_id(absent)
        == {"code": "not_found", "message": without_request_id(absent)["message"], "fields": {}}
    )
    denied = AuditEvent.objects.get(event=EventType.ACCESS_DENIED, case_id=case.pk)
    assert denied.actor == outsider and denied.data["status"] == 404 and denied.data["channel"] == "api"


def test_in_scope_but_not_allowed_is_403_and_logged(prosecutor, case):
    response = Api(token=issue(prosecutor)).get(
        f"/api/v1/cases/{case.pk}/acts/",
    )
    assert response.status_code == 200
    response = Api(session=prosecutor).patch(
        f"/api/v1/cases/{case.pk}/", {"plot": "x", "reason": "x"}, headers={"If-Match": f'"v{case.version}"'}
    )
    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"
    assert AuditEvent.objects.filter(event=EventType.ACCESS_DENIED, case_id=case.pk, data__status=403).exists()


def test_a_services_validation_error_is_400_with_field_messages(investigator, case):
    response = Api(token=issue(investigator)).patch(
        f"/api/v1/cases/{case.pk}/", {"plot": "   ", "reason": "Уточнение"}, headers={"If-Match": f'"v{case.version}"'}
    )
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == "invalid" and list(error["fields"]) == ["plot"]


def test_a_request_body_error_names_the_fields(investigator, case):
    response = Api(token=issue(investigator)).patch(
        f"/api/v1/cases/{case.pk}/", {"event_date": "вчера"}, headers={"If-Match": f'"v{case.version}"'}
    )
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"event_date", "reason"}


def token_and_version(user, case) -> dict:
    return {"Authorization": f"Bearer {issue(user)}", "If-Match": f'"v{case.version}"'}


def test_malformed_json_is_400(investigator, case):
    response = Client().generic(
        "PATCH",
        f"/api/v1/cases/{case.pk}/",
        "{not json",
        content_type="application/json",
        headers=token_and_version(investigator, case),
    )
    assert response.status_code == 400 and error_of(response)["code"] == "parse_error"


def test_a_body_that_is_not_json_is_415(investigator, case):
    response = Client().generic(
        "PATCH",
        f"/api/v1/cases/{case.pk}/",
        "plot=x",
        content_type="text/plain",
        headers=token_and_version(investigator, case),
    )
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("path", ["/api/v2/cases/", "/api/v1/acts/%0A7/transition/", "/api/v1/cases/1%0A/"])
def test_an_unknown_api_path_is_404_in_the_same_shape(investigator, path):
    # An encoded newline in the path (schemathesis found it) once fell through to the HTML 404 page.
    response = Api(token=issue(investigator)).get(path)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_405(investigator, case):
    response = Api(token=issue(investigator)).request("DELETE", f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize("debug", [False, True])
def test_a_server_error_is_500_in_the_same_shape_without_a_traceback(settings, monkeypatch, investigator, case, debug):
    settings.DEBUG = debug

    def explode(self):
        raise RuntimeError("secret internals: /srv/ecase/db.py line 42")

    monkeypatch.setattr(CaseListView, "get_queryset", explode)
    response = Api(token=issue(investigator)).get("/api/v1/cases/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    error = error_of(response)
    assert error["code"] == "server_error" and error["request_id"] == response["X-Request-ID"]
    assert "secret internals" not in response.content.decode() and "Traceback" not in response.content.decode()


def test_an_invalid_filter_is_400(investigator):
    response = Api(token=issue(investigator)).get("/api/v1/cases/", status="lost", gravity="9")
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"status", "gravity"}


def test_messages_follow_accept_language(outsider, case):
    response = Api(token=issue(outsider)).get(f"/api/v1/cases/{case.pk}/", headers={"Accept-Language": "en"})
    assert error_of(response)["message"] == "Not found."


def test_errors_are_json_even_when_the_client_asks_for_html(outsider, case):
    response = Api(token=issue(outsider)).get(f"/api/v1/cases/{case.pk}/", headers={"Accept": "text/html"})
    assert response.status_code in (404, 406) and json.loads(response.content)["error"]


def test_options_describes_nothing(outsider, case):
    response = Api(token=issue(outsider)).request("OPTIONS", f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize("debug", [False, True])
def test_a_server_error_outside_the_views_is_json_too(settings, monkeypatch, investigator, debug):
    """An exception in a middleware never reaches DRF's handler: the API still answers in its shape."""
    settings.DEBUG = debug

    def explode(*args):
        raise RuntimeError("secret internals: /srv/ecase/accounts/middleware.py line 42")

    monkeypatch.setattr("accounts.middleware.age", explode)  # SessionPolicyMiddleware, before any view
    client = verified_client(investigator)
    client.raise_request_exception = False
    response = client.get("/api/v1/me/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    error = error_of(response)
    assert error["code"] == "server_error" and error["request_id"] == response["X-Request-ID"]
    assert "secret internals" not in response.content.decode() and "Traceback" not in response.content.decode()
