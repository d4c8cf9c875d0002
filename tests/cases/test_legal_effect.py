"""Decisions with legal effect (issue #17): the law's requirements drive the workflow, the prosecutor
agrees or refuses in the system, each step signs the one PDF, and an act is in force only when the
law says so."""

import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from audit.models import AuditEvent
from cases.act_transitions import ActAction, act_actions, transitions_for
from cases.choices import ActStatus, RenderingState
from cases.models import (
    ActRendering,
    ActRequirement,
    ActTransition,
    DeadlineExtension,
    ExtensionDecision,
    ProceduralAct,
    ProceduralActType,
)
from cases.pdf.storage import pdf_read
from cases.reference_data import read
from cases.services.act_workflow import act_transition
from cases.services.term import deadline_extend
from cases.signing.trust import trust_roots
from cases.tasks import render_act
from ecase.errors import NotAllowed, OutOfScope
from ecase.history import save_attributed
from tests.auth import verified_client
from tests.cases.sanctions import judge_decides
from tests.cases.signing_helpers import author_signed_act, certify, drafted_act, render_in_process
from tests.evidence.helpers import pdf_bytes

# --- the requirements table ------------------------------------------------------------------------


def test_every_act_type_states_its_requirements_with_the_article_for_each_step(reference_data):
    shipped = read("act_types.json")
    assert len(shipped) == ProceduralActType.objects.count()
    for row in shipped:
        assert row["requirements"], f"{row['code']} has no requirements"
        for version in row["requirements"]:
            assert version["author_article"].strip(), f"{row['code']}: who signs is not cited"
            if version["agreement_article"]:
                assert version["agreement_hours"] > 0, f"{row['code']}: an agreement without its term"
            assert "needs_verification" in version and "note" in version
    stored = ActRequirement.objects.values_list("act_type__code", flat=True)
    assert set(stored) == {row["code"] for row in shipped}


def test_an_act_type_without_requirements_cannot_be_signed(case, investigator):
    bare = ProceduralActType.objects.create(code="bare_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    act = drafted_act(case, investigator, code="suspect_recognition")
    act.act_type = bare
    act.fields = {}
    act.save()
    assert act_actions(act, investigator) == []
    with pytest.raises(ValidationError):
        act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)


def test_the_workflow_is_generated_from_the_requirements_shape():
    neither = transitions_for(False, False)
    assert neither[(ActStatus.DRAFT, ActAction.SIGN)][0] == ActStatus.APPROVED
    both = transitions_for(True, True)
    assert both[(ActStatus.DRAFT, ActAction.SIGN)][0] == ActStatus.SUBMITTED
    assert both[(ActStatus.SUBMITTED, ActAction.APPROVE)][0] == ActStatus.AWAITING_AGREEMENT
    assert both[(ActStatus.AWAITING_AGREEMENT, ActAction.AGREE)][0] == ActStatus.APPROVED
    assert both[(ActStatus.AWAITING_AGREEMENT, ActAction.REFUSE)][0] == ActStatus.REFUSED
    assert (ActStatus.SUBMITTED, ActAction.APPROVE) not in transitions_for(False, True)
    assert (ActStatus.AWAITING_AGREEMENT, ActAction.AGREE) not in transitions_for(True, False)


def test_a_stored_requirement_is_never_edited(reference_data):
    requirement = ActRequirement.objects.first()
    requirement.approval_article = "changed"
    with pytest.raises(ValidationError):
        requirement.save()


# --- recognition as a suspect: in force only once the prosecutor agrees ---------------------------


