"""Need-to-know: Case.objects.restrict() and the grants that follow the assignment."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from cases.choices import Gravity, ParticipantRole
from cases.models import Case, Participant, Person
from cases.services.case import case_assign, case_update
from cases.services.participants import participant_add
from tests.cases.decrees import requalified
from tests.factories import make_user, person_data, register


def visible(user, action="view"):
    return set(Case.objects.restrict(user, action))


def test_investigator_sees_own_cases_only(case, investigator, colleague, outsider):
    theirs = register(actor=colleague)
    assert visible(investigator) == {case}
    assert visible(colleague) == {theirs}
    assert visible(outsider) == set()


def test_supervisor_sees_the_units_cases_and_those_of_units_below(case, supervisor, astana_district, outsider):
    district_investigator = make_user("district", Role.INVESTIGATOR, astana_district)
    below = register(actor=district_investigator)
    foreign = register(actor=outsider)
    assert visible(supervisor) == {case, below}
    assert foreign not in visible(supervisor)
    assert visible(supervisor, "change") == set()  # supervisors do not edit case content
    assert visible(supervisor, "approve") == {case, below}


def test_a_district_supervisor_does_not_see_the_region(case, astana_district):
    district_head = make_user("district.head", Role.SUPERVISOR, astana_district)
    assert visible(district_head) == set()


def test_prosecutor_sees_supervised_cases_read_only(case, prosecutor, investigator):
    other = register(actor=investigator)
    assert visible(prosecutor) == {case}
    assert other not in visible(prosecutor)
    assert visible(prosecutor, "change") == set()


def test_administrator_and_superuser_see_no_case(case, admin):
    assert admin.is_superuser
    assert visible(admin) == set()
    assert not Participant.objects.restrict(admin).exists()


def test_an_inactive_or_anonymous_user_sees_nothing(case, investigator):
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()
    investigator.is_active = False
    assert visible(investigator) == set()


def test_a_grave_case_is_seen_only_by_its_assigned_supervisor(investigator, supervisor, astana):
    other_head = make_user("deputy.head", Role.SUPERVISOR, astana)
    grave = register(actor=investigator, articles=("99-1",), form="investigation", supervisor=supervisor)
    ordinary = register(actor=investigator)
    assert grave.gravity >= Gravity.GRAVE
    assert visible(supervisor) == {grave, ordinary}
    assert visible(other_head) == {ordinary}


def test_a_grave_case_cannot_be_registered_without_a_supervisor(investigator):
    with pytest.raises(ValidationError) as error:
        register(actor=investigator, articles=("99-1",), form="investigation")
    assert "supervisor" in error.value.message_dict
    assert not Case.objects.exists()


def test_requalifying_to_a_grave_article_hides_the_case_from_the_unit(
    signing, case, investigator, supervisor, prosecutor, astana
):
    case_assign(
        case_id=case.pk,
        actor=supervisor,
        lead_investigator=investigator,
        supervisor=supervisor,
        prosecutor=prosecutor,  # who agrees the qualification decree
        reason="Назначен куратор",
    )
    other_head = make_user("deputy.head", Role.SUPERVISOR, astana)
    assert case in visible(other_head)
    # A grave case runs as a preliminary investigation (cases/proceedings_forms.py): the form changes first.
    case_update(
        case_id=case.pk,
        actor=investigator,
        expected_version=Case.objects.get(pk=case.pk).version,
        reason="Признаки особо тяжкого",
        proceedings_form="investigation",
    )
    requalified(case, investigator, ["99-1"])  # the qualification decree in force (issue #18)
    assert case not in visible(other_head)
    assert case in visible(supervisor)


def test_reassignment_revokes_the_old_investigator_at_once(case, investigator, colleague, supervisor):
    case_assign(case_id=case.pk, actor=supervisor, lead_investigator=colleague, reason="Отпуск следователя")
    assert case not in visible(investigator)
    assert case in visible(colleague, "change")


def test_children_and_persons_are_visible_only_through_their_case(case, investigator, outsider):
    participant = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data()
    )
    assert list(Participant.objects.restrict(investigator)) == [participant]
    assert not Participant.objects.restrict(outsider).exists()
    assert list(Person.objects.restrict(investigator)) == [participant.person]
    assert not Person.objects.restrict(outsider).exists()


def test_restrict_is_one_query_once_the_permission_and_the_groups_are_known(case, investigator, supervisor, superior):
    # The shape restrict() gives the planner (cases/models/case.py): the permission id is cached
    # per process, the user's groups on the user object (once per request); then one query.
    list(Case.objects.restrict(investigator))
    with CaptureQueriesContext(connection) as queries:
        list(Case.objects.restrict(investigator).select_related("unit"))
    assert len(queries) == 1
    assert "EXISTS" not in queries[0]["sql"]  # no groups: pk IN (the user's grants)
    fresh = type(supervisor).objects.get(pk=supervisor.pk)  # as a new request loads it
    with CaptureQueriesContext(connection) as queries:
        list(Case.objects.restrict(fresh))
        list(Case.objects.restrict(fresh))
    assert len(queries) == 3  # the groups (with the supervised unit) once, the cases twice
    sql = queries[-1]["sql"]
    # A supervisor's group grants are read by their rule on the case's own column, not from the table.
    assert "region_unit_id" in sql and "groupobjectpermission" not in sql
    fresh = type(superior).objects.get(pk=superior.pk)
    with CaptureQueriesContext(connection) as queries:
        list(Case.objects.restrict(fresh))
        list(Case.objects.restrict(fresh))
    assert len(queries) == 4  # the groups once, the capped size of the scope once, the cases twice
    assert "EXISTS" not in queries[-1]["sql"]  # a small scope: pk IN (user grants UNION ALL group grants)
    assert "UNION ALL" in queries[-1]["sql"]


@pytest.fixture
def large_scopes(monkeypatch):
    """Every superior prosecutor's scope counts as large (cases/access/scope.py SMALL_SCOPE): the shape
    of 1,000,000 cases, on test data."""
    from cases.access import scope as case_module

    monkeypatch.setattr(case_module, "SMALL_SCOPE", 1)


def test_a_large_scope_is_walked_with_one_unhashable_exists(case, superior, large_scopes):
    fresh = type(superior).objects.get(pk=superior.pk)
    with CaptureQueriesContext(connection) as queries:
        assert visible(fresh) == {case}
        assert visible(fresh) == {case}
    assert len(queries) == 4
    sql = queries[-1]["sql"]
    assert sql.count("EXISTS") == 1 and "UNION ALL" in sql  # one correlated subquery over both grant tables
    if connection.vendor == "postgresql":
        plan = Case.objects.restrict(fresh).order_by("-registered_at", "-pk")[:25].explain()
        assert "hashed SubPlan" not in plan, plan  # probed per case, not every grant hashed first


@pytest.mark.parametrize("scope", ["small", "large"])
def test_both_shapes_of_a_superiors_scope_see_the_same_cases(
    case, superior, supervisor, prosecutor, investigator, outsider, monkeypatch, scope
):
    from cases.access import scope as case_module

    if scope == "large":
        monkeypatch.setattr(case_module, "SMALL_SCOPE", 1)
    grave = register(
        actor=investigator, articles=("99-1",), form="investigation", supervisor=supervisor, prosecutor=prosecutor
    )
    foreign = register(actor=outsider)
    fresh = type(superior).objects.get(pk=superior.pk)
    seen = visible(fresh)
    assert {case, grave} <= seen and foreign not in seen
    assert Case.objects.restrict(fresh).count() == len(seen)
    assert set(Participant.objects.restrict(fresh).values_list("case_id", flat=True)) <= {c.pk for c in seen}


def test_a_supervisors_scope_is_the_subtree_without_grave_cases_but_their_own(
    case, supervisor, investigator, astana_district, outsider
):
    grave = register(actor=investigator, articles=("99-1",), form="investigation", supervisor=supervisor)  # user grant
    other_head = make_user("other.head", Role.SUPERVISOR, supervisor.unit)
    foreign = register(actor=outsider)
    fresh = type(supervisor).objects.get(pk=supervisor.pk)
    seen = visible(fresh)
    assert seen == {case, grave} and foreign not in seen
    assert Case.objects.restrict(fresh).count() == len(seen)
    assert set(Participant.objects.restrict(fresh).values_list("case_id", flat=True)) <= {c.pk for c in seen}
    assert visible(other_head) == {case}  # the grave case only for its assigned supervisor
    district = make_user("district.head", Role.SUPERVISOR, astana_district)
    assert case not in visible(district)  # the region's case is not the district's


def test_joining_a_group_shows_its_cases_to_the_same_user_object(case, taraz, astana):
    from accounts.services import sync_memberships

    head = make_user("moved.head", Role.SUPERVISOR, taraz)
    assert visible(head) == set()  # its groups (Taraz's) are now cached on the object
    head.unit = astana  # as the unit-change service does (stored), which then derives the groups
    head.save(update_fields=["unit"])
    sync_memberships(head)
    assert visible(head) == {case}


def test_an_unknown_action_is_a_programming_error(investigator):
    with pytest.raises(ValueError):
        Case.objects.restrict(investigator, "delete")
