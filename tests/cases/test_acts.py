"""Procedural acts: numbering, the lifecycle table over every (status, action) pair of every
requirements shape (issue #17), immutability."""

import hashlib
import itertools

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from audit.models import AuditEvent
from cases import access
from cases.act_transitions import ActAction
from cases.choices import ActStatus, ParticipantRole, RenderingState
from cases.models import (
    ActRendering,
    ActTransition,
    AppendOnlyError,
    ProceduralAct,
    ProceduralActType,
    SignedActImmutableError,
)
from cases.services.act_workflow import act_seal, act_transition
from cases.services.acts import act_create, act_update
from cases.services.participants import participant_add
from cases.system_actor import SYSTEM_USERNAME, is_system_actor, system_actor
from ecase.errors import NotAllowed, StaleEdit
from tests.factories import author_only_requirement, make_user, person_data

PDF_HASH = hashlib.sha256(b"rendered act").hexdigest()
NOT_COUNTED = {"sessions", "axes"}
S, A = ActStatus, ActAction

# The four shapes a requirement row can have: (head of unit's approval, prosecutor's agreement).
BOTH, APPROVAL, AGREEMENT, NEITHER = (True, True), (True, False), (False, True), (False, False)

# Written out by hand from the law (not computed from cases/act_transitions.py): every move each
# shape allows, and where it leads. Everything else must be refused and change nothing.
_COMMON = {
    (S.RETURNED, A.REVISE): S.DRAFT,
    (S.REFUSED, A.REVISE): S.DRAFT,
    (S.APPROVED, A.SEAL): S.SIGNED,
    (S.SIGNED, A.SUPERSEDE): S.SIGNED,
}
EXPECTED = {
    BOTH: {
        (S.DRAFT, A.SIGN): S.SUBMITTED,
        (S.SUBMITTED, A.APPROVE): S.AWAITING_AGREEMENT,
        (S.SUBMITTED, A.RETURN): S.RETURNED,
        (S.AWAITING_AGREEMENT, A.AGREE): S.APPROVED,
        (S.AWAITING_AGREEMENT, A.REFUSE): S.REFUSED,
        **_COMMON,
    },
    APPROVAL: {
        (S.DRAFT, A.SIGN): S.SUBMITTED,
        (S.SUBMITTED, A.APPROVE): S.APPROVED,
        (S.SUBMITTED, A.RETURN): S.RETURNED,
        **_COMMON,
    },
    AGREEMENT: {
        (S.DRAFT, A.SIGN): S.AWAITING_AGREEMENT,
        (S.AWAITING_AGREEMENT, A.AGREE): S.APPROVED,
        (S.AWAITING_AGREEMENT, A.REFUSE): S.REFUSED,
        **_COMMON,
    },
    NEITHER: {(S.DRAFT, A.SIGN): S.APPROVED, **_COMMON},
}
# The signature each signing step queues.
SIGNS = {A.SIGN: "author", A.APPROVE: "approver", A.AGREE: "prosecutor"}


def reachable(shape) -> list[str]:
    """The statuses an act of this shape can be in."""
    approval, agreement = shape
    return [
        s
        for s in S.values
        if not (s in (S.SUBMITTED, S.RETURNED) and not approval)
        and not (s in (S.AWAITING_AGREEMENT, S.REFUSED) and not agreement)
    ]


def shape_name(shape) -> str:
    return {BOTH: "both", APPROVAL: "approval", AGREEMENT: "agreement", NEITHER: "neither"}[shape]


def note_type(shape=BOTH):
    """A type without required fields (any draft may be signed) whose requirements have ``shape``."""
    approval, agreement = shape
    act_type = ProceduralActType.objects.create(
        code=f"test_note_{shape_name(shape)}",
        name_ru="Справка",
        name_kk="Анықтама",
        kind="other",
        fields=[{"name": "summary", "type": "text", "label_ru": "Итог", "label_kk": "Қорытынды", "required": False}],
    )
    steps = {"approval_article": "test"} if approval else {}
    if agreement:
        steps |= {"agreement_article": "test", "agreement_hours": 24}
    author_only_requirement(act_type, **steps)
    return act_type


@pytest.fixture
def act_type(db):
    return note_type(BOTH)


@pytest.fixture
def system(db):
    return system_actor()


def draft(case, investigator, act_type, **extra):
    return act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="kk", place="Астана қ.", **extra)


