"""Rights follow role and assignment only; every account change is an audited service; the
administrator cannot grant himself a case (issue #13, item 3; DESIGN §4)."""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import Role
from accounts.models import User
from accounts.services import (
    unit_supervisors_group,
    user_deactivate,
    user_reactivate,
    user_reset_second_factor,
    user_update,
)
from accounts.workspace import forms as workspace_forms
from audit.choices import EventType
from audit.models import AuditEvent
from cases import access
from cases.models import Case
from tests.auth import verified_client
from tests.factories import PASSWORD, make_user, register

NEW_PASSWORD = "another-correct-horse-battery-77"


def fresh(user) -> User:
    """The user as the next request loads them."""
    return User.objects.get(pk=user.pk)


def visible(user, action="view") -> set:
    return set(Case.objects.restrict(fresh(user), action))


def last_event(event: str) -> AuditEvent:
    return AuditEvent.objects.filter(event=event).order_by("-id").first()


def group_ids(user) -> set[int]:
    return set(fresh(user).groups.values_list("pk", flat=True))


@pytest.fixture
def plain_admin(reference_data):
    return make_user("plain.admin", Role.ADMINISTRATOR, None)


@pytest.fixture(params=["superuser", "plain"])
def any_admin(request, admin, plain_admin):
    return admin if request.param == "superuser" else plain_admin


def change_url(user) -> str:
    return reverse("manage:user", args=[user.pk])


def change_form_data(user, **overrides) -> dict:
    data = {
        "last_name": user.last_name,
        "first_name": user.first_name,
        "middle_name": user.middle_name,
        "email": user.email,
        "position": user.position,
        "position_kk": user.position_kk,
        "language": user.language,
        "role": user.role,
        "unit": user.unit.code if user.unit else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None and v != ""}


def everything_to_grant(astana, taraz) -> dict:
    """What an administrator might post to reach cases: every group, every case permission, the flags."""
    for unit in (astana, taraz):
        unit_supervisors_group(unit)
    return {
        "groups": [str(pk) for pk in Group.objects.values_list("pk", flat=True)],
        "user_permissions": [
            str(pk) for pk in Permission.objects.filter(content_type__app_label="cases").values_list("pk", flat=True)
        ],
        "is_superuser": "on",
        "is_staff": "on",
    }


def assert_sees_no_case(user, case):
    client = verified_client(fresh(user))
    listing = client.get(reverse("cases:list"))
    assert case.registration_number not in listing.content.decode()
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    api = client.get("/api/v1/cases/")
    assert case.registration_number not in api.content.decode()
    assert api.status_code in (200, 403)  # an empty list, or no API for the role at all
    assert visible(user) == set()
    assert all(visible(user, action) == set() for action in access.CODENAMES)
    assert access.allowed_actions(fresh(user), case.pk) == set()


# --- the administration workspace offers nothing that grants a right --------------------------------


def test_no_form_of_the_workspace_has_a_field_that_grants():
    """Groups, permissions and the flags are never fields: they follow role, unit and activity."""
    forms = [
        value
        for value in vars(workspace_forms).values()
        if isinstance(value, type) and issubclass(value, workspace_forms.forms.Form)
    ]
    assert workspace_forms.UserChangeForm in forms and workspace_forms.UserCreateForm in forms
    for form in forms:
        fields = form.base_fields
        assert not {"groups", "user_permissions", "is_superuser", "is_staff", "is_active"} & set(fields), form
        related = {getattr(getattr(f, "queryset", None), "model", None) for f in fields.values()}
        assert not related & {Group, Permission}, form


