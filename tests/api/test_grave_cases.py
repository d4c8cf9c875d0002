"""Grave and especially grave cases over the API: out of a token's reach unless an administrator granted them.

A browser opens such a case only after a second factor from the last minutes; a token holds
no second factor. So by default a token does not reach them at all — 404 as for an absent case,
logged with the reason — and an administrator may issue a token with ``--grave-cases``, which
the audit trail records. (The route × role sweep of grave cases is in tests/test_api_sweep.py.)
"""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import ApiToken
from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ParticipantRole
from cases.services.participants import participant_add
from tests.api.helpers import Api, error_of, issue
from tests.factories import person_data, register


@pytest.fixture
def grave(investigator, supervisor, prosecutor):
    case = register(actor=investigator, articles=("99-1",), supervisor=supervisor, prosecutor=prosecutor)
    assert case.gravity >= 4
    return case


@pytest.fixture
def shared_person(investigator, case, grave):
    """One person who is a witness in an ordinary case and a suspect in the grave one."""
    ordinary = participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS,
                               person_data=person_data())
    participant_add(case_id=grave.pk, actor=investigator, role=ParticipantRole.SUSPECT,
                    person_data={**person_data(), "iin": ordinary.person.iin})
    return ordinary.person


def test_a_token_reaches_no_grave_case_and_the_refusal_is_indistinguishable_but_logged(investigator, grave):
    raw = issue(investigator)
    api = Api(token=raw)
    refused, absent = api.get(f"/api/v1/cases/{grave.pk}/"), api.get("/api/v1/cases/999999999/")
    assert refused.status_code == absent.status_code == 404
    assert {**error_of(refused), "request_id": ""} == {**error_of(absent), "request_id": ""}
    event = AuditEvent.objects.get(event=EventType.ACCESS_DENIED, case_id=grave.pk)
    assert event.actor == investigator
    assert event.data["reason"] == "grave_case_outside_token_scope" and event.data["status"] == 404
    assert not AuditEvent.objects.filter(event=EventType.CASE_OPENED, case_id=grave.pk).exists()


def test_lists_and_persons_leave_grave_cases_out_for_a_token(investigator, case, grave, shared_person):
    api = Api(token=issue(investigator))
    assert [c["id"] for c in api.get("/api/v1/cases/").json()["results"]] == [case.pk]
    assert api.get("/api/v1/cases/", gravity=grave.gravity).json()["count"] == 0
    assert [c["id"] for c in api.get("/api/v1/cases/", q=shared_person.iin).json()["results"]] == [case.pk]
    assert api.get("/api/v1/cases/", q=grave.registration_number).json()["count"] == 0
    person = api.get(f"/api/v1/persons/{shared_person.pk}/").json()
    assert [p["case"] for p in person["participations"]] == [case.pk]


def test_a_person_seen_only_in_a_grave_case_is_not_found_with_a_token(investigator, grave):
    suspect = participant_add(case_id=grave.pk, actor=investigator, role=ParticipantRole.SUSPECT,
                              person_data=person_data())
    api = Api(token=issue(investigator))
    assert api.get("/api/v1/persons/", iin=suspect.person.iin).json()["count"] == 0
    assert api.get(f"/api/v1/persons/{suspect.person_id}/").status_code == 404
    assert api.get(f"/api/v1/participants/{suspect.pk}/").status_code == 404


def test_a_token_issued_for_grave_cases_reaches_them(investigator, colleague, admin, case, grave, shared_person):
    api = Api(token=issue(investigator, grave_cases=True, admin=admin))
    assert api.get("/api/v1/me/").json()["token"]["grave_cases"] is True
    assert {c["id"] for c in api.get("/api/v1/cases/").json()["results"]} == {case.pk, grave.pk}
    assert api.get(f"/api/v1/cases/{grave.pk}/").status_code == 200
    person = api.get(f"/api/v1/persons/{shared_person.pk}/").json()
    assert sorted(p["case"] for p in person["participations"]) == sorted([case.pk, grave.pk])
    # Still only the user's own cases: the grant widens the token to the user's scope, no further.
    assert Api(token=issue(colleague, grave_cases=True, admin=admin)).get(f"/api/v1/cases/{grave.pk}/").status_code == 404


def issue_by_command(*args) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("issue_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_only_a_named_administrator_issues_a_token_for_grave_cases(investigator, supervisor, admin):
    with pytest.raises(CommandError, match="named administrator"):
        issue_by_command("investigator", "--grave-cases")
    with pytest.raises(CommandError, match="no active administrator"):
        issue_by_command("investigator", "--grave-cases", "--by", "supervisor")
    assert not ApiToken.objects.exists()
    assert not ApiToken.objects.get(prefix=issue_by_command("investigator").split("_")[1]).grave_cases
    raw = issue_by_command("investigator", "--grave-cases", "--by", "admin")
    token = ApiToken.objects.get(prefix=raw.split("_")[1])
    assert token.grave_cases and token.created_by == admin
    event = AuditEvent.objects.get(event=EventType.TOKEN_ISSUED, data__prefix=token.prefix)
    assert event.actor == admin and event.data["grave_cases"] is True