def test_a_suspect_recognition_is_in_force_only_after_the_prosecutor_agrees(
    case, investigator, supervisor, prosecutor, signing
):
    certify(investigator)
    certify(prosecutor)
    before = timezone.now()
    act = author_signed_act(case, investigator, code="suspect_recognition")
    assert act.status == ActStatus.AWAITING_AGREEMENT and not act.in_force
    assert before + timedelta(hours=24) <= act.agreement_due_at <= timezone.now() + timedelta(hours=24)
    act = render_in_process(act)  # the author's signature lands; still waiting for the prosecutor
    assert act.status == ActStatus.AWAITING_AGREEMENT and not act.in_force
    # The head of unit has no say in it, and neither does the author.
    assert act_actions(act, supervisor) == [] and act_actions(act, investigator) == []
    assert act_actions(act, prosecutor) == [ActAction.AGREE, ActAction.REFUSE]
    act = act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    assert (act.status, act.agreed_by, act.in_force) == (ActStatus.APPROVED, prosecutor, False)
    act = render_in_process(act)
    assert act.status == ActStatus.SIGNED and act.in_force
    roles = list(act.renderings.order_by("step").values_list("role", "signer__username", "state"))
    assert roles == [("author", "investigator", "signed"), ("prosecutor", "prosecutor", "signed")]


def test_a_refusal_with_reasons_returns_the_act_to_its_author(case, investigator, prosecutor, signing):
    act = author_signed_act(case, investigator, code="suspect_recognition")
    with pytest.raises(ValidationError):
        act_transition(act_id=act.pk, action=ActAction.REFUSE, actor=prosecutor, reason="  ")
    act = act_transition(act_id=act.pk, action=ActAction.REFUSE, actor=prosecutor, reason="Нет доказательств")
    assert act.status == ActStatus.REFUSED and not act.in_force
    refusal = ActTransition.objects.get(act=act, action=ActAction.REFUSE)
    assert (refusal.actor, refusal.reason) == (prosecutor, "Нет доказательств")
    assert act_actions(act, investigator) == [ActAction.REVISE]
    act = act_transition(act_id=act.pk, action=ActAction.REVISE, actor=investigator)
    assert act.status == ActStatus.DRAFT
    # Signed again: a new round, a new clock.
    act = act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
    assert act.status == ActStatus.AWAITING_AGREEMENT
    assert ActRendering.objects.filter(act=act, role="author").count() == 2


def test_nobody_else_agrees_or_refuses(case, investigator, colleague, supervisor, outsider, signing):
    act = author_signed_act(case, investigator, code="suspect_recognition")
    for user in (investigator, colleague, supervisor, outsider):
        for action in (ActAction.AGREE, ActAction.REFUSE):
            with pytest.raises((NotAllowed, OutOfScope, ValidationError)):
                act_transition(act_id=act.pk, action=action, actor=user, reason="x")
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.AWAITING_AGREEMENT


def test_the_prosecutor_writes_no_case_content(case, investigator, prosecutor):
    """The prosecutor's own decisions are theirs; every page that changes the file refuses them."""
    act = drafted_act(case, investigator, code="suspect_recognition")
    client = verified_client(prosecutor, reauthenticated=True)
    writes = {
        reverse("cases:edit", args=[case.pk]): {"plot": "x"},
        reverse("cases:act-edit", args=[act.pk]): {"place": "x"},
        reverse("cases:act-transition", args=[act.pk]): {"action": "sign"},
        reverse("cases:participant-add", args=[case.pk]): {"role": "witness"},
    }
    for url, data in writes.items():
        response = client.post(url, data)
        assert response.status_code in (302, 403, 404), url
    act.refresh_from_db()
    assert (act.status, act.place, act.version) == (ActStatus.DRAFT, "Астана қ.", 1)


# --- the three signatures ---------------------------------------------------------------------------


def _validate_all(data: bytes) -> list:
    reader = PdfFileReader(io.BytesIO(data))
    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
    return [validate_pdf_signature(sig, context) for sig in reader.embedded_signatures]


def test_author_head_of_unit_and_prosecutor_sign_one_pdf_with_three_intact_signatures(
    case, investigator, supervisor, prosecutor, signing
):
    for user in (investigator, supervisor, prosecutor):
        certify(user)
    act = author_signed_act(case, investigator, code="indictment")
    assert act.status == ActStatus.SUBMITTED
    act = act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)
    assert act.status == ActStatus.AWAITING_AGREEMENT and not act.in_force
    act = act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    act = render_in_process(act)
    assert act.status == ActStatus.SIGNED and act.in_force
    statuses = _validate_all(pdf_read(act.pdf_sha256))
    assert len(statuses) == 3
    assert all(s.intact and s.valid for s in statuses)
    assert [s.signing_cert.subject.native["common_name"] for s in statuses] == [
        investigator.get_full_name(),
        supervisor.get_full_name(),
        prosecutor.get_full_name(),
    ]
    assert statuses[-1].coverage.name == "ENTIRE_FILE"
    assert all(s.coverage.name == "ENTIRE_REVISION" for s in statuses[:-1])


