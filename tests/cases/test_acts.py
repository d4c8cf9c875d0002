"""Procedural acts: numbering, the lifecycle table over every (status, action) pair, immutability."""

import hashlib
import itertools

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from audit.models import AuditEvent
from cases import access
from cases.act_transitions import ACT_TRANSITIONS, ActAction
from cases.choices import ActStatus, ParticipantRole, RenderingState
from cases.models import (
    ActRendering,
    ActTransition,
    AppendOnlyError,
    ProceduralAct,
    ProceduralActType,
    SignedActImmutableError,
)
from cases.services.act_workflow import act_record_signature, act_transition
from cases.services.acts import act_create, act_update
from cases.services.participants import participant_add
from cases.system_actor import SYSTEM_USERNAME, is_system_actor, system_actor
from ecase.errors import NotAllowed, StaleEdit
from tests.factories import make_user, person_data

PDF_HASH = hashlib.sha256(b"rendered act").hexdigest()
NOT_COUNTED = {"sessions", "axes"}


@pytest.fixture
def act_type(db):
    # A type without required fields, so any draft may be submitted.
    return ProceduralActType.objects.create(
        code="test_note",
        name_ru="Справка",
        name_kk="Анықтама",
        kind="other",
        fields=[{"name": "summary", "type": "text", "label_ru": "Итог", "label_kk": "Қорытынды", "required": False}],
    )


@pytest.fixture
def system(db):
    return system_actor()


def draft(case, investigator, act_type, **extra):
    return act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="kk", place="Астана қ.", **extra)


def act_in(status, case, investigator, supervisor, act_type, system):
    act = draft(case, investigator, act_type)
    steps = {
        ActStatus.DRAFT: [],
        ActStatus.SUBMITTED: [(ActAction.SUBMIT, investigator)],
        ActStatus.APPROVED: [(ActAction.SUBMIT, investigator), (ActAction.APPROVE, supervisor)],
        ActStatus.RETURNED: [(ActAction.SUBMIT, investigator), (ActAction.RETURN, supervisor)],
        ActStatus.SIGNED: [(ActAction.SUBMIT, investigator), (ActAction.APPROVE, supervisor)],
    }[status]
    for action, actor in steps:
        act = act_transition(act_id=act.pk, action=action, actor=actor, reason="Доработать")
    if status == ActStatus.SIGNED:
        act = act_record_signature(act_id=act.pk, pdf_sha256=PDF_HASH, system_actor=system)
    return act


def entitled(action, investigator, supervisor, system):
    """The actor the table entitles: the author drafts and corrects, the supervisor decides, the system signs."""
    return {ActAction.APPROVE: supervisor, ActAction.RETURN: supervisor, ActAction.SIGN: system}.get(
        action, investigator
    )


def row_counts() -> dict[str, int]:
    return {
        m._meta.label_lower: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in NOT_COUNTED
    }


def test_acts_are_numbered_within_their_case(case, investigator, act_type):
    first, second = draft(case, investigator, act_type), draft(case, investigator, act_type)
    assert (first.number, second.number) == (1, 2)


@pytest.mark.parametrize("status,action", list(itertools.product(ActStatus.values, ActAction.values)))
def test_every_status_and_action_pair(case, investigator, supervisor, act_type, system, status, action):
    act = act_in(status, case, investigator, supervisor, act_type, system)
    actor = entitled(action, investigator, supervisor, system)
    arguments = {"reason": "Причина", "pdf_sha256": PDF_HASH if action == ActAction.SIGN else ""}
    if (status, action) in ACT_TRANSITIONS:
        steps = ActTransition.objects.filter(act__case=case).count()
        events = AuditEvent.objects.filter(case_id=case.pk).count()
        moved = act_transition(act_id=act.pk, action=action, actor=actor, **arguments)
        assert moved.status == ACT_TRANSITIONS[(status, action)][0]
        assert ActTransition.objects.filter(act__case=case).count() == steps + 1
        assert AuditEvent.objects.filter(case_id=case.pk).count() == events + 1
        step = ActTransition.objects.filter(act__case=case).latest("id")
        assert (step.act_id, step.action, step.from_status, step.to_status, step.actor) == (
            act.pk,
            action,
            status,
            ACT_TRANSITIONS[(status, action)][0],
            actor,
        )
        assert step.reason == "Причина" and step.act_version == moved.version
        event = AuditEvent.objects.filter(case_id=case.pk).latest("seq")
        assert (event.event, event.data["action"], event.actor) == ("act.transition", action, actor)
    else:
        before = row_counts()
        with pytest.raises(ValidationError):
            act_transition(act_id=act.pk, action=action, actor=actor, **arguments)
        assert row_counts() == before
        assert ProceduralAct.objects.get(pk=act.pk).status == status


