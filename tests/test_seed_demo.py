"""manage.py seed_demo: the demo world through the services, and bulk cases that look the same to the app."""

from __future__ import annotations

import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Unit, User
from cases import access
from cases.choices import ActStatus, ProceedingsForm
from cases.iin import parse_iin
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    CriminalCodeArticle,
    Participant,
    Person,
    PersonLink,
    ProceduralAct,
)
from cases.services.registration import case_register
from demo import integrity, people, world


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    tables = set(connection.introspection.table_names())
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.db_table in tables
    }


def grants_of(case: Case) -> tuple[set, set]:
    users = set(
        CaseUserObjectPermission.objects.filter(content_object=case).values_list("user_id", "permission__codename")
    )
    groups = set(
        CaseGroupObjectPermission.objects.filter(content_object=case).values_list("group_id", "permission__codename")
    )
    return users, groups


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo world, seeded once for the module inside a transaction that is rolled back at its end.

    Each test's own transaction is a savepoint inside it, so what a test adds disappears after it.
    """
    from cases.reference_data import load

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=fast, ECASE_PRIVATE_STORAGE=tmp_path_factory.mktemp("private")),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            if not CriminalCodeArticle.objects.exists():
                load(apps)
            yield seed("--seed", "7")
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(seeded, db, settings, tmp_path) -> str:
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    return seeded


def test_the_demo_world_has_the_eight_users_with_their_roles_and_prints_their_passwords_once(demo):
    expected = {
        "admin": Role.ADMINISTRATOR,
        "investigator.astana": Role.INVESTIGATOR,
        "investigator2.astana": Role.INVESTIGATOR,
        "investigator.taraz": Role.INVESTIGATOR,
        "supervisor.astana": Role.SUPERVISOR,
        "supervisor.taraz": Role.SUPERVISOR,
        "prosecutor.astana": Role.PROSECUTOR,
        "superior.astana": Role.PROSECUTOR,
    }
    users = {u.username: u for u in User.objects.filter(username__in=expected)}
    assert {name: u.role for name, u in users.items()} == expected
    assert users["admin"].is_superuser and users["admin"].is_staff and users["admin"].unit is None
    # The deputy city prosecutor is the office's superior prosecutor, holds a certificate and sees the
    # office's cases (every demo case with a prosecutor is supervised from the Astana office).
    superior = users["superior.astana"]
    assert superior.superior_prosecutor and superior.unit.code == "71P"
    assert superior.signing_certificates.exists()
    supervised = Case.objects.filter(prosecutor__isnull=False)
    assert supervised.exists() and set(Case.objects.restrict(superior)) == set(supervised)
    assert all(
        u.unit is not None and re.fullmatch(r"[А-ЯЁӘҒҚҢӨҰҮҺІ].+", u.last_name) for n, u in users.items() if n != "admin"
    )
    for name, user in users.items():
        line = next(line for line in demo.splitlines() if line.startswith(name + " "))
        password = line.split()[-1]
        assert len(password) >= 16 and user.check_password(password)
    assert Unit.objects.get(code="7112").parent == Unit.objects.get(code="71")
    assert Unit.objects.get(code="3110").parent == Unit.objects.get(code="31")


def test_every_demo_case_has_participants_valid_iins_acts_in_several_statuses_and_attributed_history(demo):
    cases = list(Case.objects.all())
    assert len(cases) >= 12
    assert {c.unit.city for c in cases} == {"Астана", "Тараз"}
    assert len({c.gravity for c in cases}) == 5 and len({c.proceedings_form for c in cases}) == len(ProceedingsForm)
    assert all(c.participants.exists() for c in cases)
    for person in Person.objects.all():
        facts = parse_iin(person.iin)
        assert (facts.birth_date, facts.sex) == (person.birth_date, person.sex)
    # Each case records its persons itself; the demo person in two cases is linked as one, explicitly.
    assert not Participant.objects.exclude(person__case=F("case")).exists()
    assert PersonLink.objects.exists() and not PersonLink.objects.filter(person__case=F("other__case")).exists()
    assert ProceduralAct.objects.values("status").distinct().count() >= 3
    for case in cases:
        assert case.history.exists()
    assert not Case.history.filter(history_user__isnull=True).exists()
    assert {"interrupted", "sent_to_prosecutor", "terminated"} <= set(Case.objects.values_list("status", flat=True))
    assert Case.objects.filter(extensions__isnull=False).exists() and Case.objects.filter(group__isnull=False).exists()


def test_if_empty_on_a_seeded_database_changes_no_row(demo):
    before = row_counts()
    output = seed("--if-empty")
    assert output.strip() == "demo data already present; use `python manage.py changepassword USER` to set a password"
    assert row_counts() == before


@pytest.mark.parametrize("method", ["auto", "orm"])
def test_bulk_cases_have_history_grants_as_sync_grants_wants_and_fresh_numbers(demo, method):
    existing = set(Case.objects.values_list("pk", flat=True))
    n = 200 if method == "auto" else 40
    seed("--cases", str(n), "--method", method, "--batch-size", str(n // 2 + 3))
    new = list(Case.objects.exclude(pk__in=existing).select_related("unit"))
    assert len(new) == n
    ids = [c.pk for c in new]
    attributed = set(Case.history.filter(id__in=ids, history_user__isnull=False).values_list("id", flat=True))
    assert attributed == set(ids) and not Case.history.filter(id__in=ids, history_user__isnull=True).exists()
    assert not Participant.history.filter(case_id__in=ids, history_user__isnull=True).exists()
    assert (
        Case.history.model.articles.model.objects.filter(case_id__in=ids).count()
        == Case.articles.through.objects.filter(case_id__in=ids).count()
    )
    assert all(c.participants.exists() for c in new)
    for case in new:
        assert grants_of(case) == (access.desired_user_grants(case), access.desired_group_grants(case)), case.pk
    assert access.sync_grants(new[0]) == {"granted": [], "revoked": []}
    numbers = list(Case.objects.values_list("registration_number", flat=True))
    assert len(numbers) == len(set(numbers))
    investigator = User.objects.get(username="investigator.astana")
    later = case_register(
        actor=investigator,
        unit=investigator.unit,
        articles=[CriminalCodeArticle.objects.get(article="188", part=1)],
        proceedings_form=ProceedingsForm.INQUIRY,
        plot="Кража велосипеда из подъезда.",
        registered_at=timezone.now(),
    )
    assert later.registration_number not in numbers


def test_bulk_persons_have_valid_iins_and_bulk_rows_pass_model_validation(demo):
    existing = set(Case.objects.values_list("pk", flat=True))
    seed("--cases", "60")
    new = Case.objects.exclude(pk__in=existing)
    for person in Person.objects.filter(participations__case__in=new).distinct():
        person.full_clean()
    for participant in Participant.objects.filter(case__in=new).select_related("case", "person"):
        participant.full_clean()
    for act in ProceduralAct.objects.filter(case__in=new).select_related("act_type", "case"):
        act.full_clean()
        # Approval belongs to the workflow, which also queues the signed PDF.
        assert act.status not in (ActStatus.APPROVED, ActStatus.SIGNED) and act.approved_by_id is None
    for case in new:
        case.full_clean(exclude=["registration_number"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred foreign-key checks are PostgreSQL's")
def test_a_deferred_load_is_checked_and_a_dangling_reference_is_found(demo):
    if not integrity.is_superuser():
        pytest.skip("session_replication_role needs a superuser")
    assert "foreign keys verified" in seed("--cases", "20", "--defer-fk-checks")
    marks = integrity.high_water_marks([Participant])
    case = Case.objects.first()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "INSERT INTO cases_participant (case_id, person_id, role, role_since, note, withdrawal_reason) "
            "VALUES (%s, %s, 'witness', %s, '', '')",
            [case.pk, 10**9, timezone.localdate()],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    checked, problems = integrity.verify_foreign_keys(marks)
    assert checked >= 2 and problems == ["cases_participant.person_id: 1 rows point to no cases_person row"]


def test_generated_iins_are_valid_and_distinct():
    seen = set()
    for index in list(range(3000)) + [people.IIN_CAPACITY - 1 - i for i in range(3000)]:
        iin, born, sex = people.iin_for_index(index)
        assert parse_iin(iin).birth_date == born and parse_iin(iin).sex == sex
        seen.add(iin)
    assert len(seen) == 6000


def test_the_demo_builds_acts_whose_fields_match_their_types(demo):
    for act in ProceduralAct.objects.select_related("act_type"):
        assert set(act.fields) <= act.act_type.field_names()
        if act.status != "draft":
            assert all(act.fields.get(name) for name in act.act_type.required_field_names())
    assert world.demo_present()


def test_the_bench_loader_reads_a_whole_case_in_a_fixed_number_of_queries(demo, django_assert_max_num_queries):
    from bench.loader import load_case, touch

    case = Case.objects.filter(evidence_items__files__isnull=False, acts__isnull=False).distinct().first()
    lead = case.lead_investigator
    # 9–11 for the case and its children, 1 for the lead's groups (restrict() keeps them on the user object).
    with django_assert_max_num_queries(12):
        touch(load_case(lead, case.pk))
    outsider = User.objects.get(username="investigator2.astana" if case.unit.city == "Тараз" else "investigator.taraz")
    with pytest.raises(Case.DoesNotExist):
        load_case(outsider, case.pk)


def test_the_statistics_report_matches_counts_made_directly_in_sql_on_the_demo_world(demo):
    """Issue #18 item 6: the report over a supervisor's scope, against SQL on the log and on the cases."""
    from datetime import date

    from cases.statistics import COLUMNS, case_statistics

    supervisor = User.objects.get(username="supervisor.astana")
    visible = list(Case.objects.restrict(supervisor, access.VIEW).values_list("pk", flat=True))
    start, end = date(2000, 1, 1), timezone.localdate()
    report = case_statistics(Case.objects.restrict(supervisor, access.VIEW), by="unit", start=start, end=end)
    marks = ", ".join(["%s"] * len(visible))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.code, l.action, COUNT(DISTINCT l.case_id) FROM cases_casestatuschange l "
            f"JOIN accounts_unit u ON u.id = l.unit_id WHERE l.case_id IN ({marks}) GROUP BY u.code, l.action",
            visible,
        )
        by_sql = {(code, action): n for code, action, n in cursor.fetchall()}
        # Registrations once more from the cases themselves: the log holds one per case.
        cursor.execute(
            f"SELECT u.code, COUNT(*) FROM cases_case c JOIN accounts_unit u ON u.id = c.unit_id "
            f"WHERE c.id IN ({marks}) GROUP BY u.code",
            visible,
        )
        registered = dict(cursor.fetchall())
    assert report.rows and sum(row.counts[0] for row in report.rows) == len(visible)
    for row in report.rows:
        code = row.label.split(" — ")[0]
        assert row.counts == tuple(by_sql.get((code, action), 0) for action, _label in COLUMNS), code
        assert row.counts[0] == registered[code]
    assert any(
        row.counts[1] or row.counts[2] or row.counts[3] for row in report.rows
    )  # decisions, not only registrations
