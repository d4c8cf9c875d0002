"""The term tab: the investigator's extension request (CPC RK art. 192) through approval and signature to
the prosecutor's decision, recorded by the supervisor; interruption and resumption from the tab."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from cases.act_transitions import ActAction
from cases.choices import ActStatus, CaseStatus
from cases.models import Case, DeadlineExtension, ExtensionDecision, ProceduralAct
from cases.services.act_workflow import act_transition
from cases.services.case import case_transition
from tests.auth import verified_client
from tests.cases.signing_helpers import certify, render_in_process

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
def signed_request(requested, investigator, supervisor, signing):
    act_transition(act_id=requested.pk, action=ActAction.SUBMIT, actor=investigator)
    act_transition(act_id=requested.pk, action=ActAction.APPROVE, actor=supervisor)
    certify(supervisor)
    act = render_in_process(requested)
    assert act.status == ActStatus.SIGNED
    return act


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
    # Every required field is filled: it can go straight to approval.
    assert act_transition(act_id=act.pk, action=ActAction.SUBMIT, actor=investigator).status == ActStatus.SUBMITTED


def test_a_second_request_while_one_is_pending_is_refused(requested, case, investigator):
    response = request_extension(verified_client(investigator), case)
    assert response.status_code == 400 and "still pending" in response.content.decode()
    assert ProceduralAct.objects.filter(case=case).count() == 1


def test_no_request_while_the_term_is_interrupted(case, investigator):
    case_transition(case_id=case.pk, action="start", actor=investigator)
    case_transition(
        case_id=case.pk,
        action="interrupt",
        actor=investigator,
        reason="Подозреваемый скрылся",
        ground="п. 2 ч. 7 ст. 45 УПК",
    )
    response = request_extension(verified_client(investigator), case)
    assert response.status_code == 400 and "resume it before" in response.content.decode()
    assert not ProceduralAct.objects.filter(case=case).exists()


def test_the_decision_waits_for_the_signed_request(requested, case, investigator, supervisor):
    act_transition(act_id=requested.pk, action=ActAction.SUBMIT, actor=investigator)
    response = verified_client(supervisor).post(
        reverse("cases:extension-decision", args=[requested.pk]), {"granted": "yes", "days": 30, "reason": "Продлено"}
    )
    assert response.status_code == 400 and "approve it first" in response.content.decode()
    assert not ExtensionDecision.objects.exists() and not DeadlineExtension.objects.exists()


def test_the_signed_request_waits_on_the_dashboard_and_a_grant_extends_the_term(
    signed_request, case, investigator, supervisor, prosecutor
):
    before = Case.objects.get(pk=case.pk).deadline
    decision_url = reverse("cases:extension-decision", args=[signed_request.pk])
    client = verified_client(supervisor)
    assert decision_url in client.get("/").content.decode()
    assert decision_url in client.get(term_tab(case)).content.decode()
    assert "awaiting the prosecutor" in verified_client(investigator).get(term_tab(case)).content.decode()
    form = client.get(decision_url).content.decode()
    assert 'name="days" value="30"' in form  # the days the request asked for

    response = client.post(decision_url, {"granted": "yes", "days": 20, "reason": "Продлить до получения экспертизы"})
    assert response.status_code == 302 and response["Location"] == term_tab(case)
    decision = ExtensionDecision.objects.get()
    assert decision.granted and decision.request == signed_request and decision.decided_by == prosecutor
    assert decision.extension.days == 20 and decision.extension.granted_by == prosecutor
    assert Case.objects.get(pk=case.pk).deadline == before + timedelta(days=20)
    row = decision.history.first()
    assert row.history_user == supervisor and row.history_change_reason == "Продлить до получения экспертизы"
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_extensiondecision WHERE id = %s", [decision.pk])  # never deleted
    assert decision_url not in client.get("/").content.decode()
    assert 'class="pending-request"' not in client.get(term_tab(case)).content.decode()


def test_a_refusal_is_recorded_without_extending_and_needs_its_reasons(signed_request, case, supervisor):
    before = Case.objects.get(pk=case.pk).deadline
    url = reverse("cases:extension-decision", args=[signed_request.pk])
    client = verified_client(supervisor)
    empty = client.post(url, {"granted": "no", "reason": ""})
    assert empty.status_code == 400 and not ExtensionDecision.objects.exists()
    assert client.post(url, {"granted": "no", "reason": "Оснований для продления нет"}).status_code == 302
    decision = ExtensionDecision.objects.get()
    assert not decision.granted and decision.extension is None
    assert Case.objects.get(pk=case.pk).deadline == before and not DeadlineExtension.objects.exists()
    again = client.post(url, {"granted": "yes", "days": 5, "reason": "Повторно"})
    assert again.status_code == 400 and ExtensionDecision.objects.count() == 1
    tab = client.get(term_tab(case)).content.decode()
    assert "Оснований для продления нет" in tab and "refused" in tab


def test_the_prosecutor_sees_the_request_but_no_way_to_write(signed_request, case, prosecutor):
    tab = verified_client(prosecutor).get(term_tab(case), HTTP_HX_REQUEST="true").content.decode()  # the tab alone
    assert 'class="pending-request"' in tab and "<form" not in tab
    assert reverse("cases:extension-decision", args=[signed_request.pk]) not in tab
    assert reverse("cases:extension-request", args=[case.pk]) not in tab


def test_the_term_is_interrupted_and_resumed_from_the_term_tab(case, investigator):
    case_transition(case_id=case.pk, action="start", actor=investigator)
    client = verified_client(investigator)
    tab = client.get(term_tab(case)).content.decode()
    assert 'value="interrupt"' in tab and 'value="resume"' not in tab
    url = reverse("cases:transition", args=[case.pk])
    response = client.post(
        url,
        {
            "action": "interrupt",
            "tab": "term",
            "ground": "п. 2 ч. 7 ст. 45 УПК",
            "reason": "Подозреваемый скрылся",
            "on_date": date.today().isoformat(),
        },
    )
    assert response.status_code == 302 and response["Location"] == term_tab(case)
    interrupted = Case.objects.get(pk=case.pk)
    assert interrupted.status == CaseStatus.INTERRUPTED and interrupted.deadline is None
    tab = client.get(term_tab(case)).content.decode()
    assert 'value="resume"' in tab and "Подозреваемый скрылся" in tab
    assert reverse("cases:extension-request", args=[case.pk]) not in tab  # no term to extend meanwhile
    client.post(url, {"action": "resume", "tab": "term", "reason": "Подозреваемый задержан"})
    resumed = Case.objects.get(pk=case.pk)
    assert resumed.status == CaseStatus.INVESTIGATING and resumed.deadline is not None
    assert resumed.interruptions.get().ended_on == date.today()
