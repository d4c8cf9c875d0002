"""Every (status, action) pair of the case status machine: the table's succeed, all others are refused.

The steps of ``DECREE_ACTIONS`` are taken by a decree in force (issue #18, tests/cases/decrees.py); the
direct service refuses them, and every other pair, changing nothing."""

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from cases import access
from cases.choices import CaseAction, CaseStatus
from cases.models import Case, Interruption
from cases.services.case import case_transition
from cases.services.decisions import CASE_DECISION_TYPES
from cases.services.term import deadline_extend
from cases.transitions import CASE_TRANSITIONS, DECREE_ACTIONS
from ecase.errors import NotAllowed
from tests.cases.decrees import decree_in_force, suspect_in_force
from tests.cases.signing_helpers import certify
from tests.factories import register

# The act whose effect takes each decree step, and its fields.
DECREES = {
    CaseAction.INTERRUPT: ("term_interruption", {"ground": "suspect_hiding"}),
    CaseAction.RESUME: ("term_resumption", {}),
    CaseAction.TERMINATE: ("case_termination", {"ground": "no_corpus"}),
    CaseAction.SEND_TO_PROSECUTOR: ("completion_report", {}),
    CaseAction.SEND_TO_COURT: ("indictment", {}),
}

# How to bring a fresh case into each status, as (action, actor-name) steps.
PATHS = {
    CaseStatus.REGISTERED: [],
    CaseStatus.INVESTIGATING: [(CaseAction.START, "investigator")],
    CaseStatus.INTERRUPTED: [(CaseAction.START, "investigator"), (CaseAction.INTERRUPT, "investigator")],
    CaseStatus.SENT_TO_PROSECUTOR: [
        (CaseAction.START, "investigator"),
        (CaseAction.SEND_TO_PROSECUTOR, "investigator"),
    ],
    CaseStatus.TERMINATED: [(CaseAction.START, "investigator"), (CaseAction.TERMINATE, "investigator")],
    CaseStatus.SENT_TO_COURT: [
        (CaseAction.START, "investigator"),
        (CaseAction.SEND_TO_PROSECUTOR, "investigator"),
        (CaseAction.SEND_TO_COURT, "investigator"),
    ],
}
ALL_PAIRS = list(itertools.product(CaseStatus.values, CaseAction.values))


def actor_for(action: str) -> str:
    """The person entitled to the action wherever the table allows it."""
    needed = {entry[1] for (status, a), entry in CASE_TRANSITIONS.items() if a == action}
    return "prosecutor" if needed == {access.PROSECUTE} else "investigator"


def direct(case, action, actor):
    return case_transition(
        case_id=case.pk, action=action, actor=actor, reason="Основание указано", ground="п. 1 ч. 1 ст. 45 УПК"
    )


def move(case, action, people):
    """Take the step as the law has it: a decree in force, or the direct decision where it is one."""
    if action not in DECREE_ACTIONS:
        return direct(case, action, people[actor_for(action)])
    code, fields = DECREES[action]
    investigator = people["investigator"]
    if code == "completion_report":
        fields = {"suspects": [suspect_in_force(case, investigator).pk]}
    if code == "indictment":
        fields = {"accused": case.participants.get(role="suspect").pk}
    decree_in_force(case, investigator, code, approver=people["supervisor"], **fields)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def people(signing, investigator, supervisor, prosecutor):
    for user in (investigator, supervisor, prosecutor):
        certify(user)
    return {"investigator": investigator, "supervisor": supervisor, "prosecutor": prosecutor}


def case_in(status, people):
    case = register(actor=people["investigator"], prosecutor=people["prosecutor"], days_ago=5)
    for action, _who in PATHS[status]:
        case = move(case, action, people)
    return Case.objects.get(pk=case.pk)


def test_every_status_is_reachable_and_every_status_is_in_the_table():
    assert set(PATHS) == set(CaseStatus.values)
    assert {s for s, _ in CASE_TRANSITIONS} | {t for t, _ in CASE_TRANSITIONS.values()} == set(CaseStatus.values)


