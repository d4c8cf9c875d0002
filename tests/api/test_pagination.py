"""Every list of the API is paged, and the schema says so: no operation answers a bare array."""

import io
import re

import pytest
from django.test import Client

from cases.choices import ParticipantRole
from cases.models import ProceduralActType
from cases.services.acts import act_create
from cases.services.participants import participant_add
from evidence.services import evidence_add, evidence_file_add, evidence_transfer
from tests.api.helpers import Api, error_of, issue
from tests.evidence.helpers import png_bytes
from tests.factories import person_data, register


def schema_ref(operation) -> dict:
    return operation["responses"]["200"]["content"].get("application/json", {}).get("schema", {})


def test_no_operation_answers_a_bare_array():
    schema = Client().get("/api/schema/").json()
    components = schema["components"]["schemas"]
    lists = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method != "get" or "200" not in operation["responses"]:
                continue
            body = schema_ref(operation)
            assert body.get("type") != "array", path
            shape = components[body["$ref"].rsplit("/", 1)[1]] if "$ref" in body else {}
            if "results" in shape.get("properties", {}):
                assert {"count", "next", "previous"} <= set(shape["properties"]), path
                assert {p["name"] for p in operation["parameters"]} >= {"page", "page_size"}, path
                lists.append(path)
    assert sorted(lists) == sorted(re.sub(r"\{\w+\}", "{id}", path) for path in LISTS)


LISTS = [
    "/api/v1/cases/",
    "/api/v1/cases/{case}/participants/",
    "/api/v1/cases/{case}/acts/",
    "/api/v1/cases/{case}/evidence/",
    "/api/v1/cases/{case}/audit-events/",
    "/api/v1/persons/",
    "/api/v1/evidence/{item}/files/",
    "/api/v1/evidence/{item}/custody/",
]


@pytest.fixture
def two_of_everything(investigator, prosecutor):
    note = ProceduralActType.objects.create(code="page_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    case = register(actor=investigator, prosecutor=prosecutor)
    register(actor=investigator, prosecutor=prosecutor)
    for _ in range(2):
        participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data())
        act_create(case_id=case.pk, actor=investigator, act_type=note, language="ru", place="Астана")
        item = evidence_add(
            case_id=case.pk,
            actor=investigator,
            kind="physical",
            description="Нож",
            seized_at=case.registered_at,
            seized_place="Астана",
        )
    for shade in range(2):
        evidence_file_add(
            item_id=item.pk, actor=investigator, stream=io.BytesIO(png_bytes(shade=shade)), name="photo.png"
        )
        evidence_transfer(
            item_id=item.pk, actor=investigator, to_holder=f"Камера {shade}", to_location="Склад", reason="На хранение"
        )
    return {"case": case.pk, "item": item.pk}


@pytest.mark.parametrize("path", LISTS)
def test_every_list_pages(prosecutor, two_of_everything, path):
    api = Api(token=issue(prosecutor))  # the prosecutor reads every list, the audit log included
    url = path.format(**two_of_everything)
    first = api.get(url, page_size=1).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] >= 2 and len(first["results"]) == 1 and "page=2" in first["next"]
    assert first["previous"] is None
    second = api.get(url, page_size=1, page=2).json()
    assert second["results"] != first["results"] and second["previous"]
    assert len(api.get(url, page_size=1000).json()["results"]) == min(first["count"], 100)  # capped, not refused
    beyond = api.get(url, page=999)
    assert beyond.status_code == 404 and error_of(beyond)["code"] == "not_found"
