"""The term tab: the investigator's extension request (CPC RK art. 192), signed by its author, approved by
the head of unit and agreed to or refused by the case's prosecutor as themself (issue #17); interruption
and resumption from the tab."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import NoReverseMatch, reverse

from cases.act_transitions import ActAction
from cases.choices import ActStatus, CaseStatus
from cases.models import Case, DeadlineExtension, ExtensionDecision, ProceduralAct, ProceduralActType
from cases.services.act_workflow import act_transition
from cases.services.case import case_transition
from cases.services.term import REQUEST_TYPE
from ecase.errors import NotAllowed
from tests.auth import verified_client
from tests.cases.decrees import decree_move

REQUEST = {
    "days": 30,
    "reasons": "Назначена судебная экспертиза, заключение не получено.",
    "planned_actions": "Получить заключение эксперта, допросить свидетелей.",
    "addressee": "district_prosecutor",
    "language": "ru",
    "place": "г. Астана",
}


def term_tab(case) -> str:
    return f"{reverse('cases:detail', args=[case.pk])}?tab=term"


def request_extension(client, case, **changes):
    return client.post(reverse("cases:extension-request", args=[case.pk]), {**REQUEST, **changes})


@pytest.fixture
def requested(case, investigator):
    request_extension(verified_client(investigator), case)
    return ProceduralAct.objects.get(case=case, act_type__code="term_extension_request")


@pytest.fixture
def awaiting_request(requested, investigator, supervisor):
    """Signed by the investigator and approved by the head of unit: the prosecutor's to decide."""
    act_transition(act_id=requested.pk, action=ActAction.SIGN, actor=investigator)
    act = act_transition(act_id=requested.pk, action=ActAction.APPROVE, actor=supervisor)
    assert act.status == ActStatus.AWAITING_AGREEMENT
    return act


def review_url(act) -> str:
    return reverse("cases:act-review", args=[act.pk])


def test_the_request_is_drafted_as_an_act_prefilled_from_the_case(case, investigator):
    client = verified_client(investigator)
    assert reverse("cases:extension-request", args=[case.pk]) in client.get(term_tab(case)).content.decode()
    response = request_extension(client, case)
    act = ProceduralAct.objects.get(case=case, act_type__code="term_extension_request")
    assert response.status_code == 302 and response["Location"] == reverse("cases:act", args=[act.pk])
    assert act.status == ActStatus.DRAFT and act.author == investigator and act.language == "ru"
    assert act.fields == {
        "current_term_expires_on": case.deadline.isoformat(),
        "extend_until": (case.deadline + timedelta(days=30)).isoformat(),
        "reasons": REQUEST["reasons"],
        "planned_actions": REQUEST["planned_actions"],
        "addressee": "district_prosecutor",
    }
    tab = client.get(term_tab(case)).content.decode()
    assert 'class="pending-request"' in tab and reverse("cases:act", args=[act.pk]) in tab
    # Every required field is filled: its author can sign it, and it goes to the head of unit.
    assert act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator).status == ActStatus.SUBMITTED


def test_a_second_request_while_one_is_pending_is_refused(requested, case, investigator):
    response = request_extension(verified_client(investigator), case)
    assert response.status_code == 400 and "still pending" in response.content.decode()
    assert ProceduralAct.objects.filter(case=case).count() == 1


def test_no_request_while_the_term_is_interrupted(signing, case, investigator):
    case_transition(case_id=case.pk, action="start", actor=investigator)
    decree_move(case, "interrupt", investigator, justification="Подозреваемый скрылся")
    response = request_extension(verified_client(investigator), case)
    assert response.status_code == 400 and "resume it before" in response.content.decode()
    assert not ProceduralAct.objects.filter(case=case, act_type__code=REQUEST_TYPE).exists()


def test_the_prosecutor_decides_only_once_the_head_of_unit_approved(requested, case, investigator, prosecutor):
    act_transition(act_id=requested.pk, action=ActAction.SIGN, actor=investigator)
    with pytest.raises(ValidationError):
        act_transition(act_id=requested.pk, action=ActAction.AGREE, actor=prosecutor)
    assert not ExtensionDecision.objects.exists() and not DeadlineExtension.objects.exists()
    # The head of unit no longer records the prosecutor's decision: that page is gone.
    with pytest.raises(NoReverseMatch):
        reverse("cases:extension-decision", args=[requested.pk])


