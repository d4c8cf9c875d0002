"""Decrees drive state (issue #18 item 1): a case's status, a suspect or accused, and the qualification change
only as the effect of an act in force — never by a page, the API or a service directly — and once only."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.choices import EventType
from audit.models import AuditEvent
from cases.act_transitions import ActAction
from cases.choices import ActStatus, CaseAction, CaseStatus, ParticipantRole
from cases.effects import check_effects
from cases.models import ActEffect, Case, CaseStatusChange, Interruption, Participant, ProceduralActType
from cases.reference_data import read
from cases.services.act_workflow import act_transition
from cases.services.case import case_transition
from cases.services.effects import act_effects_apply
from cases.services.participants import participant_add, participant_change_role
from cases.services.registration import gravity_in_force
from ecase.errors import NotAllowed
from tests.api.helpers import Api, issue
from tests.auth import verified_client
from tests.cases.decrees import decree_draft, decree_in_force, decree_steps, suspect_in_force
from tests.cases.sanctions import judge_decides
from tests.cases.signing_helpers import certify, render_in_process
from tests.factories import person_data, register


@pytest.fixture
def started(signing, investigator, supervisor, prosecutor):
    for user in (investigator, supervisor, prosecutor):
        certify(user)
    case = register(actor=investigator, prosecutor=prosecutor, supervisor=supervisor, days_ago=5)
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    return Case.objects.get(pk=case.pk)


def status(case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


# The data -------------------------------------------------------------------------------------------------


def test_every_shipped_type_states_its_effects_in_the_vocabulary():
    rows = read("act_types.json")
    assert all("effects" in row for row in rows)
    for row in rows:
        check_effects(row["code"], row["effects"], row["fields"])
    by_code = {row["code"]: row["effects"] for row in rows}
    assert by_code["term_interruption"][0] == {"type": "case_status", "action": "interrupt", "article": "ст. 45 ч. 7"}
    assert by_code["victim_recognition"] == []


@pytest.mark.parametrize(
    "effects",
    [
        [{"type": "teleport"}],
        [{"type": "case_status", "action": "explode"}],
        [{"type": "case_status"}],
        [{"type": "participant_role", "role": "suspect", "field": "nobody"}],
        [{"type": "participant_role", "role": "victim", "field": "person"}],
        [{"type": "qualification", "field": "person"}],  # a participant field, not an article field
        [{"type": "term_extension", "colour": "red"}],
        {"type": "term_extension"},
    ],
)
def test_an_effect_outside_the_vocabulary_fails_the_load(effects):
    fields = [{"name": "person", "type": "participant"}, {"name": "articles", "type": "article"}]
    with pytest.raises(ValidationError):
        check_effects("x", effects, fields)


def test_the_loaded_types_carry_their_effects(reference_data):
    interruption = ProceduralActType.objects.get(code="term_interruption")
    assert interruption.effects[0]["action"] == "interrupt"
    assert ProceduralActType.objects.get(code="completion_report").effects[0]["action"] == "send_to_prosecutor"
    grounds = {c["value"]: c for c in interruption.fields[0]["choices"]}
    assert grounds["expertise"]["article"].startswith("ст. 45 ч. 7 п. 9")


# Status changes: nothing until in force -------------------------------------------------------------------


def test_interruption_changes_nothing_until_in_force_then_interrupts_with_its_ground(started, investigator, prosecutor):
    draft = decree_draft(started, investigator, "term_interruption", ground="suspect_hiding")
    assert status(started) == CaseStatus.INVESTIGATING
    awaiting = act_transition(act_id=draft.pk, action=ActAction.SIGN, actor=investigator)
    assert awaiting.status == ActStatus.AWAITING_AGREEMENT
    assert status(started) == CaseStatus.INVESTIGATING
    agreed = act_transition(act_id=draft.pk, action=ActAction.AGREE, actor=prosecutor)
    assert status(started) == CaseStatus.INVESTIGATING  # agreed, its signatures not yet on the PDF
    act = render_in_process(agreed)
    assert act.status == ActStatus.SIGNED and act.in_force
    assert status(started) == CaseStatus.INTERRUPTED
    change = CaseStatusChange.objects.get(case=started, action=CaseAction.INTERRUPT)
    assert change.decision_act == act and change.actor == investigator
    # The ground as the term tab shows it: the article and the wording of the chosen ground.
    [hiding] = [c for c in act.act_type.fields[0]["choices"] if c["value"] == "suspect_hiding"]
    wording = f"{hiding['article']}: {hiding['label_ru']}" if hiding.get("article") else hiding["label_ru"]
    assert Interruption.objects.get(case=started).ground == wording
    [effect] = act.applied_effects.all()
    assert effect.applied and effect.position == 0


def test_a_refused_interruption_changes_nothing(started, investigator, prosecutor):
    act = decree_draft(started, investigator, "term_interruption")
    act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
    act_transition(act_id=act.pk, action=ActAction.REFUSE, actor=prosecutor, reason="Оснований нет")
    assert status(started) == CaseStatus.INVESTIGATING
    assert not ActEffect.objects.filter(act=act).exists()
    assert not CaseStatusChange.objects.filter(case=started, action=CaseAction.INTERRUPT).exists()


def test_resumption_and_termination_by_decrees(started, investigator):
    decree_in_force(started, investigator, "term_interruption")
    resumed = decree_in_force(started, investigator, "term_resumption", interruption_act="№1")
    assert status(started) == CaseStatus.INVESTIGATING
    assert Interruption.objects.get(case=started).ended_on is not None
    terminated = decree_in_force(started, investigator, "case_termination", ground="no_corpus")
    assert status(started) == CaseStatus.TERMINATED
    log = list(CaseStatusChange.objects.filter(case=started).order_by("id").values_list("action", "decision_act"))
    assert log[-2:] == [(CaseAction.RESUME, resumed.pk), (CaseAction.TERMINATE, terminated.pk)]


def test_completion_report_sends_to_the_prosecutor_and_the_indictment_makes_accused_and_sends_to_court(
    started, investigator, supervisor, prosecutor
):
    suspect = suspect_in_force(started, investigator)
    decree_in_force(started, investigator, "completion_report", suspects=[suspect.pk])
    assert status(started) == CaseStatus.SENT_TO_PROSECUTOR
    indictment = decree_in_force(started, investigator, "indictment", approver=supervisor, accused=suspect.pk)
    assert status(started) == CaseStatus.SENT_TO_COURT
    assert Participant.objects.get(pk=suspect.pk).role == ParticipantRole.ACCUSED
    assert [e.applied for e in indictment.applied_effects.all()] == [True, True]


# Roles ------------------------------------------------------------------------------------------------------


def test_suspect_only_by_a_recognition_decree_in_force(started, investigator, prosecutor):
    with pytest.raises(ValidationError, match="suspect"):
        participant_add(case_id=started.pk, actor=investigator, role=ParticipantRole.SUSPECT, person_data=person_data())
    witness = participant_add(
        case_id=started.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    with pytest.raises(ValidationError):
        participant_change_role(participant_id=witness.pk, actor=investigator, role="suspect", reason="Подозрение")
    act = decree_draft(started, investigator, "suspect_recognition", person=witness.pk)
    act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
    assert Participant.objects.get(pk=witness.pk).role == ParticipantRole.WITNESS  # awaiting agreement
    act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    render_in_process(act)
    assert Participant.objects.get(pk=witness.pk).role == ParticipantRole.SUSPECT
    assert not Participant.objects.filter(case=started, role=ParticipantRole.SUSPECT).exclude(pk=witness.pk).exists()


def test_detention_makes_a_suspect(started, investigator):
    detained = participant_add(
        case_id=started.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    decree_in_force(started, investigator, "detention_protocol", detained=detained.pk)
    assert Participant.objects.get(pk=detained.pk).role == ParticipantRole.SUSPECT


def test_a_suspect_is_not_made_a_witness_by_hand(started, investigator):
    suspect = suspect_in_force(started, investigator)
    with pytest.raises(ValidationError):
        participant_change_role(participant_id=suspect.pk, actor=investigator, role="witness", reason="Ошибка")
    assert Participant.objects.get(pk=suspect.pk).role == ParticipantRole.SUSPECT


def test_termination_for_one_suspect_only_keeps_the_case_going(started, investigator):
    first = suspect_in_force(started, investigator, last_name="Первый")
    second = suspect_in_force(started, investigator, last_name="Второй", born=date(1990, 1, 2))
    decree_in_force(started, investigator, "prosecution_termination", person=first.pk, ground="no_corpus")
    assert status(started) == CaseStatus.INVESTIGATING
    assert Participant.objects.get(pk=first.pk).is_withdrawn
    assert not Participant.objects.get(pk=second.pk).is_withdrawn


def test_an_indictment_of_a_non_suspect_is_recorded_not_applied(started, investigator, supervisor):
    witness = participant_add(
        case_id=started.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    decree_in_force(started, investigator, "completion_report", suspects=[witness.pk])
    act = decree_in_force(started, investigator, "indictment", approver=supervisor, accused=witness.pk)
    role, send = act.applied_effects.all()
    assert not role.applied and "suspect" in role.outcome.lower()
    assert send.applied  # the other effect still applies
    assert Participant.objects.get(pk=witness.pk).role == ParticipantRole.WITNESS


# When the effect no longer fits; idempotency ---------------------------------------------------------------


def test_an_effect_that_no_longer_fits_leaves_the_act_signed_and_says_why(started, investigator, prosecutor):
    late = decree_draft(started, investigator, "term_interruption")
    late = decree_steps(late, prosecutor=prosecutor)  # agreed; the worker has not signed yet
    decree_in_force(started, investigator, "case_termination", ground="no_event")
    act = render_in_process(late)
    assert act.status == ActStatus.SIGNED
    assert status(started) == CaseStatus.TERMINATED
    [effect] = act.applied_effects.all()
    assert not effect.applied and effect.outcome
    page = verified_client(investigator).get(reverse("cases:act", args=[act.pk]))
    assert effect.outcome in page.content.decode()


def test_applying_twice_changes_nothing(started, investigator):
    act = decree_in_force(started, investigator, "term_interruption")
    changes = CaseStatusChange.objects.filter(case=started).count()
    assert act_effects_apply(act) == []
    assert CaseStatusChange.objects.filter(case=started).count() == changes
    assert ActEffect.objects.filter(act=act).count() == 1
    with pytest.raises((ValidationError, NotAllowed)):  # a re-seal is refused by the act's table: the act is signed
        act_transition(act_id=act.pk, action=ActAction.SEAL, actor=act.author, pdf_sha256=act.pdf_sha256)
    assert ActEffect.objects.filter(act=act).count() == 1


# Qualification -----------------------------------------------------------------------------------------------


def test_requalification_only_by_a_qualification_decree_in_force(started, investigator, supervisor):
    from tests.factories import article

    suspect = suspect_in_force(started, investigator)
    before = started.gravity
    graver = article("188-2")
    draft = decree_draft(started, investigator, "qualification", suspect=suspect.pk, articles=[graver.code])
    act_transition(act_id=draft.pk, action=ActAction.SIGN, actor=investigator)
    assert Case.objects.get(pk=started.pk).articles.get() == article("188-1")  # awaiting agreement
    act = decree_in_force(started, investigator, "qualification", suspect=suspect.pk, articles=[graver.code])
    case = Case.objects.get(pk=started.pk)
    assert list(case.articles.values_list("pk", flat=True)) == [graver.pk]
    assert case.gravity == gravity_in_force([graver], case.offence_on)[0]
    assert act.applied_effects.get().applied
    audit = AuditEvent.objects.filter(case_id=case.pk, event=EventType.CASE_REQUALIFIED).get()
    assert audit.data["decision_act"] == act.pk and audit.data["from"]["gravity"] == before


# Pages and API -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [CaseAction.INTERRUPT, CaseAction.TERMINATE, CaseAction.SEND_TO_PROSECUTOR])
def test_no_direct_status_change_by_service_or_page(started, investigator, action):
    with pytest.raises(ValidationError, match="draft"):
        case_transition(case_id=started.pk, action=action, actor=investigator, reason="Так", ground="п. 1")
    response = verified_client(investigator).post(
        reverse("cases:transition", args=[started.pk]), {"action": action, "reason": "Так", "ground": "п. 1"}
    )
    assert response.status_code == 400
    assert status(started) == CaseStatus.INVESTIGATING
    assert not CaseStatusChange.objects.filter(case=started, action=action).exists()


def test_the_case_page_links_the_decree_to_draft(started, investigator):
    page = verified_client(investigator).get(reverse("cases:detail", args=[started.pk])).content.decode()
    interruption = ProceduralActType.objects.get(code="term_interruption")
    assert f"?act_type={interruption.pk}" in page
    assert 'value="interrupt"' not in page


def test_requalification_page_and_api_change_nothing(started, investigator):
    from tests.factories import article

    before = list(started.articles.values_list("pk", flat=True))
    response = verified_client(investigator).post(reverse("cases:requalify", args=[started.pk]), {})
    assert response.status_code == 302 and "act_type=" in response["Location"]
    api = Api(token=issue(investigator))
    refused = api.patch(
        f"/api/v1/cases/{started.pk}/",
        {"articles": [article("188-3").pk], "reason": "Переквалификация"},
        headers={"If-Match": f'"v{started.version}"'},
    )
    assert refused.status_code == 400, refused.content
    assert list(Case.objects.get(pk=started.pk).articles.values_list("pk", flat=True)) == before


def _sanctioned_decree(case, author, *, action: str, ground: str):
    """A decree of the test's own type taking ``action``, which a judge must sanction, signed and sealed."""
    from tests.factories import author_only_requirement

    act_type = ProceduralActType.objects.create(
        code=f"sanctioned_{action}",
        name_ru="Постановление",
        name_kk="Қаулы",
        kind="resolution",
        fields=[
            {
                "name": "ground",
                "type": "choice",
                "required": True,
                "choices": [{"value": ground, "label_ru": "Основание", "label_kk": "Негіз"}],
            }
        ],
        effects=[{"type": "case_status", "action": action}],
    )
    author_only_requirement(act_type, sanction_article="test")
    return decree_in_force(case, author, act_type.code)