def test_each_step_signs_exactly_once_whatever_the_deliveries(case, investigator, supervisor, prosecutor, signing):
    for user in (investigator, supervisor, prosecutor):
        certify(user)
    act = author_signed_act(case, investigator, code="indictment")
    act = act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)
    act = act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    jobs = list(act.renderings.order_by("step").values_list("pk", flat=True))
    # Out of order first: the prosecutor's signature waits for the two before it.
    assert render_act.apply(args=[jobs[2]]).get() == "nothing to do"
    assert ActRendering.objects.get(pk=jobs[2]).state == RenderingState.QUEUED
    for job in jobs + jobs:  # every message delivered twice
        render_act.apply(args=[job])
    act.refresh_from_db()
    assert act.status == ActStatus.SIGNED
    assert list(act.renderings.values_list("state", flat=True)) == ["signed"] * 3
    assert len(_validate_all(pdf_read(act.pdf_sha256))) == 3
    assert ActTransition.objects.filter(act=act, action=ActAction.SEAL).count() == 1


# --- overdue agreements on the three dashboards ----------------------------------------------------


def test_an_overdue_agreement_shows_on_the_dashboards_of_author_head_of_unit_and_prosecutor(
    case, investigator, colleague, supervisor, prosecutor, outsider
):
    act = author_signed_act(case, investigator, code="suspect_recognition")
    on_time = author_signed_act(case, investigator, code="qualification")
    act.agreement_due_at = timezone.now() - timedelta(hours=1)  # as if signed 25 hours ago
    save_attributed(act, actor=investigator, reason="test: the clock ran out")
    label = f"{act}"
    for user in (investigator, supervisor, prosecutor):
        page = verified_client(user).get(reverse("home")).content.decode()
        overdue = page.split('id="overdue-agreements"', 1)
        assert len(overdue) == 2, user.username
        listed = overdue[1].split("</table>", 1)[0]
        assert label in listed and f"{on_time}" not in listed, user.username
    for user in (colleague, outsider):
        assert 'id="overdue-agreements"' not in verified_client(user).get(reverse("home")).content.decode()
    agree_queue = verified_client(prosecutor).get(reverse("home")).content.decode()
    assert 'id="agreement-queue"' in agree_queue and reverse("cases:act-review", args=[on_time.pk]) in agree_queue


# --- the prosecutor acts in the review page and the API --------------------------------------------


def test_the_prosecutor_agrees_on_the_review_page_after_reauthentication(case, investigator, prosecutor):
    act = author_signed_act(case, investigator, code="suspect_recognition")
    url = reverse("cases:act-review", args=[act.pk])
    stale = verified_client(prosecutor)
    assert stale.post(url, {"action": "agree"}).status_code == 302
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.AWAITING_AGREEMENT  # asked to reauthenticate
    client = verified_client(prosecutor, reauthenticated=True)
    page = client.get(url).content.decode()
    assert 'value="agree"' in page and 'value="refuse"' in page and 'value="approve"' not in page
    assert client.post(url, {"action": "refuse", "reason": ""}).status_code == 400
    assert client.post(url, {"action": "agree"}).status_code == 302
    act.refresh_from_db()
    assert (act.status, act.agreed_by) == (ActStatus.APPROVED, prosecutor)


def test_the_api_shows_requirements_signatures_and_in_force(case, investigator, prosecutor, signing):
    certify(investigator)
    act = render_in_process(author_signed_act(case, investigator, code="suspect_recognition"))
    body = json.loads(verified_client(prosecutor).get(f"/api/v1/acts/{act.pk}/").content)
    assert body["status"]["code"] if isinstance(body["status"], dict) else body["status"]
    assert body["in_force"] is False
    assert body["requirements"]["agree"]["required"] is True and body["requirements"]["agree"]["article"]
    assert body["requirements"]["approve"]["required"] is False
    assert body["agreement_due_at"] and body["requirements"]["agree"]["due_at"]
    assert [(s["role"], s["state"]) for s in body["signatures"]] == [("author", "signed")]
    assert body["actions"] == ["agree", "refuse"]