def test_djangos_admin_is_not_mounted(admin):
    client = verified_client(admin)
    for url in ("/admin/", "/admin/accounts/user/", "/admin/auth/group/", f"/admin/accounts/user/{admin.pk}/delete/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"post": "yes"}).status_code == 404, url


def test_an_administrator_who_grants_himself_everything_through_the_workspace_sees_no_case(
    any_admin, case, astana, taraz, supervisor
):
    client = verified_client(any_admin)
    before_groups, before = group_ids(any_admin), fresh(any_admin)
    grab = everything_to_grant(astana, taraz)
    # His own card: role, unit and activity are read-only there; groups and flags are not fields.
    response = client.post(
        change_url(any_admin),
        change_form_data(any_admin, role=Role.SUPERVISOR, unit=astana.code, superior_prosecutor="on", **grab),
    )
    # Saved (his details only) for any administrator: the workspace decides by role, not by the flag.
    assert response.status_code == 302
    after = fresh(any_admin)
    assert group_ids(any_admin) == before_groups == set()
    assert not after.user_permissions.exists()
    assert (after.role, after.unit_id, after.is_superuser, after.is_staff, after.superior_prosecutor) == (
        Role.ADMINISTRATOR,
        None,
        before.is_superuser,
        True,
        False,
    )
    # Bulk: there is no delete, and no action that changes rights.
    response = client.post(
        reverse("manage:users"), {"action": "delete_selected", "_selected_action": [supervisor.pk], "post": "yes"}
    )
    assert response.status_code == 405 and User.objects.filter(pk=supervisor.pk).exists()
    # There are no group pages.
    assert client.get("/admin/auth/group/").status_code == 404
    assert (
        client.post("/admin/auth/group/add/", {"name": "mine", "permissions": grab["user_permissions"]}).status_code
        == 404
    )
    # Even added to every group and given every permission in the database, he sees nothing.
    any_admin.groups.add(*Group.objects.all())
    any_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="cases"))
    assert_sees_no_case(any_admin, case)


def test_groups_posted_for_a_new_or_another_user_are_ignored(any_admin, case, astana, taraz, colleague):
    client = verified_client(any_admin)
    grab = everything_to_grant(astana, taraz)
    response = client.post(
        reverse("manage:user-new"),
        {
            "username": "newcomer",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "last_name": "Нұров",
            "first_name": "Ілияс",
            "role": Role.INVESTIGATOR,
            "unit": astana.code,
            "language": "ru",
            **grab,
        },
    )
    assert response.status_code == 302  # any administrator, by role: the superuser flag decides nothing
    newcomer = User.objects.get(username="newcomer")
    assert group_ids(newcomer) == set() and not newcomer.user_permissions.exists()
    assert not newcomer.is_superuser and not newcomer.is_staff
    created = last_event(EventType.USER_CREATED)
    assert (created.actor_id, created.target_id) == (any_admin.pk, str(newcomer.pk))
    assert visible(newcomer) == set()

    response = client.post(change_url(colleague), change_form_data(colleague, **grab))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event=EventType.USER_CHANGED).count() == 0  # nothing it could change
    assert group_ids(colleague) == set() and not fresh(colleague).is_superuser
    assert visible(colleague) == set()


# --- role, unit and activity changes take effect at the next request ----------------------------------


def test_a_supervisor_made_investigator_loses_the_units_cases_at_once(case, supervisor, plain_admin):
    assert visible(supervisor) == {case}
    user_update(actor=plain_admin, user=supervisor, role=Role.INVESTIGATOR)
    assert group_ids(supervisor) == set()
    assert visible(supervisor) == set()
    event = last_event(EventType.USER_CHANGED)
    assert event.actor_id == plain_admin.pk
    assert event.data["changed"]["role"] == [Role.SUPERVISOR, Role.INVESTIGATOR]
    assert event.data["groups"]["removed"] == [f"unit-supervisors:{case.unit.code}"]


def test_a_lead_investigator_made_prosecutor_loses_the_case_at_once(case, investigator, plain_admin):
    client = verified_client(investigator)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    user_update(actor=plain_admin, user=investigator, role=Role.PROSECUTOR)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404  # the next request
    assert visible(investigator) == set()
    revoked = AuditEvent.objects.filter(event=EventType.PERMISSION_REVOKED, case_id=case.pk).get()
    assert revoked.actor_id == plain_admin.pk and revoked.data["user"] == investigator.username


def test_a_supervisor_moved_to_another_unit_loses_the_old_units_cases(case, supervisor, taraz, outsider, admin):
    foreign = register(actor=outsider)
    client = verified_client(admin)
    response = client.post(change_url(supervisor), change_form_data(supervisor, unit=taraz.code))
    assert response.status_code == 302
    assert visible(supervisor) == {foreign}
    assert group_ids(supervisor) == {unit_supervisors_group(taraz).pk}
    event = last_event(EventType.USER_CHANGED)
    assert event.actor_id == admin.pk and event.data["changed"]["unit"] == ["AST", "TRZ"]