def test_an_act_needing_a_judges_sanction_takes_effect_only_once_it_is_granted(started, investigator):
    act = _sanctioned_decree(started, investigator, action="interrupt", ground="suspect_hiding")
    assert act.status == ActStatus.SIGNED and not act.in_force
    assert status(started) == CaseStatus.INVESTIGATING and not ActEffect.objects.filter(act=act).exists()
    judge_decides(act, investigator, granted=True)
    assert status(started) == CaseStatus.INTERRUPTED
    assert CaseStatusChange.objects.get(case=started, action=CaseAction.INTERRUPT).decision_act_id == act.pk


def test_a_refused_sanction_changes_nothing(started, investigator):
    act = _sanctioned_decree(started, investigator, action="terminate", ground="no_corpus")
    judge_decides(act, investigator, granted=False)
    assert status(started) == CaseStatus.INVESTIGATING and not ActEffect.objects.filter(act=act).exists()


def test_the_participant_page_does_not_make_a_suspect(started, investigator):
    url = reverse("cases:participant-add", args=[started.pk])
    client = verified_client(investigator)
    assert 'value="suspect"' not in client.get(url).content.decode()
    data = {"last_name": "Омаров", "first_name": "Ғалым", "birth_date": "1990-05-17", "sex": "M"}
    for role in ("suspect", "accused"):
        assert client.post(url, {**data, "role": role}).status_code == 400
    assert not Participant.objects.filter(case=started).exists()