# --- the head of unit no longer records the prosecutor's decisions ---------------------------------


def test_the_term_is_extended_by_the_prosecutor_alone(case, supervisor, prosecutor):
    with pytest.raises(NotAllowed):
        deadline_extend(case_id=case.pk, actor=supervisor, days=10, reason="x")
    extension = deadline_extend(case_id=case.pk, actor=prosecutor, days=10, reason="Экспертиза")
    assert extension.granted_by == prosecutor


def test_an_agreed_extension_request_extends_the_term_as_the_prosecutors_decision(
    case, investigator, supervisor, prosecutor
):
    from cases.services.term import extension_request_draft

    request = extension_request_draft(
        case_id=case.pk,
        actor=investigator,
        days=30,
        reasons="Экспертиза",
        planned_actions="Допросы",
        addressee="Прокурору",
        language="ru",
        place="Астана",
    )
    before = case.deadline
    act_transition(act_id=request.pk, action=ActAction.SIGN, actor=investigator)
    act_transition(act_id=request.pk, action=ActAction.APPROVE, actor=supervisor)
    act_transition(act_id=request.pk, action=ActAction.AGREE, actor=prosecutor)
    decision = ExtensionDecision.objects.get(request=request)
    assert (decision.granted, decision.decided_by, decision.entered_by) == (True, prosecutor, prosecutor)
    case.refresh_from_db()
    assert case.deadline == before + timedelta(days=30)
    assert DeadlineExtension.objects.get(case=case).granted_by == prosecutor


# --- the judge's sanction ----------------------------------------------------------------------------


def test_a_measure_needing_a_sanction_is_in_force_only_once_the_judge_granted_it(
    case, investigator, prosecutor, signing
):
    for user in (investigator, prosecutor):
        certify(user)
    act = author_signed_act(case, investigator, code="preventive_measure_request")
    with pytest.raises(ValidationError):  # not before the act is signed by all
        judge_decides(act, investigator)
    act = act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    act = render_in_process(act)
    assert act.status == ActStatus.SIGNED and not act.in_force
    with pytest.raises(ValidationError):  # a program is not a scan
        judge_decides(act, investigator, scan=b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(NotAllowed):  # the prosecutor records no fact in the file
        judge_decides(act, prosecutor)
    judge_decides(act, investigator)
    act = ProceduralAct.objects.get(pk=act.pk)
    assert act.in_force
    with pytest.raises(ValidationError):  # once
        judge_decides(act, investigator)


def test_the_scan_of_the_judges_decision_is_downloaded_by_readers_with_a_logged_read(
    case, investigator, prosecutor, signing
):
    for user in (investigator, prosecutor):
        certify(user)
    act = author_signed_act(case, investigator, code="preventive_measure_request")
    act = render_in_process(act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor))
    url = reverse("cases:act-sanction-scan", args=[act.pk])
    client = verified_client(prosecutor)
    assert client.get(url).status_code == 404  # nothing recorded yet
    scan = pdf_bytes("court")
    judge_decides(act, investigator, scan=scan, scan_name='../../"evil".exe')
    assert url in client.get(reverse("cases:act", args=[act.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == scan
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    # Named from the case and the act, never from what the uploader called the file.
    assert response["Content-Disposition"] == (
        f'attachment; filename="{case.registration_number}-act-{act.number}-sanction.pdf"'
    )
    read = AuditEvent.objects.filter(case_id=case.pk, event="act.opened", actor=prosecutor).last()
    assert read.data["page"] == "sanction-scan" and read.target_id == str(act.pk)


def test_the_review_page_previews_the_round_after_the_head_of_unit_approved(case, investigator, supervisor, prosecutor):
    """The approver's signature row carries no snapshot: the preview reads its round's first."""
    act = author_signed_act(case, investigator, code="indictment")
    act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)
    page = verified_client(prosecutor).get(reverse("cases:act-review", args=[act.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="agree"' in body and 'class="act-sheet"' in body
