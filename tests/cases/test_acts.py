"""Procedural acts: numbering, the lifecycle table, and the immutability of a signed act."""
import hashlib
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.choices import Role
from audit.models import AuditEvent
from cases.act_transitions import ACT_TRANSITIONS, ActAction
from cases.choices import ActStatus, ParticipantRole
from cases.models import ProceduralAct, ProceduralActType, SignedActImmutableError
from cases.services.acts import act_create, act_update
from cases.services.act_workflow import act_record_signature, act_transition
from cases.services.participants import participant_add
from ecase.errors import NotAllowed, StaleEdit
from tests.factories import make_user, person_data

PDF_HASH = hashlib.sha256(b"rendered act").hexdigest()


@pytest.fixture
def act_type(db):
    # A type without required fields, so any draft may be submitted.
    return ProceduralActType.objects.create(code="test_note", name_ru="Справка", name_kk="Анықтама", kind="other",
                                            fields=[{"name": "summary", "type": "text", "label_ru": "Итог",
                                                     "label_kk": "Қорытынды", "required": False}])


@pytest.fixture
def system(db):
    return make_user("system.renderer", Role.ADMINISTRATOR, None)


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


def test_acts_are_numbered_within_their_case(case, investigator, outsider, act_type):
    first, second = draft(case, investigator, act_type), draft(case, investigator, act_type)
    assert (first.number, second.number) == (1, 2)


@pytest.mark.parametrize("status,action", list(itertools.product(ActStatus.values, ActAction.values)))
def test_every_status_and_action_pair(case, investigator, supervisor, act_type, system, status, action):
    act = act_in(status, case, investigator, supervisor, act_type, system)
    actor = supervisor if action in (ActAction.APPROVE, ActAction.RETURN) else investigator
    events = AuditEvent.objects.filter(case_id=case.pk).count()
    history = ProceduralAct.history.filter(id=act.pk).count()
    if (status, action) in ACT_TRANSITIONS:
        moved = act_transition(act_id=act.pk, action=action, actor=actor, reason="Причина")
        assert moved.status == ACT_TRANSITIONS[(status, action)][0]
        assert AuditEvent.objects.filter(case_id=case.pk).count() == events + 1
        assert ProceduralAct.history.filter(id=act.pk).count() == history + 1
    else:
        with pytest.raises(ValidationError):
            act_transition(act_id=act.pk, action=action, actor=actor, reason="Причина")
        assert ProceduralAct.objects.get(pk=act.pk).status == status
        assert AuditEvent.objects.filter(case_id=case.pk).count() == events
        assert ProceduralAct.history.filter(id=act.pk).count() == history


def test_the_author_cannot_approve_their_own_act(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.SUBMITTED, case, investigator, supervisor, act_type, system)
    with pytest.raises(NotAllowed):
        act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=investigator)
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.SUBMITTED
    # Even a write that bypasses the service cannot make the author the approver.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_proceduralact SET approved_by_id = author_id, approved_at = now() WHERE id = %s",
                       [act.pk])


def test_a_return_needs_a_reason(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.SUBMITTED, case, investigator, supervisor, act_type, system)
    with pytest.raises(ValidationError):
        act_transition(act_id=act.pk, action=ActAction.RETURN, actor=supervisor, reason=" ")
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.SUBMITTED


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
    victim = participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data())
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


def test_a_correction_supersedes_the_signed_act_which_stays(case, investigator, supervisor, act_type, system):
    old = act_in(ActStatus.SIGNED, case, investigator, supervisor, act_type, system)
    new = draft(case, investigator, act_type, supersedes=old)
    assert new.number == old.number + 1
    assert ProceduralAct.objects.get(pk=old.pk).superseded_by == new
    assert ProceduralAct.objects.get(pk=old.pk).status == ActStatus.SIGNED


def test_only_a_signed_act_is_superseded(case, investigator, act_type):
    unsigned = draft(case, investigator, act_type)
    with pytest.raises(ValidationError):
        draft(case, investigator, act_type, supersedes=unsigned)


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
