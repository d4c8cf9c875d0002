"""Reading over the API: the same cases, persons and files as in the browser, logged the same way."""

import io

import pytest
from django.test import Client

from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ParticipantRole
from cases.services.participants import participant_add
from evidence.services import evidence_add, evidence_file_add, evidence_transfer
from tests.api.helpers import Api, error_of, issue
from tests.auth import verified_client
from tests.evidence.helpers import png_bytes
from tests.factories import person_data, register


@pytest.fixture
def shared_person(case, investigator, outsider):
    """One IIN recorded in the own case (a victim) and in a Taraz case (a witness): two records, not linked."""
    foreign = register(actor=outsider)
    mine = participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data())
    participant_add(
        case_id=foreign.pk,
        actor=outsider,
        role=ParticipantRole.WITNESS,
        person_data={**person_data(), "iin": mine.person.iin},
    )
    return mine.person, foreign


def test_a_person_is_found_by_iin_only_through_visible_cases(investigator, colleague, shared_person, case):
    person, foreign = shared_person
    found = Api(token=issue(investigator)).get("/api/v1/persons/", iin=person.iin).json()
    assert [p["id"] for p in found["results"]] == [person.pk]
    detail = Api(token=issue(investigator)).get(f"/api/v1/persons/{person.pk}/").json()
    assert [(p["case"], p["role"]) for p in detail["participations"]] == [(case.pk, "victim")]
    assert Api(token=issue(colleague)).get("/api/v1/persons/", iin=person.iin).json()["count"] == 0
    assert Api(token=issue(colleague)).get(f"/api/v1/persons/{person.pk}/").status_code == 404


def test_an_iin_must_be_twelve_digits(investigator):
    response = Api(token=issue(investigator)).get("/api/v1/persons/", iin="12345")
    assert response.status_code == 400 and "iin" in error_of(response)["fields"]


def test_a_misspelt_or_empty_filter_is_refused_not_ignored(investigator, shared_person, case):
    """Ignored, either would list every person the caller may see instead of the one asked for."""
    person, foreign = shared_person
    api = Api(token=issue(investigator))
    for params, field in (
        ({"iin_number": person.iin}, "iin_number"),
        ({"iin": ""}, "iin"),
        ({"status": ""}, "status"),
        ({"page": "1", "sort": "iin"}, "sort"),
    ):
        url = "/api/v1/cases/" if "status" in params else "/api/v1/persons/"
        response = api.get(url, **params)
        assert response.status_code == 400 and list(error_of(response)["fields"]) == [field], params
    assert api.get(f"/api/v1/cases/{case.pk}/", verbose="1").status_code == 400  # details take none
    assert api.get("/api/v1/persons/", iin=person.iin, page=1, page_size=5).json()["count"] == 1


def test_the_case_list_searches_like_the_browser_and_only_among_visible_cases(investigator, shared_person, case):
    person, foreign = shared_person
    api = Api(token=issue(investigator))
    assert [c["id"] for c in api.get("/api/v1/cases/", q=person.iin).json()["results"]] == [case.pk]
    assert [c["id"] for c in api.get("/api/v1/cases/", q=foreign.registration_number).json()["results"]] == []
    assert api.get("/api/v1/cases/", status="terminated").json()["count"] == 0


def test_opening_a_case_is_logged_with_the_token(investigator, case):
    raw = issue(investigator)
    Api(token=raw).get(f"/api/v1/cases/{case.pk}/")
    event = AuditEvent.objects.get(event=EventType.CASE_OPENED)
    assert (event.actor, event.case_id) == (investigator, case.pk)
    assert event.data == {"channel": "api", "token": raw.split("_")[1]}
    assert event.request_id and event.ip == "127.0.0.1"


def test_listing_a_cases_participants_is_logged_as_opening_it(investigator, case):
    Api(session=investigator).get(f"/api/v1/cases/{case.pk}/participants/")
    assert AuditEvent.objects.get(event=EventType.CASE_OPENED).data == {"channel": "api", "part": "case-participants"}


@pytest.fixture
def item(settings, tmp_path, case, investigator):
    item = evidence_add(
        case_id=case.pk,
        actor=investigator,
        kind="digital",
        description="Флешка",
        seized_at=case.registered_at,
        seized_place="Астана",
    )
    evidence_transfer(
        item_id=item.pk, actor=investigator, to_holder="Камера хранения", to_location="Камера №2", reason="На хранение"
    )
    return item


