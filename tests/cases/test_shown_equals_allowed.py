"""What the pages and the API offer is exactly what the services accept (issue #14, item 1).

The buttons of the act page, the API's ``actions`` and the case page's decision list come from
the same functions the services ask (``act_transitions.act_action_refusal``,
``transitions.case_action_refusal``). These tests hold them to it from the outside: for every act
status × person (author or not, each role, an outsider) and every case status × person, each
step is tried through the service itself, in a savepoint that is rolled back, and the steps it
accepts must be exactly the steps listed.
"""

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction

from cases import access
from cases.act_transitions import ActAction, act_actions
from cases.choices import ActStatus, CaseAction, CaseStatus
from cases.models import Case, ProceduralAct, ProceduralActType
from cases.services.act_workflow import act_seal, act_transition
from cases.services.acts import act_create, act_withdraw
from cases.services.case import case_assign, case_transition
from cases.system_actor import system_actor
from cases.transitions import CASE_TRANSITIONS, DECREE_ACTIONS, open_actions
from tests.cases.decrees import decree_move
from tests.cases.signing_helpers import certify
from tests.factories import author_only_requirement, register


class _Rollback(Exception):
    pass


def accepted(step) -> bool:
    """Whether ``step()`` goes through; whatever it wrote is rolled back."""
    try:
        with transaction.atomic():
            step()
            raise _Rollback
    except _Rollback:
        return True
    except (ValidationError, PermissionDenied, ObjectDoesNotExist):
        return False


@pytest.fixture
def people(investigator, colleague, supervisor, prosecutor, outsider):
    return {
        "lead": investigator,
        "group member": colleague,
        "supervisor": supervisor,
        "prosecutor": prosecutor,
        "outsider": outsider,
    }


@pytest.fixture
def grouped(investigator, colleague, supervisor, prosecutor):
    case = register(actor=investigator, prosecutor=prosecutor)
    case_assign(
        case_id=case.pk,
        actor=supervisor,
        lead_investigator=investigator,
        group=[colleague],
        prosecutor=prosecutor,
        reason="Группа",
    )
    return case


def act_in(status: str, *, case, author, supervisor) -> ProceduralAct:
    """An act whose requirements call for every decision (the head of unit's, then the prosecutor's)."""
    note = ProceduralActType.objects.get_or_create(
        code="shown_note", defaults={"name_ru": "Справка", "name_kk": "Анықтама", "kind": "other"}
    )[0]
    author_only_requirement(note, approval_article="test", agreement_article="test", agreement_hours=24)
    act = act_create(case_id=case.pk, actor=author, act_type=note, language="ru", place="Астана")
    prosecutor = case.prosecutor
    if status == "withdrawn":
        act_withdraw(act_id=act.pk, actor=author, reason="Ошибочно")
    if status != ActStatus.DRAFT and status != "withdrawn":
        act_transition(act_id=act.pk, action=ActAction.SIGN, actor=author)
    if status == ActStatus.RETURNED:
        act_transition(act_id=act.pk, action=ActAction.RETURN, actor=supervisor, reason="Доработать")
    if status in (ActStatus.AWAITING_AGREEMENT, ActStatus.REFUSED, ActStatus.APPROVED, ActStatus.SIGNED):
        act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)
    if status == ActStatus.REFUSED:
        act_transition(act_id=act.pk, action=ActAction.REFUSE, actor=prosecutor, reason="Не согласен")
    if status in (ActStatus.APPROVED, ActStatus.SIGNED):
        act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    if status == ActStatus.SIGNED:
        act_seal(act_id=act.pk, pdf_sha256="0" * 64, system_actor=system_actor())
    act = ProceduralAct.objects.get(pk=act.pk)
    assert act.status == (ActStatus.DRAFT if status == "withdrawn" else status)
    return act


ACT_STATUSES = list(ActStatus)
# Who may take which step, per status (besides the matrix, which checks listed == accepted).
EXPECTED_OFFERS = {
    ActStatus.DRAFT: {"author": {ActAction.SIGN}},
    ActStatus.SUBMITTED: {"supervisor": {ActAction.APPROVE, ActAction.RETURN}},
    ActStatus.AWAITING_AGREEMENT: {"prosecutor": {ActAction.AGREE, ActAction.REFUSE}},
    ActStatus.RETURNED: {"author": {ActAction.REVISE}},
    ActStatus.REFUSED: {"author": {ActAction.REVISE}},
    ActStatus.APPROVED: {},
    # A correction is drafted by whoever works on the case (CHANGE), not only the signed act's author.
    ActStatus.SIGNED: {"author": {ActAction.SUPERSEDE}, "other investigator": {ActAction.SUPERSEDE}},
    "withdrawn": {},
}