def test_an_investigator_moved_to_another_unit_loses_the_cases_he_led(case, investigator, taraz, plain_admin):
    user_update(actor=plain_admin, user=investigator, unit=taraz)
    assert visible(investigator) == set()


def test_an_administrator_cannot_change_his_own_role(plain_admin, astana):
    with pytest.raises(ValidationError):
        user_update(actor=plain_admin, user=plain_admin, role=Role.SUPERVISOR, unit=astana)
    assert fresh(plain_admin).role == Role.ADMINISTRATOR


def test_deactivation_and_reactivation_through_the_workspace_are_audited(case, supervisor, admin):
    client = verified_client(admin)
    response = client.post(reverse("manage:user-deactivate", args=[supervisor.pk]), {"reason": "Уволен"})
    assert response.status_code == 302
    assert not fresh(supervisor).is_active and group_ids(supervisor) == set()
    event = last_event(EventType.USER_DEACTIVATED)
    assert event.actor_id == admin.pk and event.target_id == str(supervisor.pk) and event.data["reason"] == "Уволен"

    response = client.post(reverse("manage:user-reactivate", args=[supervisor.pk]), {"reason": "Восстановлен"})
    assert response.status_code == 302
    assert group_ids(supervisor) == {unit_supervisors_group(case.unit).pk}
    assert visible(supervisor) == {case}
    event = last_event(EventType.USER_REACTIVATED)
    assert event.actor_id == admin.pk and event.target_id == str(supervisor.pk)


def test_a_reactivated_investigator_gets_back_the_cases_he_is_named_on(case, investigator, plain_admin):
    user_deactivate(actor=plain_admin, user=investigator, reason="Отпуск")
    assert not access.desired_user_grants(case) & {(investigator.pk, "view_case")}
    user_reactivate(actor=plain_admin, user=fresh(investigator), reason="Вернулся")
    assert visible(investigator) == {case}


# --- memberships written behind the services' back ----------------------------------------------------


def test_a_membership_added_in_the_database_is_ignored_when_the_role_cannot_hold_it(
    case, investigator, colleague, prosecutor, admin, astana
):
    group = unit_supervisors_group(astana)
    through = User.groups.through._meta.db_table
    with connection.cursor() as cursor:
        for user in (investigator, colleague, prosecutor, admin):
            cursor.execute(f"INSERT INTO {through} (user_id, group_id) VALUES (%s, %s)", [user.pk, group.pk])
    assert visible(investigator) == {case}  # his own grant, nothing more
    assert visible(investigator, "approve") == set()
    assert access.allowed_actions(fresh(investigator), case.pk) == {"view", "change"}
    assert visible(colleague) == set()
    assert visible(prosecutor, "assign") == set()
    assert visible(prosecutor, "approve") == set()
    # His own grants as the case's prosecutor (issue #17: his decisions are his, PROSECUTE); the group adds nothing.
    assert access.allowed_actions(fresh(prosecutor), case.pk) == {"view", "audit", "prosecute"}
    assert visible(admin) == set()


def test_a_user_grant_the_role_cannot_hold_is_ignored(case, prosecutor):
    from cases.models import CaseUserObjectPermission

    change = Permission.objects.get(content_type__app_label="cases", codename="change_case")
    CaseUserObjectPermission.objects.create(content_object=case, user=prosecutor, permission=change)
    assert visible(prosecutor, "change") == set()
    assert "change" not in access.allowed_actions(fresh(prosecutor), case.pk)


# --- passwords and the second factor ------------------------------------------------------------------


def test_a_password_set_by_an_administrator_is_audited(investigator, admin):
    client = verified_client(admin)
    url = reverse("manage:user-password", args=[investigator.pk])
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert fresh(investigator).check_password(NEW_PASSWORD)
    event = last_event(EventType.PASSWORD_SET)
    assert (event.actor_id, event.target_id) == (admin.pk, str(investigator.pk))


