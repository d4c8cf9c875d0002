"""The prosecutor's decisions are their own signed documents (issue #17): a refusal to agree an act, a term
extension, a return for additional investigation and the cancellation of a termination each draw up an
act of the prosecutor's, signed with the prosecutor's own certificate and linked from the decision —
while the prosecutor still has no way to draft or edit an act, and nobody drafts one of those types."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from cases import access
from cases.act_transitions import ActAction, act_actions, transitions_for
from cases.choices import ActKind, ActStatus, CaseAction, CaseStatus, RenderingState
from cases.models import (
    ActTransition,
    CaseStatusChange,
    DeadlineExtension,
    ExtensionDecision,
    ProceduralAct,
    ProceduralActType,
)
from cases.pdf.storage import pdf_read
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create, act_update
from cases.services.case import case_transition
from cases.services.term import deadline_extend, extension_request_draft
from cases.signing.verify import verify_pdf
from ecase.errors import NotAllowed
from tests.api.helpers import Api, issue
from tests.auth import verified_client
from tests.cases.decrees import decree_move
from tests.cases.pdf_text import pdf_text
from tests.cases.signing_helpers import approved_act, certify, render_in_process

DECISION_TYPES = {"agreement_refusal", "term_extension", "additional_investigation_return", "termination_cancellation"}


@pytest.fixture
def certified(signing, investigator, supervisor, prosecutor):
    for user in (investigator, supervisor, prosecutor):
        certify(user)


def assert_signed_by_the_prosecutor(decision: ProceduralAct, prosecutor, code: str) -> bytes:
    """``decision`` is the prosecutor's act of ``code``, decided at once, and the worker signs it with
    their own certificate in the author's field; the verifier reads that from the file alone."""
    assert decision.act_type.code == code and decision.act_type.kind == ActKind.PROSECUTOR_DECISION
    assert decision.author == prosecutor and decision.signed_by == prosecutor
    assert decision.status == ActStatus.APPROVED
    [rendering] = decision.renderings.all()
    assert (rendering.role, rendering.signer, rendering.state) == ("author", prosecutor, RenderingState.QUEUED)
    signed = render_in_process(decision)
    assert signed.status == ActStatus.SIGNED and signed.in_force
    pdf = pdf_read(signed.pdf_sha256)
    verification = verify_pdf(pdf, expected_roles=["author"])
    assert verification.valid, verification.problems
    assert [(s.role, s.signer) for s in verification.signatures] == [("author", prosecutor.get_full_name())]
    return pdf


def test_the_types_are_the_prosecutors_and_their_author_signs_with_prosecute(reference_data):
    types = ProceduralActType.objects.filter(kind=ActKind.PROSECUTOR_DECISION)
    assert set(types.values_list("code", flat=True)) == DECISION_TYPES
    for act_type in types:
        requirement = act_type.requirements.get()
        # Signed by the prosecutor alone; the articles are cited but not yet read in the Code's text.
        assert requirement.shape() == (False, False) and not requirement.needs_sanction
        assert requirement.author_article.startswith("ст. 19") and requirement.needs_verification
        assert requirement.note and requirement.sources
    table = transitions_for(False, False, access.PROSECUTE)
    assert table[(ActStatus.DRAFT, ActAction.SIGN)] == (ActStatus.APPROVED, access.PROSECUTE)
    # No revision and no correction: nobody edits the prosecutor's decision in a form.
    assert {action for _status, action in table} == {ActAction.SIGN, ActAction.SEAL}
    assert transitions_for(False, False)[(ActStatus.DRAFT, ActAction.SIGN)][1] == access.CHANGE


def test_a_refusal_is_the_prosecutors_signed_act_linked_from_the_step(
    certified, case, investigator, supervisor, prosecutor
):
    act = approved_act(case, investigator, supervisor, language="ru")
    refused = act_transition(act_id=act.pk, action=ActAction.REFUSE, actor=prosecutor, reason="Нет доказательств.")
    assert refused.status == ActStatus.REFUSED
    step = ActTransition.objects.get(act=act, action=ActAction.REFUSE)
    decision = step.decision_act
    assert decision is not None and decision.case == case and decision.number == act.number + 1
    assert decision.fields == {"refused_act": f"№{act.number} {act.act_type.name_ru}", "reasons": "Нет доказательств."}
    audit = AuditEvent.objects.filter(case_id=case.pk, event="act.transition", data__action="refuse").get()
    assert audit.data["decision_act"] == decision.pk and audit.actor == prosecutor
    pdf = assert_signed_by_the_prosecutor(decision, prosecutor, "agreement_refusal")
    text = pdf_text(pdf)
    assert "Нет доказательств." in text and "ОТКАЗЕ В СОГЛАСОВАНИИ" in text.upper()
    # The case's acts, the act page and the public verification page show it as any act.
    client = verified_client(investigator)
    assert decision in ProceduralAct.objects.filter(case=case)
    assert client.get(reverse("cases:act", args=[decision.pk])).status_code == 200
    page = client.get(reverse("verify:act", args=[decision.verification_token]))
    assert page.status_code == 200 and prosecutor.get_full_name() in page.content.decode()