def test_the_request_waits_for_the_prosecutor_and_their_agreement_extends_the_term(
    awaiting_request, case, investigator, supervisor, prosecutor
):
    before = Case.objects.get(pk=case.pk).deadline
    client = verified_client(prosecutor, reauthenticated=True)
    assert review_url(awaiting_request) in client.get("/").content.decode()  # the agreement queue
    assert review_url(awaiting_request) in client.get(term_tab(case)).content.decode()
    assert "Awaiting the prosecutor" in verified_client(investigator).get(term_tab(case)).content.decode()
    assert review_url(awaiting_request) not in verified_client(supervisor).get(term_tab(case)).content.decode()

    response = client.post(review_url(awaiting_request), {"action": "agree"})
    assert response.status_code == 302
    act = ProceduralAct.objects.get(pk=awaiting_request.pk)
    assert (act.status, act.agreed_by) == (ActStatus.APPROVED, prosecutor)
    decision = ExtensionDecision.objects.get()
    assert decision.granted and decision.request == awaiting_request
    assert decision.decided_by == decision.entered_by == prosecutor
    assert decision.extension.days == 30 and decision.extension.granted_by == prosecutor  # the days asked for
    assert Case.objects.get(pk=case.pk).deadline == before + timedelta(days=30)
    assert decision.history.first().history_user == prosecutor
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_extensiondecision WHERE id = %s", [decision.pk])  # never deleted
    assert review_url(awaiting_request) not in client.get("/").content.decode()
    assert 'class="pending-request"' not in client.get(term_tab(case)).content.decode()


def test_a_refusal_needs_its_reasons_and_extends_nothing(awaiting_request, case, prosecutor):
    before = Case.objects.get(pk=case.pk).deadline
    client = verified_client(prosecutor, reauthenticated=True)
    empty = client.post(review_url(awaiting_request), {"action": "refuse", "reason": ""})
    assert empty.status_code == 400 and not ExtensionDecision.objects.exists()
    refused = client.post(review_url(awaiting_request), {"action": "refuse", "reason": "Оснований для продления нет"})
    assert refused.status_code == 302
    decision = ExtensionDecision.objects.get()
    assert not decision.granted and decision.extension is None and decision.decided_by == prosecutor
    assert Case.objects.get(pk=case.pk).deadline == before and not DeadlineExtension.objects.exists()
    assert ProceduralAct.objects.get(pk=awaiting_request.pk).status == ActStatus.REFUSED
    with pytest.raises(ValidationError):  # decided: a second decision on the same request is refused
        act_transition(act_id=awaiting_request.pk, action=ActAction.AGREE, actor=prosecutor)
    assert ExtensionDecision.objects.count() == 1
    tab = client.get(term_tab(case)).content.decode()
    assert "Оснований для продления нет" in tab and "refused" in tab


def test_the_head_of_unit_cannot_decide_for_the_prosecutor(awaiting_request, supervisor):
    for action in (ActAction.AGREE, ActAction.REFUSE):
        with pytest.raises(NotAllowed):
            act_transition(act_id=awaiting_request.pk, action=action, actor=supervisor, reason="За прокурора")
    assert not ExtensionDecision.objects.exists()


def test_the_prosecutor_decides_but_writes_nothing_else_in_the_tab(awaiting_request, case, prosecutor):
    tab = verified_client(prosecutor).get(term_tab(case), HTTP_HX_REQUEST="true").content.decode()  # the tab alone
    assert 'class="pending-request"' in tab and "<form" not in tab
    assert review_url(awaiting_request) in tab  # the decision is taken on the review page
    assert reverse("cases:extension-request", args=[case.pk]) not in tab


def test_the_term_tab_leads_to_drafting_the_interruption_and_the_resumption(signing, case, investigator):
    """The term is interrupted and resumed by decrees in force (issue #18): the tab links their drafting,
    and no longer takes the step itself."""
    case_transition(case_id=case.pk, action="start", actor=investigator)
    client = verified_client(investigator)
    interruption, resumption = (
        ProceduralActType.objects.get(code=code) for code in ("term_interruption", "term_resumption")
    )
    tab = client.get(term_tab(case)).content.decode()
    assert f"?act_type={interruption.pk}" in tab and f"?act_type={resumption.pk}" not in tab
    assert 'value="interrupt"' not in tab
    decree_move(case, "interrupt", investigator, justification="Подозреваемый скрылся")
    interrupted = Case.objects.get(pk=case.pk)
    assert interrupted.status == CaseStatus.INTERRUPTED and interrupted.deadline is None
    tab = client.get(term_tab(case)).content.decode()
    assert f"?act_type={resumption.pk}" in tab and "Подозреваемый скрылся" in tab
    assert reverse("cases:extension-request", args=[case.pk]) not in tab  # no term to extend meanwhile
    decree_move(case, "resume", investigator, resumed_from=date.today().isoformat())
    resumed = Case.objects.get(pk=case.pk)
    assert resumed.status == CaseStatus.INVESTIGATING and resumed.deadline is not None
    assert resumed.interruptions.get().ended_on == date.today()