def act_in(status, case, investigator, supervisor, act_type, system, prosecutor=None):
    """An act of ``act_type`` moved to ``status`` by the people the steps belong to."""
    prosecutor = prosecutor or case.prosecutor
    requirement = act_type.requirements.get()
    approve = [(A.APPROVE, supervisor)] if requirement.needs_approval else []
    agree = [(A.AGREE, prosecutor)] if requirement.needs_agreement else []
    sign = [(A.SIGN, investigator)]
    act = draft(case, investigator, act_type)
    steps = {
        S.DRAFT: [],
        S.SUBMITTED: sign,
        S.AWAITING_AGREEMENT: sign + approve,
        S.APPROVED: sign + approve + agree,
        S.RETURNED: sign + [(A.RETURN, supervisor)],
        S.REFUSED: sign + approve + [(A.REFUSE, prosecutor)],
        S.SIGNED: sign + approve + agree,
    }[status]
    for action, actor in steps:
        act = act_transition(act_id=act.pk, action=action, actor=actor, reason="Доработать")
    if status == S.SIGNED:
        act = act_seal(act_id=act.pk, pdf_sha256=PDF_HASH, system_actor=system)
    assert act.status == status
    return act


def entitled(action, investigator, supervisor, system, prosecutor):
    """The actor the table entitles: the author drafts, signs and corrects, the head of unit approves,
    the case's prosecutor agrees, the worker seals."""
    return {
        A.APPROVE: supervisor,
        A.RETURN: supervisor,
        A.AGREE: prosecutor,
        A.REFUSE: prosecutor,
        A.SEAL: system,
    }.get(action, investigator)


def row_counts() -> dict[str, int]:
    return {
        m._meta.label_lower: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in NOT_COUNTED
    }


def test_acts_are_numbered_within_their_case(case, investigator, act_type):
    first, second = draft(case, investigator, act_type), draft(case, investigator, act_type)
    assert (first.number, second.number) == (1, 2)


SWEEP = [
    pytest.param(shape, status, action, id=f"{shape_name(shape)}-{status}-{action}")
    for shape in (BOTH, APPROVAL, AGREEMENT, NEITHER)
    for status, action in itertools.product(reachable(shape), A.values)
]


@pytest.mark.parametrize("shape,status,action", SWEEP)
def test_every_status_and_action_pair_of_every_shape(
    case, investigator, supervisor, prosecutor, system, shape, status, action
):
    act = act_in(status, case, investigator, supervisor, note_type(shape), system, prosecutor)
    actor = entitled(action, investigator, supervisor, system, prosecutor)
    arguments = {"reason": "Причина", "pdf_sha256": PDF_HASH if action == A.SEAL else ""}
    expected = EXPECTED[shape].get((status, action))
    if expected is not None:
        steps = ActTransition.objects.filter(act=act).count()
        events = AuditEvent.objects.filter(case_id=case.pk).count()
        signatures = set(ActRendering.objects.filter(act=act).values_list("pk", flat=True))
        moved = act_transition(act_id=act.pk, action=action, actor=actor, **arguments)
        assert moved.status == expected
        assert ActTransition.objects.filter(act=act).count() == steps + 1
        # A refusal also draws up and signs the prosecutor's own act (issue #17): its two events come first.
        decision_events = 2 if action == A.REFUSE else 0
        assert AuditEvent.objects.filter(case_id=case.pk).count() == events + decision_events + 1
        step = ActTransition.objects.filter(act=act).latest("id")
        assert (step.decision_act is not None) == (action == A.REFUSE)
        assert (step.act_id, step.action, step.from_status, step.to_status, step.actor) == (
            act.pk,
            action,
            status,
            expected,
            actor,
        )
        assert step.reason == "Причина" and step.act_version == moved.version
        event = AuditEvent.objects.filter(case_id=case.pk).latest("seq")
        assert (event.event, event.data["action"], event.actor) == ("act.transition", action, actor)
        # A step that signs queues exactly its signer's signature; no other step queues one.
        queued = ActRendering.objects.filter(act=act).exclude(pk__in=signatures)
        if action in SIGNS:
            assert list(queued.values_list("role", "signer")) == [(SIGNS[action], actor.pk)]
        else:
            assert not queued.exists()
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

    act = act_transition(act_id=draft(case, investigator, act_type).pk, action=ActAction.SIGN, actor=investigator)
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


