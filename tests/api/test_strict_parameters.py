"""Malformed paging parameters are 400 in the documented error shape, never a quiet default (issue #20)."""

import pytest

from tests.api.helpers import Api, error_of, issue
from tests.factories import register

MALFORMED = ["abc", "-5", "0", "-3.8e-47", "1.5", "", " 2", "²", "٣"]


@pytest.fixture
def api(investigator, prosecutor):
    register(actor=investigator, prosecutor=prosecutor)
    return Api(token=issue(investigator))


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_paging_parameter_is_400_naming_it(api, name, value):
    response = api.get("/api/v1/cases/", **{name: value})
    assert response.status_code == 400, (name, value, response.content[:200])
    error = error_of(response)
    assert error["code"] == "invalid" and list(error["fields"]) == [name]


def test_well_formed_paging_still_answers(api):
    assert api.get("/api/v1/cases/", page="1", page_size="1").status_code == 200
    assert len(api.get("/api/v1/cases/", page_size="1000").json()["results"]) == 1  # capped at 100, not refused


def test_schema_says_paging_starts_at_one(api):
    schema = Api().get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert parameters["page"]["schema"]["minimum"] == 1 and parameters["page_size"]["schema"]["minimum"] == 1