@pytest.mark.parametrize("status,action", [p for p in ALL_PAIRS if p in CASE_TRANSITIONS])
def test_allowed_transition_succeeds_and_writes_one_audit_event(people, status, action):
    case = case_in(status, people)
    events_before = AuditEvent.objects.filter(case_id=case.pk).count()
    moved = move(case, action, people)
    assert moved.status == CASE_TRANSITIONS[(status, action)][0]
    assert Case.objects.get(pk=case.pk).status == moved.status
    events = AuditEvent.objects.filter(case_id=case.pk).order_by("seq")[events_before:]
    transitions = [e for e in events if e.event == "case.transition"]
    assert len(transitions) == 1 and transitions[0].data["from"] == status and transitions[0].data["action"] == action
    if action in DECREE_ACTIONS:
        # The decree's seal made the change, and the change names it.
        assert transitions[0].data["decision_act"] == case.status_changes.get(action=action).decision_act_id
    else:
        # A prosecutor's decision draws up and signs its own act first (issue #17): its two events come before.
        decision_events = ["act.created", "act.transition"] if action in CASE_DECISION_TYPES else []
        assert [e.event for e in events] == [*decision_events, "case.transition"]


@pytest.mark.parametrize("status,action", [p for p in ALL_PAIRS if p not in CASE_TRANSITIONS])
def test_refused_transition_changes_nothing(people, status, action):
    case = case_in(status, people)
    before = (Case.history.filter(id=case.pk).count(), AuditEvent.objects.count(), Interruption.objects.count())
    with pytest.raises(ValidationError):
        direct(case, action, people[actor_for(action)])
    assert Case.objects.get(pk=case.pk).status == status
    assert (Case.history.filter(id=case.pk).count(), AuditEvent.objects.count(), Interruption.objects.count()) == before


@pytest.mark.parametrize("status,action", list(CASE_TRANSITIONS))
def test_the_wrong_role_is_refused(people, status, action):
    case = case_in(status, people)
    # The prosecutor's decisions are theirs alone (issue #17); the investigator's steps are not the prosecutor's.
    for wrong in ("investigator" if actor_for(action) == "prosecutor" else "prosecutor", "supervisor"):
        with pytest.raises(NotAllowed):
            direct(case, action, people[wrong])
    assert Case.objects.get(pk=case.pk).status == status


def test_interruption_stops_the_clock_and_resumption_adds_the_stopped_days(people):
    case = case_in(CaseStatus.INVESTIGATING, people)
    original = case.deadline
    three_days_ago = timezone.localdate() - timedelta(days=3)
    decree_in_force(case, people["investigator"], "term_interruption", interrupted_from=three_days_ago.isoformat())
    assert Case.objects.get(pk=case.pk).deadline is None
    decree_in_force(case, people["investigator"], "term_resumption", resumed_from=timezone.localdate().isoformat())
    case = Case.objects.get(pk=case.pk)
    assert case.deadline == original + timedelta(days=3)
    interruption = Interruption.objects.get(case=case)
    assert (interruption.started_on, interruption.ended_on) == (three_days_ago, timezone.localdate())


def test_the_prosecutor_extends_the_term_as_themself_and_nobody_else_can(people):
    case = case_in(CaseStatus.INVESTIGATING, people)
    original = case.deadline
    for who in ("investigator", "supervisor"):
        with pytest.raises(NotAllowed):
            deadline_extend(case_id=case.pk, actor=people[who], days=30, reason="Нужна экспертиза")
    extension = deadline_extend(case_id=case.pk, actor=people["prosecutor"], days=30, reason="Постановление прокурора")
    assert extension.granted_by == people["prosecutor"]
    assert extension.history.first().history_user == people["prosecutor"]  # entered by them, not for them
    assert Case.objects.get(pk=case.pk).deadline == original + timedelta(days=30)


@pytest.mark.parametrize(
    "form,articles,expected_days",
    # The protocol form is for criminal misdemeanours only (cases/data/proceedings_forms.json).
    [("protocol", ("293-1",), 10), ("expedited", ("188-1",), 15), ("inquiry", ("188-1",), 30)],
)
def test_the_term_depends_on_the_form_of_proceedings(investigator, form, articles, expected_days):
    case = register(actor=investigator, form=form, articles=articles, days_ago=0)
    assert (case.deadline - timezone.localdate(case.registered_at)).days == expected_days


def test_a_preliminary_investigation_lasts_two_calendar_months(investigator):
    from cases.deadlines import add_months

    case = register(actor=investigator, form="investigation", days_ago=0)
    assert case.deadline == add_months(timezone.localdate(case.registered_at), 2)


def test_a_termination_is_refused_directly_naming_the_decree(people):
    case = case_in(CaseStatus.INVESTIGATING, people)
    with pytest.raises(ValidationError) as error:
        direct(case, CaseAction.TERMINATE, people["investigator"])
    assert error.value.code == "decree_needed" and "прекращении" in error.value.message
    assert Case.objects.get(pk=case.pk).status == CaseStatus.INVESTIGATING
