"""The API against its own OpenAPI schema: schemathesis generates requests for every operation.

The schema is loaded from the app itself (WSGI, no network) and every operation is called with
a bounded number of generated examples, valid ones and invalid ones, as an investigator who has
data. Path ids are half the time replaced by ids that exist (own and foreign objects), and
If-Match half the time by the current ETag, so the successful paths are exercised too.
Asserted: no 5xx; every response conforms to the schema (status code documented, content type,
headers, body); and a request the schema calls invalid is refused (4xx). (Refusal without
credentials is the API sweep's: every route, anonymous, 401.) Each call runs in a transaction
that is rolled back, so the data stays put.
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.choices import ParticipantRole
from cases.models import Case, ProceduralAct, ProceduralActType
from cases.services.acts import act_create
from cases.services.participants import participant_add
from evidence.api import chain_length
from evidence.services import evidence_add, evidence_file_add, evidence_transfer
from tests.api.helpers import issue, signed_act
from tests.evidence.helpers import png_bytes
from tests.factories import person_data, register

# Per operation: ~30 s in all on 2 idle cores. ECASE_SCHEMATHESIS_SCALE multiplies them: CI's long run
# (make schemathesis-10x, issue #20) sets 10, some 7,000 calls.
SCALE = int(os.environ.get("ECASE_SCHEMATHESIS_SCALE", "1") or 1)
EXAMPLES = {GenerationMode.POSITIVE: 25 * SCALE, GenerationMode.NEGATIVE: 10 * SCALE}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# negative_data_rejection is added for a case only while the parts it made invalid are still as
# generated: the test replaces the Authorization header always, and a path id or If-Match at times.
# 412 counts as a refusal too: If-Match is checked before the body, so a stale one answers first.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429"]


@pytest.fixture
def data(settings, investigator, supervisor, prosecutor, outsider):
    """An investigator's case with a bit of everything, and a case of another region."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "100000/min", "api_user": "100000/min", "api_anon": "100000/min"},
    }
    note = ProceduralActType.objects.create(code="fuzz_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    own, foreign = register(actor=investigator, prosecutor=prosecutor), register(actor=outsider)
    people = [
        participant_add(case_id=c.pk, actor=a, role=ParticipantRole.WITNESS, person_data=person_data())
        for c, a in ((own, investigator), (own, investigator), (foreign, outsider))
    ]
    acts = [
        act_create(case_id=own.pk, actor=investigator, act_type=note, language="ru", place="Астана"),
        signed_act(own, investigator, note),
        act_create(case_id=foreign.pk, actor=outsider, act_type=note, language="ru", place="Тараз"),
    ]
    items = [
        evidence_add(
            case_id=c.pk, actor=a, kind="physical", description="Нож", seized_at=c.registered_at, seized_place="Астана"
        )
        for c, a in ((own, investigator), (foreign, outsider))
    ]
    evidence_transfer(
        item_id=items[0].pk,
        actor=investigator,
        to_holder="Камера хранения",
        to_location="Камера №1",
        reason="На хранение",
    )
    files = [
        evidence_file_add(item_id=i.pk, actor=a, stream=io.BytesIO(png_bytes(shade=n)), name="photo.png")
        for n, (i, a) in enumerate(((items[0], investigator), (items[1], outsider)))
    ]
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
    """The current ETag of the object the path names: a case's or an act's version, a custody chain's length."""
    if not isinstance(pk, int):
        return '"v1"'
    if path.startswith("/api/v1/evidence/"):
        return f'"v{chain_length(pk)}"'
    model = Case if path.startswith("/api/v1/cases/") else ProceduralAct
    version = model.objects.filter(pk=pk).values_list("version", flat=True).first()
    return f'"v{version}"' if version else '"v1"'


def _run(operation, mode: GenerationMode, data: dict, stats: Counter, failures: list) -> None:
    known = next((ids for prefix, ids in data["ids"].items() if operation.path.startswith(prefix)), None)
    auth = {"Authorization": f"Bearer {data['token']}"}
    if_match = any(p.name == "If-Match" for p in operation.headers)

    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def test(draw):
        case = draw.draw(operation.as_strategy(generation_mode=mode))
        replaced = {ParameterLocation.HEADER}  # Authorization: the token's, whatever was generated
        if known and "id" in (case.path_parameters or {}) and draw.draw(st.booleans()):
            case.path_parameters = {**case.path_parameters, "id": draw.draw(st.sampled_from(known))}
            replaced.add(ParameterLocation.PATH)
        if if_match and draw.draw(st.booleans()):
            case.headers = {**(case.headers or {}), "If-Match": _etag(operation.path, case.path_parameters.get("id"))}
        invalid = {location for location in ParameterLocation if case.meta.is_negative_at(location)}
        checks = CHECKS + ([negative_data_rejection] if invalid and not invalid & replaced else [])
        stats["negative checked"] += checks != CHECKS
        with transaction.atomic():
            response = case.call(headers=auth)
            transaction.set_rollback(True)
        stats[f"{response.status_code // 100}xx"] += 1
        stats["calls"] += 1
        try:
            case.validate_response(response, checks=checks, headers=auth)
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
    schema.config.checks.negative_data_rejection.expected_statuses = REJECTED
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 21
    stats, failures, started = Counter(), [], time.monotonic()
    for operation in operations:
        for mode in EXAMPLES:
            _run(operation, mode, data, stats, failures)
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nschemathesis ({SCALE}x): {len(operations)} operations, {stats['calls']} calls in {elapsed:.1f} s; "
            f"{', '.join(f'{k} {v}' for k, v in sorted(stats.items()) if k != 'calls')}"
        )
    assert not failures, "\n\n".join(failures[:10])
    assert stats["5xx"] == 0 and stats["2xx"] > len(operations)  # the successful paths were reached too