def test_a_refusal_without_its_act_type_changes_nothing(certified, case, investigator, supervisor, prosecutor):
    act = approved_act(case, investigator, supervisor)
    ProceduralActType.objects.filter(code="agreement_refusal").update(is_active=False)
    acts_before, events_before = ProceduralAct.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="not configured"):
        act_transition(act_id=act.pk, action=ActAction.REFUSE, actor=prosecutor, reason="Нет доказательств.")
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.AWAITING_AGREEMENT
    assert (ProceduralAct.objects.count(), AuditEvent.objects.count()) == (acts_before, events_before)


def test_the_prosecutors_own_extension_is_signed_and_linked(certified, case, prosecutor):
    before = case.deadline
    extension = deadline_extend(case_id=case.pk, actor=prosecutor, days=30, reason="Экспертиза не окончена.")
    case.refresh_from_db()
    decision = extension.decision_act
    assert DeadlineExtension.objects.get(pk=extension.pk).decision_act == decision
    assert decision.fields == {
        "extension_days": 30,
        "term_expired_on": before.isoformat(),
        "extended_until": case.deadline.isoformat(),
        "reasons": "Экспертиза не окончена.",
    }
    assert_signed_by_the_prosecutor(decision, prosecutor, "term_extension")


def test_agreeing_to_a_request_extends_by_a_signed_decision_naming_it(
    certified, case, investigator, supervisor, prosecutor
):
    request = extension_request_draft(
        case_id=case.pk,
        actor=investigator,
        days=20,
        reasons="Экспертиза",
        planned_actions="Допрос",
        addressee="district_prosecutor",
        language="ru",
        place="Астана",
    )
    act_transition(act_id=request.pk, action=ActAction.SIGN, actor=investigator)
    act_transition(act_id=request.pk, action=ActAction.APPROVE, actor=supervisor)
    act_transition(act_id=request.pk, action=ActAction.AGREE, actor=prosecutor, reason="Обоснованно")
    decision = ExtensionDecision.objects.get(request=request)
    assert decision.granted and decision.extension.decision_act.fields["request_act"].startswith(f"№{request.number} ")
    assert_signed_by_the_prosecutor(decision.extension.decision_act, prosecutor, "term_extension")


@pytest.mark.parametrize(
    "before,action,code",
    [
        (CaseAction.SEND_TO_PROSECUTOR, CaseAction.RETURN, "additional_investigation_return"),
        (CaseAction.TERMINATE, CaseAction.REOPEN, "termination_cancellation"),
    ],
)
def test_a_return_and_a_cancelled_termination_are_signed_acts(
    certified, case, investigator, prosecutor, before, action, code
):
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    decree_move(case, before, investigator)  # a decree in force (issue #18)
    moved = case_transition(case_id=case.pk, action=action, actor=prosecutor, reason="Не допрошен свидетель.")
    assert moved.status == CaseStatus.INVESTIGATING
    audit = AuditEvent.objects.filter(case_id=case.pk, event="case.transition", data__action=action).get()
    decision = ProceduralAct.objects.get(pk=audit.data["decision_act"])
    assert decision.fields == {"reasons": "Не допрошен свидетель."}
    assert_signed_by_the_prosecutor(decision, prosecutor, code)
    # In force once sealed, its effect is the change already made: recorded, not made twice (issue #18).
    [effect] = decision.applied_effects.all()
    assert effect.applied and CaseStatusChange.objects.filter(case=case, action=action).count() == 1


def test_nobody_drafts_or_edits_a_prosecutors_decision(certified, case, investigator, prosecutor):
    extension = deadline_extend(case_id=case.pk, actor=prosecutor, days=10, reason="Экспертиза")
    decision = render_in_process(extension.decision_act)
    refusal_type = ProceduralActType.objects.get(code="agreement_refusal")
    # Not even the investigator drafts one: by the service, the form and the API.
    with pytest.raises(ValidationError):
        act_create(case_id=case.pk, actor=investigator, act_type=refusal_type, language="ru", place="Астана")
    client = verified_client(investigator)
    page = client.get(reverse("cases:act-create", args=[case.pk]))
    assert page.status_code == 200 and f'value="{refusal_type.pk}"' not in page.content.decode()
    response = Api(token=issue(investigator)).post(
        reverse("api:case-acts", args=[case.pk]), {"act_type": "agreement_refusal", "language": "ru", "place": "А"}
    )
    assert response.status_code == 400
    # The prosecutor holds no CHANGE: no draft of theirs, no edit, no correction; the investigator no correction.
    with pytest.raises(NotAllowed):
        act_create(case_id=case.pk, actor=prosecutor, act_type=refusal_type, language="ru", place="Астана")
    with pytest.raises(NotAllowed):
        act_update(act_id=decision.pk, actor=prosecutor, expected_version=decision.version, body="Иначе")
    for user in (prosecutor, investigator):
        assert act_actions(decision, user) == []
        with pytest.raises(ValidationError):
            act_transition(act_id=decision.pk, action=ActAction.SUPERSEDE, actor=user, reason="Исправление")
    assert ProceduralAct.objects.filter(case=case, act_type__kind=ActKind.PROSECUTOR_DECISION).count() == 1
