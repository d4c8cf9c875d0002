"""The pages on the embedded default (issue #13 item 2): SQLite, no Redis, a folder broker.

`make test` runs this file in its own pytest invocation with DATABASE_URL and REDIS_URL unset,
together with tests/test_access_sweep.py (every route × every role on an own and a foreign case),
tests/test_export.py and tests/cases/test_search_folding.py (SQLITE_TESTS in the Makefile). Here:
a case with more history than one page, its history pages and its export, for every role.
The tests hold on PostgreSQL too and run there in the main invocation.
"""

from __future__ import annotations

import json
import os
import zipfile

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from cases.choices import ParticipantRole
from cases.export import verify_export
from cases.services.case import case_update
from cases.services.participants import participant_add, person_update
from cases.timeline import CaseTimeline
from cases.views.history import PAGE_SIZE
from tests.auth import verified_client
from tests.factories import person_data

EDITS = PAGE_SIZE // 2 + 5  # each writes a history row and an audit event: more than one page


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    settings.ECASE_EXPORT_SIGNING_DIR = tmp_path / "export_signing"


@pytest.fixture
def busy_case(case, investigator):
    victim = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data(last_name="Ёлкин")
    )
    person_update(person_id=victim.person_id, actor=investigator, reason="Опечатка в фамилии", last_name="Қасымов")
    for n in range(EDITS):
        case = case_update(
            case_id=case.pk,
            actor=investigator,
            expected_version=case.version,
            reason=f"Уточнение фабулы {n}",
            plot=f"Тайно похитил телефон из сумки потерпевшей ({n}).",
        )
    case_update(
        case_id=case.pk,
        actor=investigator,
        expected_version=case.version,
        reason="Последнее уточнение",
        plot="Тайно похитил два телефона из сумки потерпевшей.",
    )
    return case


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL is set: this is the PostgreSQL run")
def test_the_selection_runs_on_the_embedded_default():
    assert connection.vendor == "sqlite"
    assert django_settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert django_settings.CELERY_BROKER_URL == "filesystem://"


def test_the_timeline_spans_several_pages(busy_case):
    timeline = CaseTimeline(busy_case, include_access=True)
    assert len(timeline) > PAGE_SIZE
    newest, older = timeline[0:PAGE_SIZE], timeline[PAGE_SIZE : 2 * PAGE_SIZE]
    assert newest and older and newest[0].when >= older[0].when
    assert "Последнее уточнение" in [e.why for e in newest[:2]]
    assert "Participant added" in [e.why for e in timeline[PAGE_SIZE:]]


@pytest.mark.parametrize(
    "role,status",
    [
        ("investigator", 200),
        ("supervisor", 200),
        ("prosecutor", 200),
        ("colleague", 404),
        ("outsider", 404),
        ("admin", 404),
    ],
)
def test_every_role_gets_the_history_pages_the_policy_gives(busy_case, request, role, status):
    client = verified_client(request.getfixturevalue(role))
    url = reverse("cases:history", args=[busy_case.pk])
    for page in ("1", "2"):
        response = client.get(url, {"page": page})
        assert response.status_code == status, (page, response.status_code)
    if status == 200:
        first = client.get(url).content.decode()
        assert "Последнее уточнение" in first and "два телефона" in first


def test_the_anonymous_visitor_is_sent_to_sign_in(busy_case, client):
    response = client.get(reverse("cases:history", args=[busy_case.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "role,status",
    [
        ("investigator", 200),
        ("supervisor", 200),
        ("prosecutor", 200),
        ("colleague", 404),
        ("outsider", 404),
        ("admin", 404),
    ],
)
def test_every_role_gets_the_export_the_policy_gives(busy_case, request, role, status, tmp_path):
    response = verified_client(request.getfixturevalue(role)).post(reverse("cases:export", args=[busy_case.pk]))
    assert response.status_code == status
    if status != 200:
        return
    path = tmp_path / "case.zip"
    path.write_bytes(b"".join(response.streaming_content))
    check = verify_export(path)
    assert check.valid, check.problems
    history = json.loads(zipfile.ZipFile(path).read("history/history.json"))
    text = json.dumps(history, ensure_ascii=False)
    assert "Последнее уточнение" in text and "Уточнение фабулы 0" in text


def test_the_case_list_finds_the_corrected_name_in_lower_case(busy_case, investigator):
    page = verified_client(investigator).get(reverse("cases:list"), {"q": "қасымов"}).content.decode()
    assert busy_case.registration_number in page
    empty = verified_client(investigator).get(reverse("cases:list"), {"q": "ёлкин"}).content.decode()
    assert busy_case.registration_number not in empty