def test_the_author_cannot_approve_their_own_act_even_holding_the_right(case, investigator, admin, act_type):
    # The author of a submitted act becomes head of the unit (rights follow the role: he now holds the
    # unit's right to approve), so that only the guard stands in the way (CPC: the approver is not the author).
    from accounts.choices import Role
    from accounts.services import user_update

    act = act_transition(act_id=draft(case, investigator, act_type).pk, action=ActAction.SUBMIT, actor=investigator)
    head = user_update(actor=admin, user=investigator, role=Role.SUPERVISOR, unit=case.unit)
    assert "approve" in access.allowed_actions(head, case.pk)
    before = row_counts()
    for action in (ActAction.APPROVE, ActAction.RETURN):
        with pytest.raises(NotAllowed):
            act_transition(act_id=act.pk, action=action, actor=head, reason="Сам себе")
    assert row_counts() == before
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.SUBMITTED


def test_the_author_approving_is_refused_by_the_database_too(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.SUBMITTED, case, investigator, supervisor, act_type, system)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_proceduralact SET approved_by_id = author_id, approved_at = now() WHERE id = %s", [act.pk]
        )


def test_only_the_system_signs_and_the_system_does_nothing_else(case, investigator, supervisor, act_type, system):
    approved = act_in(ActStatus.APPROVED, case, investigator, supervisor, act_type, system)
    before = row_counts()
    for person in (supervisor, investigator):
        with pytest.raises(NotAllowed):
            act_transition(act_id=approved.pk, action=ActAction.SIGN, actor=person, pdf_sha256=PDF_HASH)
    drafted = draft(case, investigator, act_type)
    before = row_counts()
    with pytest.raises(NotAllowed):
        act_transition(act_id=drafted.pk, action=ActAction.SUBMIT, actor=system)
    assert row_counts() == before


def test_a_person_named_like_the_system_is_not_the_system(astana):
    impostor = make_user(SYSTEM_USERNAME, "administrator", None)  # has a password
    assert not is_system_actor(impostor)


def test_signing_needs_the_sha256_of_the_pdf(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.APPROVED, case, investigator, supervisor, act_type, system)
    with pytest.raises(ValidationError):
        act_transition(act_id=act.pk, action=ActAction.SIGN, actor=system, pdf_sha256="not-a-digest")
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.APPROVED


@pytest.mark.parametrize(
    "action,status", [(ActAction.RETURN, ActStatus.SUBMITTED), (ActAction.SUPERSEDE, ActStatus.SIGNED)]
)
def test_a_return_and_a_correction_need_a_reason(case, investigator, supervisor, act_type, system, action, status):
    act = act_in(status, case, investigator, supervisor, act_type, system)
    before = row_counts()
    with pytest.raises(ValidationError):
        act_transition(
            act_id=act.pk, action=action, actor=entitled(action, investigator, supervisor, system), reason=" "
        )
    assert row_counts() == before


def test_approval_freezes_a_snapshot_and_queues_one_rendering(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.APPROVED, case, investigator, supervisor, act_type, system)
    rendering = ActRendering.objects.get(act=act)
    assert (rendering.state, rendering.act_version, rendering.published_at) == (
        RenderingState.QUEUED,
        act.version,
        None,
    )
    assert rendering.snapshot["case"]["registration_number"] == case.registration_number
    assert rendering.snapshot["approver"]["name"] == supervisor.get_full_name()
    # One rendered PDF per act version: a second row for the same version is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        ActRendering.objects.create(act=act, act_version=act.version, snapshot={})