def test_a_weak_password_from_the_administrator_changes_nothing(investigator, admin):
    client = verified_client(admin)
    url = reverse("manage:user-password", args=[investigator.pk])
    response = client.post(url, {"password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert fresh(investigator).check_password(PASSWORD)
    assert last_event(EventType.PASSWORD_SET) is None


def test_a_users_own_password_change_is_audited(investigator):
    client = verified_client(investigator)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert fresh(investigator).check_password(NEW_PASSWORD)
    event = last_event(EventType.PASSWORD_CHANGED)
    assert (event.actor_id, event.target_id) == (investigator.pk, str(investigator.pk))
    assert client.get("/").status_code == 200  # this session stays signed in


def test_a_wrong_old_password_changes_nothing(investigator):
    client = verified_client(investigator)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert fresh(investigator).check_password(PASSWORD)
    assert last_event(EventType.PASSWORD_CHANGED) is None


def test_a_second_factor_reset_forces_enrolment_at_the_next_sign_in(investigator, admin):
    old = verified_client(investigator)
    assert old.get("/").status_code == 200
    client = verified_client(admin)
    response = client.post(reverse("manage:user-second-factor", args=[investigator.pk]), {"reason": "Телефон утерян"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=investigator).exists()
    event = last_event(EventType.OTP_RESET)
    assert (event.actor_id, event.target_id) == (admin.pk, str(investigator.pk))
    assert event.data["devices_removed"] == 1
    assert old.get("/").status_code == 302  # the old session reaches nothing any more

    again = Client()
    response = again.post(reverse("login"), {"username": investigator.username, "password": PASSWORD})
    assert response.status_code == 302
    response = again.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp-setup"))


def test_a_second_factor_reset_needs_a_reason(investigator, plain_admin):
    with pytest.raises(ValidationError):
        user_reset_second_factor(actor=plain_admin, user=investigator, reason=" ")


# --- the administrators' log ----------------------------------------------------------------------------


def test_the_admin_log_refuses_update_and_delete(plain_admin):
    entry = LogEntry.objects.create(
        user=plain_admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(plain_admin.pk),
        object_repr="x",
        action_flag=ADDITION,
    )
    for statement in (
        f"UPDATE django_admin_log SET object_repr = 'hidden' WHERE id = {entry.pk}",
        f"DELETE FROM django_admin_log WHERE id = {entry.pk}",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert LogEntry.objects.get(pk=entry.pk).object_repr == "x"


def test_the_user_pages_of_the_workspace_render(admin, supervisor):
    client = verified_client(admin)
    for url in (
        reverse("manage:users"),
        reverse("manage:user-new"),
        change_url(supervisor),
        change_url(admin),
        reverse("manage:user-password", args=[supervisor.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert (
            'name="groups"' not in response.content.decode() and 'name="is_superuser"' not in response.content.decode()
        )
    own = client.get(change_url(admin)).content.decode()
    # Shown, but disabled on his own card (and not taken from a POST), with no deactivation link.
    assert 'name="role"' in own and "disabled" in own.split('name="role"')[1].split(">")[0]
    assert reverse("manage:user-deactivate", args=[admin.pk]) not in own


def test_an_administrator_made_supervisor_keeps_no_superuser_flag(admin, plain_admin, astana):
    moved = user_update(actor=plain_admin, user=admin, role=Role.SUPERVISOR, unit=astana)
    assert (moved.is_superuser, moved.is_staff) == (False, False)
    assert group_ids(admin) == {unit_supervisors_group(astana).pk}


def test_an_administrator_without_the_superuser_flag_administers_by_role_and_deletes_nothing(
    plain_admin, astana, supervisor
):
    from cases.models import CriminalCodeArticle

    assert not plain_admin.is_superuser and not plain_admin.user_permissions.exists()
    client = verified_client(plain_admin)
    article = CriminalCodeArticle.objects.first()
    pages = [
        reverse("manage:home"),
        reverse("manage:users"),
        reverse("manage:user-new"),
        change_url(supervisor),
        reverse("manage:units"),
        reverse("manage:unit-new"),
        reverse("reference:article", args=[article.pk]),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        assert "delete" not in page.content.decode().lower(), url
    assert User.objects.filter(pk=supervisor.pk).exists() and CriminalCodeArticle.objects.filter(pk=article.pk).exists()
    # Other roles never enter, whatever flags they carry.
    supervisor.is_staff = supervisor.is_superuser = True
    supervisor.save(update_fields=["is_staff", "is_superuser"])
    assert verified_client(supervisor).get(reverse("manage:users")).status_code == 403
