"""The API against its own OpenAPI schema: schemathesis generates requests for every operation.

The schema is loaded from the app itself (WSGI, no network) and every operation is called with
a bounded number of generated examples, valid ones and invalid ones, as an investigator who has
data. Path ids are half the time replaced by ids that exist (own and foreign objects), and
If-Match half the time by the current ETag, so the successful paths are exercised too.
Asserted: no 5xx, and every response conforms to the schema (status code, content type,
headers, body). Each call runs in a transaction that is rolled back, so the data stays put.
"""
from __future__ import annotations

import io
import time
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.choices import ParticipantRole
from cases.models import Case, ProceduralAct, ProceduralActType
from cases.services.acts import act_create
from cases.services.participants import participant_add
from evidence.services import evidence_add, evidence_file_add, evidence_transfer
from tests.api.helpers import issue, signed_act
from tests.evidence.helpers import png_bytes
from tests.factories import person_data, register

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}  # per operation: ~30 s on 2 cores
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def data(settings, investigator, supervisor, prosecutor, outsider):
    """An investigator's case with a bit of everything, and a case of another region."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "api_token": "100000/min", "api_user": "100000/min", "api_anon": "100000/min"}}
    note = ProceduralActType.objects.create(code="fuzz_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    own, foreign = register(actor=investigator, prosecutor=prosecutor), register(actor=outsider)
    people = [participant_add(case_id=c.pk, actor=a, role=ParticipantRole.WITNESS, person_data=person_data())
              for c, a in ((own, investigator), (own, investigator), (foreign, outsider))]
    acts = [act_create(case_id=own.pk, actor=investigator, act_type=note, language="ru", place="Астана"),
            signed_act(own, investigator, supervisor, note),
            act_create(case_id=foreign.pk, actor=outsider, act_type=note, language="ru", place="Тараз")]
    items = [evidence_add(case_id=c.pk, actor=a, kind="physical", description="Нож", seized_at=c.registered_at,
                          seized_place="Астана") for c, a in ((own, investigator), (foreign, outsider))]
    evidence_transfer(item_id=items[0].pk, actor=investigator, to_holder="Камера хранения", to_location="Камера №1",
                      reason="На хранение")
    files = [evidence_file_add(item_id=i.pk, actor=a, stream=io.BytesIO(png_bytes(shade=n)), name="photo.png")
             for n, (i, a) in enumerate(((items[0], investigator), (items[1], outsider)))]
    return {
        "token": issue(investigator),
        "ids": {
            "/api/v1/cases/": [own.pk, foreign.pk],
            "/api/v1/participants/": [p.pk for p in people],
            "/api/v1/persons/": [p.person_id for p in people],
            "/api/v1/acts/": [a.pk for a in acts],
            "/api/v1/evidence/": [i.pk for i in items],
            "/api/v1/files/": [f.pk for f in files],
        },
    }


def _etag(path: str, pk) -> str:
    model = Case if path.startswith("/api/v1/cases/") else ProceduralAct
    version = model.objects.filter(pk=pk).values_list("version", flat=True).first() if isinstance(pk, int) else None
    return f'"v{version}"' if version else '"v1"'


def _run(operation, mode: GenerationMode, data: dict, stats: Counter, failures: list) -> None:
    known = next((ids for prefix, ids in data["ids"].items() if operation.path.startswith(prefix)), None)
    auth = {"Authorization": f"Bearer {data['token']}"}

    @hypothesis_settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=True,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.data())
    def test(draw):
        case = draw.draw(operation.as_strategy(generation_mode=mode))
        if known and "id" in (case.path_parameters or {}) and draw.draw(st.booleans()):
            case.path_parameters = {**case.path_parameters, "id": draw.draw(st.sampled_from(known))}
        if operation.method.upper() == "PATCH" and draw.draw(st.booleans()):
            case.headers = {**(case.headers or {}), "If-Match": _etag(operation.path, case.path_parameters.get("id"))}
        with transaction.atomic():
            response = case.call(headers=auth)
            transaction.set_rollback(True)
        stats[f"{response.status_code // 100}xx"] += 1
        stats["calls"] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=auth)
        except FailureGroup as failure:  # collected, for one report over all operations
            failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {failure}"[:2000])
            raise

    try:
        test()
    except FailureGroup:
        pass  # recorded above (after Hypothesis' shrinking); the run goes on to the next operation


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, minus the per-request closing of the database connection
    (it would end the test's transaction; Django's own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_conforms_to_the_schema_and_never_fails_on_the_server(data, wsgi_app, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 21
    stats, failures, started = Counter(), [], time.monotonic()
    for operation in operations:
        for mode in EXAMPLES:
            _run(operation, mode, data, stats, failures)
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nschemathesis: {len(operations)} operations, {stats['calls']} calls in {elapsed:.1f} s; "
              f"{', '.join(f'{k} {v}' for k, v in sorted(stats.items()) if k != 'calls')}")
    assert not failures, "\n\n".join(failures[:10])
    assert stats["5xx"] == 0 and stats["2xx"] > len(operations)  # the successful paths were reached too
