"""Idempotency-Key on API writes (issue #20, accounts/idempotency.py): a retried write learns its outcome
and writes nothing more; a reused key is refused; concurrent duplicates write once; a replay re-checks access."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.idempotency import purge_expired
from accounts.models import IdempotentRequest
from audit.choices import EventType
from audit.models import AuditEvent
from cases.models import ProceduralAct, ProceduralActType
from cases.services.case import case_assign
from tests.api.helpers import Api, error_of, issue

BODY = {"act_type": "idem_note", "language": "ru", "place": "Астана"}


@pytest.fixture
def note_type(db):
    return ProceduralActType.objects.create(code="idem_note", name_ru="Справка", name_kk="Анықтама", kind="other")


def acts_url(case):
    return f"/api/v1/cases/{case.pk}/acts/"


def test_a_write_whose_answer_was_lost_is_replayed_not_repeated(investigator, case, note_type):
    api = Api(token=issue(investigator))
    first = api.post(acts_url(case), BODY, headers={"Idempotency-Key": "draft-1"})
    assert first.status_code == 201, first.content
    again = api.post(acts_url(case), BODY, headers={"Idempotency-Key": "draft-1"})
    assert again.status_code == 201 and again.content == first.content
    assert again["ETag"] == first["ETag"] and again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert ProceduralAct.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(event=EventType.ACT_CREATED, case_id=case.pk).count() == 1
    record = IdempotentRequest.objects.get()
    assert (record.status, record.case_id, record.method) == (201, case.pk, "POST")


def test_another_key_writes_again(investigator, case, note_type):
    api = Api(token=issue(investigator))
    for key in ("a", "b"):
        assert api.post(acts_url(case), BODY, headers={"Idempotency-Key": key}).status_code == 201
    assert ProceduralAct.objects.filter(case=case).count() == 2


def test_the_same_key_with_another_body_is_422(investigator, case, note_type):
    api = Api(token=issue(investigator))
    assert api.post(acts_url(case), BODY, headers={"Idempotency-Key": "k"}).status_code == 201
    response = api.post(acts_url(case), {**BODY, "place": "Тараз"}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 422 and error_of(response)["code"] == "idempotency_key_reused"
    assert ProceduralAct.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("key", ["", "x" * 129, "ключ", "tab\there"])
def test_a_malformed_key_is_400_and_writes_nothing(investigator, case, note_type, key):
    response = Api(token=issue(investigator)).post(acts_url(case), BODY, headers={"Idempotency-Key": key})
    assert response.status_code == 400 and "Idempotency-Key" in error_of(response)["fields"]
    assert not ProceduralAct.objects.filter(case=case).exists() and not IdempotentRequest.objects.exists()


def test_a_refused_write_keeps_no_record_so_the_retry_runs(investigator, case, note_type):
    api = Api(token=issue(investigator))
    refused = api.post(acts_url(case), {**BODY, "language": "xx"}, headers={"Idempotency-Key": "k"})
    assert refused.status_code == 400 and not IdempotentRequest.objects.exists()


def test_keys_belong_to_their_principal(investigator, case, note_type):
    first = Api(token=issue(investigator)).post(acts_url(case), BODY, headers={"Idempotency-Key": "k"})
    other = Api(token=issue(investigator, name="another system")).post(
        acts_url(case), BODY, headers={"Idempotency-Key": "k"}
    )
    assert first.status_code == other.status_code == 201 and not other.has_header("Idempotent-Replayed")
    assert ProceduralAct.objects.filter(case=case).count() == 2


def test_a_replay_after_losing_the_case_is_404(investigator, colleague, supervisor, case, note_type):
    api = Api(token=issue(investigator))
    assert api.post(acts_url(case), BODY, headers={"Idempotency-Key": "k"}).status_code == 201
    case_assign(case_id=case.pk, actor=supervisor, lead_investigator=colleague, reason="передано другому")
    response = api.post(acts_url(case), BODY, headers={"Idempotency-Key": "k"})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert not response.has_header("Idempotent-Replayed")
    assert ProceduralAct.objects.filter(case=case).count() == 1


def test_expired_records_are_purged_and_the_key_is_free_again(investigator, case, note_type):
    api = Api(token=issue(investigator))
    assert api.post(acts_url(case), BODY, headers={"Idempotency-Key": "k"}).status_code == 201
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1 and not IdempotentRequest.objects.exists()
    assert ProceduralAct.objects.filter(case=case).count() == 1  # the write itself stays


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_write_once(investigator, case, note_type):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, there is no concurrent insert")
    token = issue(investigator)
    barrier, answers = threading.Barrier(2), []

    def send():
        try:
            barrier.wait()
            answers.append(Api(token=token).post(acts_url(case), BODY, headers={"Idempotency-Key": "same"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in answers) == [201, 201]
    assert answers[0].content == answers[1].content
    assert sorted(r.has_header("Idempotent-Replayed") for r in answers) == [False, True]
    assert ProceduralAct.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(event=EventType.ACT_CREATED, case_id=case.pk).count() == 1


def test_a_session_patch_retried_with_its_key_replays_instead_of_412(investigator, case):
    api = Api(session=investigator)
    change = {"plot": "Уточнённая фабула.", "reason": "Допрос"}
    etag, histories = api.get(f"/api/v1/cases/{case.pk}/")["ETag"], case.history.count()
    headers = {"If-Match": etag, "Idempotency-Key": "plot-1"}
    first = api.patch(f"/api/v1/cases/{case.pk}/", change, headers=headers)
    assert first.status_code == 200, first.content
    again = api.patch(f"/api/v1/cases/{case.pk}/", change, headers=headers)
    assert again.status_code == 200 and again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotentRequest.objects.get().principal == f"user:{investigator.pk}"
    case.refresh_from_db()
    assert f'"v{case.version}"' == first["ETag"] and case.history.count() == histories + 1  # changed once
    # Without the key the same retry is refused as stale: the client could not tell it had been saved.
    assert api.patch(f"/api/v1/cases/{case.pk}/", change, headers={"If-Match": etag}).status_code == 412
