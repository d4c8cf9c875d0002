"""The superior prosecutor of the office (issue #17 item 3).

The head of a prosecutor's office (or a deputy), designated by an administrator, holds the
procedural prosecutor's rights on every case supervised from the office or an office below it,
through the office's superiors group; their decisions are recorded as theirs. A membership that
role, unit, flag and activity do not imply reaches nothing, whoever wrote it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role, UnitKind
from accounts.models import User
from accounts.services import (
    office_superiors_group,
    unit_supervisors_group,
    unit_update,
    user_deactivate,
    user_update,
)
from audit.choices import EventType
from audit.models import AuditEvent
from cases import access
from cases.act_transitions import ActAction, act_actions
from cases.choices import ActStatus, CaseAction, CaseStatus
from cases.models import ActTransition, Case, DeadlineExtension
from cases.services.act_workflow import act_transition
from cases.services.case import case_assign, case_transition
from cases.services.term import deadline_extend
from ecase.errors import NotAllowed, OutOfScope
from ecase.history import save_attributed
from tests.auth import verified_client
from tests.cases.decrees import decree_move
from tests.cases.signing_helpers import author_signed_act, certify, render_in_process
from tests.factories import UnitFactory, make_user, register


def fresh(user: User) -> User:
    """The user as the next request loads them (no ids cached on the object)."""
    return User.objects.get(pk=user.pk)


def visible(user: User) -> set[Case]:
    return set(Case.objects.restrict(fresh(user)))


@pytest.fixture
def district_office(prosecutors_office):
    return UnitFactory(code="ASTP1", parent=prosecutors_office, kind=UnitKind.PROSECUTOR_OFFICE, city="Астана")


@pytest.fixture
def taraz_office(reference_data):
    return UnitFactory(code="TRZP", kind=UnitKind.PROSECUTOR_OFFICE, city="Тараз")


# --- decisions --------------------------------------------------------------------------------------


def test_the_superior_agrees_to_an_act_of_a_subordinate_prosecutors_case_as_their_own_signature(
    case, investigator, prosecutor, superior, signing
):
    certify(investigator)
    certify(superior)
    act = author_signed_act(case, investigator, code="suspect_recognition")
    assert act_actions(act, fresh(superior)) == [ActAction.AGREE, ActAction.REFUSE]
    act = act_transition(act_id=act.pk, action=ActAction.AGREE, actor=fresh(superior))
    assert (act.status, act.agreed_by) == (ActStatus.APPROVED, superior)
    assert ActTransition.objects.get(act=act, action=ActAction.AGREE).actor == superior
    act = render_in_process(act)
    assert act.status == ActStatus.SIGNED and act.in_force
    signatures = list(act.renderings.order_by("step").values_list("role", "signer__username", "state"))
    assert signatures == [("author", "investigator", "signed"), ("prosecutor", "superior", "signed")]


def test_the_superior_refuses_extends_returns_and_reopens_as_themself(signing, case, investigator, superior):
    act = author_signed_act(case, investigator, code="suspect_recognition")
    act = act_transition(act_id=act.pk, action=ActAction.REFUSE, actor=fresh(superior), reason="Нет доказательств")
    assert act.status == ActStatus.REFUSED
    assert ActTransition.objects.get(act=act, action=ActAction.REFUSE).actor == superior

    deadline = Case.objects.get(pk=case.pk).deadline
    deadline_extend(case_id=case.pk, actor=fresh(superior), days=10, reason="Экспертиза")
    extension = DeadlineExtension.objects.get(case=case)
    assert extension.granted_by == superior and Case.objects.get(pk=case.pk).deadline == deadline + timedelta(days=10)

    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    decree_move(case, CaseAction.SEND_TO_PROSECUTOR, investigator, prosecutor=fresh(superior))
    case_transition(case_id=case.pk, action=CaseAction.RETURN, actor=fresh(superior), reason="Дополнить")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.INVESTIGATING
    returned = AuditEvent.objects.filter(case_id=case.pk, event=EventType.CASE_TRANSITION).order_by("-id").first()
    assert returned.actor_id == superior.pk and returned.data["action"] == CaseAction.RETURN
    decree_move(case, CaseAction.TERMINATE, investigator, prosecutor=fresh(superior))  # agreed by the superior
    case_transition(case_id=case.pk, action=CaseAction.REOPEN, actor=fresh(superior), reason="Прекращено незаконно")
    reopened = AuditEvent.objects.filter(case_id=case.pk, event=EventType.CASE_TRANSITION).order_by("-id").first()
    assert reopened.actor_id == superior.pk and reopened.data["action"] == CaseAction.REOPEN


def test_the_superior_changes_no_content_and_does_not_export(case, investigator, superior):
    assert access.case_actions(fresh(superior), case) == {access.VIEW, access.AUDIT, access.PROSECUTE}
    with pytest.raises(NotAllowed):
        case_transition(case_id=case.pk, action=CaseAction.START, actor=fresh(superior))


def test_a_prosecutor_of_another_office_or_a_colleague_without_the_flag_cannot(
    case, investigator, prosecutors_office, taraz_office, signing
):
    other_superior = make_user("superior.taraz", Role.PROSECUTOR, taraz_office, superior_prosecutor=True)
    colleague = make_user("prosecutor.colleague", Role.PROSECUTOR, prosecutors_office)
    act = author_signed_act(case, investigator, code="suspect_recognition")
    for user in (other_superior, colleague):
        assert case not in visible(user)
        with pytest.raises(OutOfScope):
            act_transition(act_id=act.pk, action=ActAction.AGREE, actor=fresh(user))
    assert act.__class__.objects.get(pk=act.pk).status == ActStatus.AWAITING_AGREEMENT


def test_the_office_above_sees_the_office_below_and_not_the_other_way(
    investigator, prosecutor, superior, district_office
):
    district_prosecutor = make_user("prosecutor.district", Role.PROSECUTOR, district_office)
    district_superior = make_user("superior.district", Role.PROSECUTOR, district_office, superior_prosecutor=True)
    city_case = register(actor=investigator, prosecutor=prosecutor)
    district_case = register(actor=investigator, prosecutor=district_prosecutor)
    assert visible(superior) == {city_case, district_case}
    assert visible(district_superior) == {district_case}


def test_grave_cases_are_the_superiors_too(investigator, supervisor, prosecutor, superior, astana):
    grave = register(actor=investigator, prosecutor=prosecutor, supervisor=supervisor, articles=("99-1",))
    head = make_user("astana.head", Role.SUPERVISOR, astana)
    assert grave in visible(superior)
    assert grave not in visible(head)  # the police chain's extended protection is untouched


# --- rights follow the flag, the office and the case's prosecutor -------------------------------------


def test_revoking_the_flag_removes_access_at_once(case, superior, admin):
    stale = fresh(superior)  # a request already running, holding the old flag
    assert case in visible(superior)
    user_update(actor=admin, user=superior, superior_prosecutor=False, reason="Освобождён от должности")
    assert visible(superior) == set()
    assert set(Case.objects.restrict(stale)) == set()  # the stored flag decides, not the object's
    assert not fresh(superior).groups.exists()
    event = AuditEvent.objects.filter(event=EventType.USER_CHANGED).order_by("-id").first()
    assert event.actor_id == admin.pk and event.data["changed"]["superior_prosecutor"] == [True, False]
    assert event.data["groups"]["removed"] == ["office-superiors:ASTP"]


def test_deactivating_the_superior_removes_access(case, superior, admin):
    user_deactivate(actor=admin, user=superior, reason="Уволен")
    assert visible(superior) == set()


def test_the_cases_grants_follow_its_prosecutor_to_another_office(
    case, supervisor, prosecutor, superior, taraz_office, admin
):
    other_superior = make_user("superior.taraz", Role.PROSECUTOR, taraz_office, superior_prosecutor=True)
    taraz_prosecutor = make_user("prosecutor.taraz", Role.PROSECUTOR, taraz_office)
    case_assign(
        case_id=case.pk,
        actor=supervisor,
        lead_investigator=case.lead_investigator,
        prosecutor=taraz_prosecutor,
        reason="Передача надзора",
    )
    assert case not in visible(superior) and case in visible(other_superior)
    # The prosecutor moves back to Astana: their cases' superiors move with them, in the same change.
    user_update(actor=admin, user=taraz_prosecutor, unit=superior.unit, reason="Перевод")
    assert case in visible(superior) and case not in visible(other_superior)
    event = AuditEvent.objects.filter(case_id=case.pk, event=EventType.PERMISSION_REVOKED).order_by("-id").first()
    assert event.actor_id == admin.pk


# --- a membership written by hand grants nothing ----------------------------------------------------


def test_a_hand_added_membership_grants_nothing(
    case, investigator, colleague, supervisor, prosecutor, superior, astana, taraz, taraz_office
):
    """Rows in the membership table that role, unit, flag and activity do not imply: nothing, for supervisors
    and prosecutors alike, even before the next ``sync_memberships`` would remove them."""
    superiors, supervisors = office_superiors_group(superior.unit), unit_supervisors_group(astana)
    plain = make_user("prosecutor.plain", Role.PROSECUTOR, superior.unit)
    taraz_head = make_user("taraz.head", Role.SUPERVISOR, taraz)
    taraz_superior = make_user("superior.taraz", Role.PROSECUTOR, taraz_office, superior_prosecutor=True)
    hand_made = {
        plain: supervisors,  # a prosecutor in a unit's supervisors' group
        colleague: superiors,  # an investigator in an office's superiors' group
        taraz_head: superiors,  # a supervisor in an office's superiors' group
        taraz_superior: superiors,  # a superior of another office in this office's group
    }
    with connection.cursor() as cursor:  # raw SQL: no service, no signal
        for user, group in hand_made.items():
            cursor.execute(
                f"INSERT INTO {User.groups.through._meta.db_table} (user_id, group_id) VALUES (%s, %s)",
                [user.pk, group.pk],
            )
    for user in hand_made:
        assert case not in visible(user), user.username
        assert access.allowed_actions(fresh(user), case.pk) == set(), user.username
    assert case in visible(superior) and case in visible(supervisor)  # the derived ones still count


def test_an_inactive_or_demoted_superior_is_a_member_of_nothing_that_counts(case, superior, admin):
    """The membership row left behind (written back by hand after the change) counts for nothing."""
    user_update(actor=admin, user=superior, superior_prosecutor=False, reason="Снят")
    fresh(superior).groups.add(office_superiors_group(superior.unit))  # by hand, past the services
    assert visible(superior) == set()


# --- the designation is valid only for a prosecutor of a prosecutor's office --------------------------


def test_only_a_prosecutor_of_an_office_is_designated(investigator, prosecutor, superior, admin, astana):
    with pytest.raises(ValidationError) as refused:
        user_update(actor=admin, user=investigator, superior_prosecutor=True)
    assert "superior_prosecutor" in refused.value.message_dict
    with pytest.raises(ValidationError):
        user_update(actor=admin, user=superior, unit=astana)  # a police unit: refused, not dropped silently
    with pytest.raises(ValidationError):
        user_update(actor=admin, user=superior, role=Role.INVESTIGATOR)
    assert fresh(superior).superior_prosecutor and fresh(superior).unit.kind == UnitKind.PROSECUTOR_OFFICE
    with transaction.atomic(), pytest.raises(IntegrityError):  # the database's own check
        User.objects.filter(pk=investigator.pk).update(superior_prosecutor=True)


def test_an_office_with_superiors_keeps_its_kind(superior, admin):
    with pytest.raises(ValidationError):
        unit_update(actor=admin, unit=superior.unit, kind=UnitKind.CITY)
    assert superior.unit.__class__.objects.get(pk=superior.unit.pk).kind == UnitKind.PROSECUTOR_OFFICE


def _card(user, **changes) -> dict:
    data = {
        "last_name": user.last_name,
        "first_name": user.first_name,
        "role": user.role,
        "unit": user.unit.code,
        "language": "en",
        "position": user.position,
    }
    if user.superior_prosecutor:
        data["superior_prosecutor"] = "on"
    return {**data, **changes}


def test_the_workspace_designates_a_superior_and_audits_it(case, prosecutor, investigator, admin):
    client = verified_client(admin)
    refused = client.post(reverse("manage:user", args=[investigator.pk]), _card(investigator, superior_prosecutor="on"))
    assert refused.status_code == 200 and "a superior prosecutor" in refused.content.decode()
    assert not fresh(investigator).superior_prosecutor

    head = make_user("prosecutor.head", Role.PROSECUTOR, prosecutor.unit)
    assert case not in visible(head)
    url = reverse("manage:user", args=[head.pk])
    assert "Superior prosecutor of the office" in client.get(url).content.decode()
    response = client.post(url, _card(head, superior_prosecutor="on", reason="Назначен прокурором города"))
    assert response.status_code == 302
    assert fresh(head).superior_prosecutor and case in visible(head)
    event = AuditEvent.objects.filter(event=EventType.USER_CHANGED).order_by("-id").first()
    assert event.actor_id == admin.pk and event.data["changed"] == {"superior_prosecutor": [False, True]}
    assert event.data["groups"]["added"] == [f"office-superiors:{prosecutor.unit.code}"]


# --- the dashboard and the list ---------------------------------------------------------------------


def test_the_dashboard_shows_the_offices_pending_and_overdue_agreements_to_the_superior(case, investigator, superior):
    overdue = author_signed_act(case, investigator, code="suspect_recognition")
    on_time = author_signed_act(case, investigator, code="qualification")
    overdue.agreement_due_at = timezone.now() - timedelta(hours=1)
    save_attributed(overdue, actor=investigator, reason="test: the clock ran out")
    page = verified_client(superior).get(reverse("home")).content.decode()
    assert 'id="agreement-queue"' in page and reverse("cases:act-review", args=[on_time.pk]) in page
    listed = page.split('id="overdue-agreements"', 1)[1].split("</table>", 1)[0]
    assert f"{overdue}" in listed and f"{on_time}" not in listed


def _list_queries(user) -> int:
    client = verified_client(user)
    client.get(reverse("cases:list"))  # per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    return len(captured)


def test_the_superiors_case_list_costs_the_same_queries_for_one_case_or_thirty(investigator, prosecutor, superior):
    register(actor=investigator, prosecutor=prosecutor)
    one = _list_queries(superior)
    for _ in range(29):
        register(actor=investigator, prosecutor=prosecutor)
    assert len(Case.objects.restrict(fresh(superior))) == 30
    assert _list_queries(superior) == one
    # Two more than the case's own prosecutor, as for a supervisor: the derived group ids and the
    # probe of the scope's size that picks the query's shape (cases/access/scope.py).
    assert one == _list_queries(prosecutor) + 2


def test_the_case_page_offers_the_export_by_the_export_rule(case, investigator, prosecutor, superior):
    """The link follows ``access.EXPORT``: the case's own prosecutor has it, the office's superior does not
    (and the export itself refuses them: 403, tests/policy_audit.py)."""
    url = reverse("cases:detail", args=[case.pk])
    export = reverse("cases:export", args=[case.pk])
    assert export in verified_client(prosecutor).get(url).content.decode()
    assert export in verified_client(investigator).get(url).content.decode()
    assert export not in verified_client(superior).get(url).content.decode()
    assert verified_client(superior).get(export).status_code == 403