@pytest.mark.parametrize("status", [*ACT_STATUSES, "withdrawn"])
@pytest.mark.parametrize("author_name", ["lead", "group member"])
def test_the_act_steps_listed_are_the_steps_the_service_accepts(status, author_name, people, grouped):
    act = act_in(status, case=grouped, author=people[author_name], supervisor=people["supervisor"])
    offered_somewhere = set()
    offers = {}
    for name, person in people.items():
        listed = set(act_actions(ProceduralAct.objects.select_related("case").get(pk=act.pk), person))
        taken = {
            action
            for action in ActAction
            if accepted(
                lambda action=action, person=person: act_transition(
                    act_id=act.pk, action=action, actor=person, reason="Причина", pdf_sha256="0" * 64
                )
            )
        }
        assert listed == taken, f"{status}, author {author_name}, {name}: listed {listed}, accepted {taken}"
        offered_somewhere |= listed
        if listed:
            role = name if name not in ("lead", "group member") else "other investigator"
            offers["author" if name == author_name else role] = listed
    # The matrix is not vacuous: every status but the settled ones offers someone a step, and
    # each step only to the person the law gives it to (the other investigator on the case holds
    # CHANGE too, and may not sign or revise another's act).
    assert bool(offered_somewhere) == (status not in (ActStatus.APPROVED, "withdrawn"))
    assert offers == EXPECTED_OFFERS[status]


def test_the_rendering_workers_step_is_listed_for_nobody_and_taken_by_the_worker_only(people, grouped):
    act = act_in(ActStatus.APPROVED, case=grouped, author=people["lead"], supervisor=people["supervisor"])
    assert all(ActAction.SEAL not in act_actions(act, person) for person in people.values())
    worker = system_actor()
    assert accepted(lambda: act_seal(act_id=act.pk, pdf_sha256="0" * 64, system_actor=worker))


def case_in(status: str, *, lead, supervisor, prosecutor) -> Case:
    case = register(actor=lead, prosecutor=prosecutor)
    steps = {
        CaseStatus.REGISTERED: [],
        CaseStatus.INVESTIGATING: [CaseAction.START],
        CaseStatus.INTERRUPTED: [CaseAction.START, CaseAction.INTERRUPT],
        CaseStatus.SENT_TO_PROSECUTOR: [CaseAction.START, CaseAction.SEND_TO_PROSECUTOR],
        CaseStatus.TERMINATED: [CaseAction.START, CaseAction.TERMINATE],
        CaseStatus.SENT_TO_COURT: [CaseAction.START, CaseAction.SEND_TO_PROSECUTOR, CaseAction.SEND_TO_COURT],
    }[status]
    for action in steps:
        if action in DECREE_ACTIONS:  # the effect of a decree in force (issue #18)
            for user in (lead, supervisor, prosecutor):
                certify(user)
            decree_move(case, action, lead, approver=supervisor)
        else:
            case_transition(case_id=case.pk, action=action, actor=lead, reason="Основание", ground="ст. 45 УПК РК")
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize("status", list(CaseStatus))
def test_the_case_decisions_listed_are_the_steps_the_service_accepts(signing, status, people):
    case = case_in(status, lead=people["lead"], supervisor=people["supervisor"], prosecutor=people["prosecutor"])
    offered_somewhere = set()
    for name, person in people.items():
        listed = set(open_actions(case, person, held=access.case_actions(person, case)))
        taken = {
            action
            for action in CaseAction
            if accepted(
                lambda action=action, person=person: case_transition(
                    case_id=case.pk, action=action, actor=person, reason="Основание", ground="ст. 35 УПК РК"
                )
            )
        }
        assert listed == taken, f"{status}, {name}: listed {listed}, accepted {taken}"
        offered_somewhere |= listed
    # Someone is offered every step of the table from this status that is a decision of its own; the
    # steps of a decree in force are offered to nobody (issue #18).
    direct = {a for (s, a) in CASE_TRANSITIONS if s == status and a not in DECREE_ACTIONS}
    assert offered_somewhere == direct