def test_a_signed_act_cannot_change_through_the_model(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.SIGNED, case, investigator, supervisor, act_type, system)
    act.body = "Исправленный текст"
    with pytest.raises(SignedActImmutableError):
        act.save()
    with pytest.raises(ValidationError):
        act_update(act_id=act.pk, actor=investigator, expected_version=act.version, body="x")
    assert ProceduralAct.objects.get(pk=act.pk).body == ""


def test_a_signed_act_cannot_change_in_the_database(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.SIGNED, case, investigator, supervisor, act_type, system)
    victim = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data()
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_proceduralact SET body = 'forged' WHERE id = %s", [act.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        act.participants.add(victim)
    assert ProceduralAct.objects.get(pk=act.pk).body == ""
    assert not act.participants.exists()


def test_signed_requires_signature_data_in_the_database(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.APPROVED, case, investigator, supervisor, act_type, system)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_proceduralact SET status = 'signed' WHERE id = %s", [act.pk])


def test_the_route_of_an_act_is_append_only(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.APPROVED, case, investigator, supervisor, act_type, system)
    step = act.transitions.first()
    step.reason = "переписано"
    with pytest.raises(AppendOnlyError):
        step.save()
    for statement in (
        "UPDATE cases_acttransition SET reason = 'x' WHERE id = %s",
        "DELETE FROM cases_acttransition WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [step.pk])
    assert [s.action for s in act.transitions.all()] == [ActAction.SUBMIT, ActAction.APPROVE]


def test_a_correction_supersedes_the_signed_act_which_stays(case, investigator, supervisor, act_type, system):
    victim = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data()
    )
    old = act_transition(
        act_id=draft(
            case, investigator, act_type, body="Текст", fields={"summary": "Итог"}, participant_ids=[victim.pk]
        ).pk,
        action=ActAction.SUBMIT,
        actor=investigator,
    )
    act_transition(act_id=old.pk, action=ActAction.APPROVE, actor=supervisor)
    old = act_record_signature(act_id=old.pk, pdf_sha256=PDF_HASH, system_actor=system)
    moved = act_transition(act_id=old.pk, action=ActAction.SUPERSEDE, actor=investigator, reason="Опечатка в фамилии")
    correction = ProceduralAct.objects.get(supersedes=old)
    assert moved.superseded_by == correction and correction.number == old.number + 1
    assert (correction.status, correction.author, correction.body, correction.fields) == (
        ActStatus.DRAFT,
        investigator,
        "Текст",
        {"summary": "Итог"},
    )
    assert list(correction.participants.all()) == [victim]
    unchanged = ProceduralAct.objects.get(pk=old.pk)
    assert (unchanged.status, unchanged.pdf_sha256, unchanged.updated_at) == (
        ActStatus.SIGNED,
        PDF_HASH,
        old.updated_at,
    )
    with pytest.raises(ValidationError):  # superseded once; a second correction corrects the correction
        act_transition(act_id=old.pk, action=ActAction.SUPERSEDE, actor=investigator, reason="Ещё раз")


def test_only_a_signed_act_is_superseded(case, investigator, act_type):
    unsigned = draft(case, investigator, act_type)
    with pytest.raises(ValidationError):
        act_transition(act_id=unsigned.pk, action=ActAction.SUPERSEDE, actor=investigator, reason="Исправление")
    assert not ProceduralAct.objects.filter(supersedes=unsigned).exists()


def test_a_stale_edit_is_refused_and_overwrites_nothing(case, investigator, act_type):
    act = draft(case, investigator, act_type)
    act_update(act_id=act.pk, actor=investigator, expected_version=act.version, body="Первая правка")
    with pytest.raises(StaleEdit):
        act_update(act_id=act.pk, actor=investigator, expected_version=act.version, body="Вторая правка")
    assert ProceduralAct.objects.get(pk=act.pk).body == "Первая правка"


def test_unknown_and_missing_structured_fields_are_refused(case, investigator):
    act_type = ProceduralActType.objects.exclude(fields=[]).first()
    required = sorted(act_type.required_field_names())
    with pytest.raises(ValidationError):
        draft(case, investigator, act_type, fields={"no_such_field": "x"})
    act = draft(case, investigator, act_type)
    if required:
        with pytest.raises(ValidationError):
            act_transition(act_id=act.pk, action=ActAction.SUBMIT, actor=investigator)
        assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.DRAFT
