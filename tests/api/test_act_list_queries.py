"""The API's act list costs the same number of queries for N acts as for 2N (issue #17's fields)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.act_transitions import ActAction
from cases.models import ProceduralActType
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from tests.api.helpers import PDF, Api, issue
from tests.cases.sanctions import judge_decides
from tests.factories import author_only_requirement, register

pytestmark = pytest.mark.django_db


def _type(code: str, **steps) -> ProceduralActType:
    act_type = ProceduralActType.objects.create(code=code, name_ru="Справка", name_kk="Анықтама", kind="other")
    author_only_requirement(act_type, **steps)
    return act_type


def _add_acts(case, investigator, supervisor, prosecutor, n: int) -> None:
    """``n`` acts in each state the list shows: a draft, one awaiting agreement, a sealed one with its
    judge's decision, and a prosecutor's signed refusal (every field of the serializer has rows to read)."""
    from cases.pdf.storage import pdf_store
    from cases.services.act_workflow import act_seal
    from cases.system_actor import system_actor

    kinds = {
        "draft": ProceduralActType.objects.get(code="qc_draft"),
        "agreed": ProceduralActType.objects.get(code="qc_agreed"),
        "sanctioned": ProceduralActType.objects.get(code="qc_sanctioned"),
    }
    for _ in range(n):
        act_create(case_id=case.pk, actor=investigator, act_type=kinds["draft"], language="ru", place="Астана")
        agreed = act_create(case_id=case.pk, actor=investigator, act_type=kinds["agreed"], language="ru", place="А")
        act_transition(act_id=agreed.pk, action=ActAction.SIGN, actor=investigator)
        act_transition(act_id=agreed.pk, action=ActAction.APPROVE, actor=supervisor)
        # The refusal draws up, and signs, the prosecutor's own act: two acts more per round.
        act_transition(act_id=agreed.pk, action=ActAction.REFUSE, actor=prosecutor, reason="Не согласен")
        sanctioned = act_create(
            case_id=case.pk, actor=investigator, act_type=kinds["sanctioned"], language="ru", place="А"
        )
        act_transition(act_id=sanctioned.pk, action=ActAction.SIGN, actor=investigator)
        act_seal(act_id=sanctioned.pk, pdf_sha256=pdf_store(PDF), system_actor=system_actor())
        judge_decides(sanctioned, investigator)


def test_the_act_list_query_count_is_constant_in_the_number_of_acts(
    settings, tmp_path, investigator, supervisor, prosecutor
):
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    _type("qc_draft")
    _type("qc_agreed", approval_article="test", agreement_article="test", agreement_hours=24)
    _type("qc_sanctioned", sanction_article="test")
    case = register(actor=investigator, prosecutor=prosecutor, supervisor=supervisor)
    api = Api(token=issue(investigator))
    url = reverse("api:case-acts", args=[case.pk])

    def count() -> tuple[int, int]:
        api.get(url)  # per-process caches (content types, permission ids) are not per act
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url, page_size=100)
        assert response.status_code == 200, response.content
        return len(response.json()["results"]), len(captured)

    _add_acts(case, investigator, supervisor, prosecutor, 2)
    shown, few = count()
    _add_acts(case, investigator, supervisor, prosecutor, 2)
    shown_twice, many = count()
    assert shown_twice == 2 * shown == 16
    assert many == few, f"{few} queries for {shown} acts, {many} for {shown_twice}"
