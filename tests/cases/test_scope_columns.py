"""A case's scope columns (migration cases 0021) and the supervisor's list read from them (issue #15).

``restrict`` reads a supervisor's group visibility from ``Case.region_unit`` / ``district_unit``
by the rule the group grants are derived from. These tests hold it to the grant tables: over a
generated world — every role, a superior prosecutor, grave and non-grave cases, a three-level
tree, reassigned supervisors, requalified cases, moved, demoted and deactivated people, a
membership added by hand — the cases each user may each action are those the grant tables give.
"""

import random

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from accounts.choices import Role, UnitKind
from accounts.models import Unit, User, ancestor_paths
from accounts.services import user_deactivate, user_update
from cases import access
from cases.access import scope
from cases.access.rules import ROLE_ACTIONS, holds_group_grants, role_allows
from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission
from cases.services.case import case_assign
from tests.cases.decrees import requalified
from tests.factories import UnitFactory, make_user, register

ACTIONS = sorted({a for actions in ROLE_ACTIONS.values() for a in actions})


def by_grant_tables(user, action: str) -> set[int]:
    """What ``restrict`` gave before the scope columns: the user's grants and their derived groups' grants."""
    if not (user.is_authenticated and user.is_active and role_allows(user, action)):
        return set()
    perm = scope._permission_id("default", action)
    ids = set(
        CaseUserObjectPermission.objects.filter(user_id=user.pk, permission_id=perm).values_list(
            "content_object_id", flat=True
        )
    )
    if holds_group_grants(user):
        groups = scope._group_ids(user, "default")
        ids |= set(
            CaseGroupObjectPermission.objects.filter(group_id__in=groups, permission_id=perm).values_list(
                "content_object_id", flat=True
            )
        )
    return ids


def assert_columns_follow_units() -> None:
    for case in Case.objects.select_related("unit"):
        paths = ancestor_paths(case.unit.path)
        expected = [Unit.objects.get(path=p).pk for p in paths[:2]] + [None]
        assert (case.region_unit_id, case.district_unit_id) == tuple(expected[:2]), case


@pytest.fixture
def world(reference_data, astana, astana_district, taraz, prosecutors_office, investigator, supervisor, admin, signing):
    rng = random.Random(15)
    sub = UnitFactory(
        code="AST1A", parent=astana_district, name_ru="Отдел", name_kk="Бөлім", kind=UnitKind.CITY, city="Астана"
    )
    taraz_district = UnitFactory(
        code="TRZ1", parent=taraz, name_ru="Район", name_kk="Аудан", kind=UnitKind.DISTRICT, city="Тараз"
    )
    units = [astana, astana_district, sub, taraz, taraz_district]
    investigators = {u.pk: make_user(f"inv.{u.code.lower()}", Role.INVESTIGATOR, u) for u in units}
    investigators[astana.pk] = investigator
    supervisors = {u.pk: make_user(f"head.{u.code.lower()}", Role.SUPERVISOR, u) for u in units}
    supervisors[astana.pk] = supervisor
    prosecutors = [make_user(f"pros.{i}", Role.PROSECUTOR, prosecutors_office) for i in range(2)]
    superior = make_user("superior.w", Role.PROSECUTOR, prosecutors_office, superior_prosecutor=True)
    cases = []
    for i in range(24):
        unit = units[i % len(units)]
        grave = i % 3 == 0
        # The assigned supervisor: the unit's own or one above it (grave cases need one).
        above = [s for s in supervisors.values() if unit.path.startswith(s.unit.path)]
        chosen = rng.choice(above) if grave or rng.random() < 0.4 else None
        cases.append(
            register(
                actor=investigators[unit.pk],
                articles=("99-1",) if grave else ("188-1",),
                form="investigation" if grave else None,
                supervisor=chosen,
                prosecutor=rng.choice([*prosecutors, None]),
                days_ago=i + 1,
            )
        )
    # Reassigned supervisors, requalified cases.
    for case in cases[1:6]:
        above = [s for s in supervisors.values() if case.unit.path.startswith(s.unit.path)]
        case_assign(
            case_id=case.pk,
            actor=supervisors[case.unit.pk],
            lead_investigator=case.lead_investigator,
            prosecutor=case.prosecutor,
            supervisor=rng.choice(above),
            reason="Передача",
        )
    for case in (cases[3], cases[6]):  # grave → not grave, by a qualification decree: the units' groups see it now
        case = Case.objects.get(pk=case.pk)
        if case.prosecutor is None:  # the decree needs the case's prosecutor's agreement
            case = case_assign(
                case_id=case.pk,
                actor=supervisors[case.unit.pk],
                lead_investigator=case.lead_investigator,
                prosecutor=prosecutors[0],
                supervisor=case.supervisor,
                reason="Прокурор",
            )
        requalified(case, investigators[case.unit.pk], ["188-1"], prosecutor=case.prosecutor)
    # People who moved, were demoted or left; a membership added by hand.
    user_update(actor=admin, user=supervisors[taraz_district.pk], unit=astana_district, reason="Перевод")
    user_update(actor=admin, user=supervisors[sub.pk], role=Role.INVESTIGATOR, reason="Смена роли")
    user_deactivate(actor=admin, user=supervisors[taraz.pk], reason="Уволен")
    intruder = investigators[taraz.pk]
    intruder.groups.add(Group.objects.get(name=f"unit-supervisors:{astana.code}"))
    return [
        *investigators.values(),
        *supervisors.values(),
        *prosecutors,
        superior,
        admin,
    ]


def test_the_columns_are_the_units_first_two_ancestors(world):
    assert Case.objects.filter(region_unit__isnull=True).count() == 0
    assert_columns_follow_units()


def test_restrict_gives_what_the_grant_tables_give_for_every_user_and_action(world):
    compared = 0
    for stale in world:
        user = User.objects.get(pk=stale.pk)  # as a request loads it
        for action in ACTIONS:
            expected = by_grant_tables(user, action)
            got = set(Case.objects.restrict(user, action).values_list("pk", flat=True))
            assert got == expected, (user.username, user.role, action)
            compared += len(expected)
    assert compared > 100  # the world grants something to compare


def test_a_supervisors_list_uses_the_region_or_the_districts_index(world, supervisor, astana_district):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL")
    head = User.objects.get(username=f"head.{astana_district.code.lower()}")
    for user, index in ((supervisor, "case_region_order"), (head, "case_district_order")):
        fresh = User.objects.get(pk=user.pk)
        rows = Case.objects.restrict(fresh, access.VIEW).order_by("-registered_at", "-pk")[:50]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a few dozen rows: the planner would scan
            plan = rows.explain()
        assert index in plan, plan
        assert "groupobjectpermission" not in plan, plan