def test_only_the_system_seals_and_the_system_does_nothing_else(
    case, investigator, supervisor, prosecutor, act_type, system
):
    approved = act_in(ActStatus.APPROVED, case, investigator, supervisor, act_type, system)
    before = row_counts()
    for person in (supervisor, investigator, prosecutor):
        with pytest.raises(NotAllowed):
            act_transition(act_id=approved.pk, action=ActAction.SEAL, actor=person, pdf_sha256=PDF_HASH)
    assert row_counts() == before
    drafted = draft(case, investigator, act_type)
    before = row_counts()
    with pytest.raises(NotAllowed):
        act_transition(act_id=drafted.pk, action=ActAction.SIGN, actor=system)
    assert row_counts() == before


def test_a_person_named_like_the_system_is_not_the_system(astana):
    impostor = make_user(SYSTEM_USERNAME, "administrator", None)  # has a password
    assert not is_system_actor(impostor)


def test_sealing_needs_the_sha256_of_the_pdf(case, investigator, supervisor, act_type, system):
    act = act_in(ActStatus.APPROVED, case, investigator, supervisor, act_type, system)
    with pytest.raises(ValidationError):
        act_transition(act_id=act.pk, action=ActAction.SEAL, actor=system, pdf_sha256="not-a-digest")
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.APPROVED


@pytest.mark.parametrize(
    "action,status",
    [
        (ActAction.RETURN, ActStatus.SUBMITTED),
        (ActAction.REFUSE, ActStatus.AWAITING_AGREEMENT),
        (ActAction.SUPERSEDE, ActStatus.SIGNED),
    ],
)
def test_a_return_a_refusal_and_a_correction_need_a_reason(
    case, investigator, supervisor, prosecutor, act_type, system, action, status
):
    act = act_in(status, case, investigator, supervisor, act_type, system)
    before = row_counts()
    with pytest.raises(ValidationError):
        act_transition(
            act_id=act.pk,
            action=action,
            actor=entitled(action, investigator, supervisor, system, prosecutor),
            reason=" ",
        )
    assert row_counts() == before


def test_the_authors_signature_freezes_a_snapshot_and_each_signing_step_queues_one_signature(
    case, investigator, supervisor, prosecutor, act_type, system
):
    act = act_in(ActStatus.APPROVED, case, investigator, supervisor, act_type, system)
    signed_content = ActTransition.objects.get(act=act, action=ActAction.SIGN).act_version
    assert act.content_version == signed_content
    renderings = list(ActRendering.objects.filter(act=act).order_by("step"))
    assert [(r.role, r.step, r.signer, r.act_version, r.state, r.published_at) for r in renderings] == [
        ("author", 1, investigator, signed_content, RenderingState.QUEUED, None),
        ("approver", 2, supervisor, signed_content, RenderingState.QUEUED, None),
        ("prosecutor", 3, prosecutor, signed_content, RenderingState.QUEUED, None),
    ]
    first = renderings[0].snapshot
    assert first["case"]["registration_number"] == case.registration_number
    assert first["author"]["name"] == investigator.get_full_name()
    assert first["act"]["version"] == signed_content
    assert renderings[1].snapshot == renderings[2].snapshot == {}  # the later signatures sign the same PDF
    # One signature per role and per step of a signed content: a second row is refused.
    for duplicate in ({"role": "approver", "step": 4}, {"role": "author", "step": 2}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ActRendering.objects.create(act=act, act_version=signed_content, snapshot={}, **duplicate)


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
    assert [s.action for s in act.transitions.all()] == [ActAction.SIGN, ActAction.APPROVE, ActAction.AGREE]


def test_a_correction_supersedes_the_signed_act_which_stays(case, investigator, supervisor, act_type, system):
    victim = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data()
    )
    old = act_transition(
        act_id=draft(
            case, investigator, act_type, body="Текст", fields={"summary": "Итог"}, participant_ids=[victim.pk]
        ).pk,
        action=ActAction.SIGN,
        actor=investigator,
    )
    act_transition(act_id=old.pk, action=ActAction.APPROVE, actor=supervisor)
    act_transition(act_id=old.pk, action=ActAction.AGREE, actor=case.prosecutor)
    old = act_seal(act_id=old.pk, pdf_sha256=PDF_HASH, system_actor=system)
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
            act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
        assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.DRAFT