def test_a_file_downloads_with_its_digest_and_is_logged(investigator, prosecutor, case, item):
    record = evidence_file_add(item_id=item.pk, actor=investigator, stream=io.BytesIO(png_bytes()), name="фото.png")
    api = Api(token=issue(prosecutor))
    files = api.get(f"/api/v1/evidence/{item.pk}/files/").json()["results"]
    assert [f["sha256"] for f in files] == [record.sha256]
    response = api.get(f"/api/v1/files/{record.pk}/download/", headers={"Accept": "application/octet-stream"})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()
    assert "attachment" in response["Content-Disposition"] and response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(event=EventType.FILE_DOWNLOADED)
    assert event.actor == prosecutor and event.data["sha256"] == record.sha256 and event.data["channel"] == "api"


def test_the_custody_chain_is_read_and_extended_naming_the_chain_read(investigator, item):
    api = Api(token=issue(investigator))
    url = f"/api/v1/evidence/{item.pk}/custody/"
    read = api.get(url)
    assert read["ETag"] == '"v1"'  # one hand-over so far
    handover = {"to_holder": "Эксперт ЦСЭ", "to_location": "ЦСЭ", "reason": "Назначена экспертиза"}
    response = api.post(url, handover, headers={"If-Match": read["ETag"]})
    assert response.status_code == 201 and response.json()["from_holder"] == "Камера хранения"
    assert response["ETag"] == api.get(url)["ETag"] == '"v2"'
    chain = api.get(url).json()["results"]
    assert [e["to_holder"] for e in chain] == ["Камера хранения", "Эксперт ЦСЭ"]
    assert api.get(f"/api/v1/evidence/{item.pk}/").json()["storage_location"] == "ЦСЭ"
    # One row per read: the item once, the custody list three times (each names the list it read).
    parts = sorted(e.data.get("part", "") for e in AuditEvent.objects.filter(event=EventType.EVIDENCE_OPENED))
    assert parts == ["", "evidence-custody", "evidence-custody", "evidence-custody"]
    # A system that read the chain before that hand-over would record "from the store room": refused.
    stale = api.post(url, {**handover, "to_holder": "Следователь"}, headers={"If-Match": read["ETag"]})
    assert stale.status_code == 412 and error_of(stale)["code"] == "stale"
    assert api.get(url).json()["count"] == 2


def test_the_audit_log_of_a_case_is_the_supervisors_and_the_prosecutors(investigator, supervisor, prosecutor, case):
    Api(token=issue(investigator)).get(f"/api/v1/cases/{case.pk}/")
    events = Api(token=issue(prosecutor)).get(f"/api/v1/cases/{case.pk}/audit-events/").json()["results"]
    assert {e["event"] for e in events} >= {EventType.CASE_REGISTERED, EventType.CASE_OPENED}
    assert all(e["case_id"] == case.pk and len(e["hash"]) == 64 for e in events)
    assert Api(token=issue(supervisor)).get(f"/api/v1/cases/{case.pk}/audit-events/").status_code == 200
    assert Api(token=issue(investigator)).get(f"/api/v1/cases/{case.pk}/audit-events/").status_code == 403


def test_a_grave_case_in_a_session_needs_a_fresh_second_factor(investigator, supervisor):
    grave = register(actor=investigator, articles=("99-1",), supervisor=supervisor)
    assert grave.gravity >= 4
    client = verified_client(investigator)
    assert Api(client=client).get(f"/api/v1/cases/{grave.pk}/").status_code == 200
    session = client.session
    session.pop("otp_at")
    session.save()
    for url in (f"/api/v1/cases/{grave.pk}/", f"/api/v1/cases/{grave.pk}/participants/"):
        response = Api(client=client).get(url)
        assert response.status_code == 403 and error_of(response)["code"] == "second_factor_required"


def test_a_browser_session_must_send_the_csrf_token_to_write(investigator, case):
    client = verified_client(investigator)
    client.handler.enforce_csrf_checks = True
    api = Api(client=client)
    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    response = api.patch(
        f"/api/v1/cases/{case.pk}/", {"plot": "Иначе.", "reason": "x"}, headers={"If-Match": f'"v{case.version}"'}
    )
    assert response.status_code == 403 and "CSRF" in error_of(response)["message"]


def test_a_token_request_needs_no_csrf_token(investigator, case):
    client = Client(enforce_csrf_checks=True)
    response = Api(token=issue(investigator), client=client).patch(
        f"/api/v1/cases/{case.pk}/", {"plot": "Иначе.", "reason": "x"}, headers={"If-Match": f'"v{case.version}"'}
    )
    assert response.status_code == 200
