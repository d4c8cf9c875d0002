"""Sign-in hardening: second factor, lockout, idle and absolute session limits, re-authentication."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.freshness import AUTH_AT, OTP_AT, SEEN_AT
from accounts.models import UserSession
from accounts.services import user_deactivate
from audit.choices import EventType
from audit.models import AuditEvent
from cases.act_transitions import ActAction
from cases.choices import ActStatus
from cases.models import ProceduralAct, ProceduralActType
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from tests.auth import enrol, verified_client
from tests.factories import PASSWORD, register


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def set_session(client: Client, **values):
    session = client.session
    session.update(values)
    session.save()


def test_first_sign_in_leads_to_enrolment_and_nothing_else_opens_before_it(investigator, case):
    client = Client()
    sign_in(client, "investigator")
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 302 and reverse("accounts:otp-setup") in response["Location"]
    client.get(reverse("accounts:otp-setup"))
    device = TOTPDevice.objects.get(user=investigator, confirmed=False)
    response = client.post(reverse("accounts:otp-setup"), {"token": code_for(device), "next": "/"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert AuditEvent.objects.filter(event=EventType.OTP_ENROLLED, actor=investigator).count() == 1


def test_an_enrolled_user_must_confirm_a_code_and_a_wrong_code_is_logged(investigator):
    device = enrol(investigator)
    client = Client()
    sign_in(client, "investigator")
    assert reverse("accounts:otp-verify") in client.get("/")["Location"]
    response = client.post(
        reverse("accounts:otp-verify"), {"token": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert response.status_code == 200 and "not valid" in response.content.decode()
    assert AuditEvent.objects.filter(event=EventType.OTP_FAILED, actor=investigator).exists()
    assert reverse("accounts:otp-verify") in client.get("/")["Location"]


def test_the_session_key_changes_at_sign_in(investigator):
    client = Client()
    client.get(reverse("login"))
    client.cookies["sessionid"] = "x" * 32
    before = client.cookies.get("sessionid").value
    sign_in(client, "investigator")
    assert client.cookies["sessionid"].value != before
    assert UserSession.objects.filter(user=investigator, session_key=client.cookies["sessionid"].value).exists()


def test_five_failures_lock_the_account_even_for_the_right_password(investigator):
    client = Client()
    for _ in range(5):
        sign_in(client, "investigator", "wrong-password")
    response = sign_in(client, "investigator")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event=EventType.LOGIN_FAILED, actor=investigator).count() >= 5
    assert AuditEvent.objects.filter(event=EventType.LOCKOUT, actor=investigator).exists()


def test_four_failures_do_not_lock(investigator):
    client = Client()
    for _ in range(4):
        sign_in(client, "investigator", "wrong-password")
    assert sign_in(client, "investigator").status_code == 302
    assert client.session["_auth_user_id"] == str(investigator.pk)


def test_an_idle_session_ends_after_thirty_minutes(investigator):
    client = verified_client(investigator)
    assert client.get("/").status_code == 200
    set_session(client, **{SEEN_AT: (timezone.now() - timedelta(minutes=31)).isoformat()})
    response = client.get("/")
    assert response.status_code == 302 and "login" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_an_active_session_is_written_at_most_once_a_minute_and_stays_alive(investigator):
    # A session row written (and committed) on every request was the largest part of a page's cost
    # under load; "seen" moves once a minute, which is what the idle timeout needs.
    client = verified_client(investigator)
    assert client.get("/").status_code == 200
    seen = client.session[SEEN_AT]
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/cases/").status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
    assert client.session[SEEN_AT] == seen
    # Active every 25 minutes for an hour: more than the idle timeout in all, never that long idle.
    for _ in range(3):
        set_session(client, **{SEEN_AT: (timezone.now() - timedelta(minutes=25)).isoformat()})
        assert client.get("/").status_code == 200
        assert timezone.now() - datetime.fromisoformat(client.session[SEEN_AT]) < timedelta(minutes=1)


def test_a_session_ends_twelve_hours_after_sign_in_even_when_active(investigator):
    client = verified_client(investigator)
    set_session(client, **{AUTH_AT: (timezone.now() - timedelta(hours=12, minutes=1)).isoformat()})
    response = client.get("/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_deactivated_users_session_dies_at_the_next_request(investigator, admin, case):
    client = verified_client(investigator)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    user_deactivate(actor=admin, user=investigator, reason="Уволен")
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_user_sees_and_ends_their_own_other_session(investigator):
    first, second = Client(), Client()
    enrol(investigator)
    for client in (first, second):
        sign_in(client, "investigator")
    keys = {first.cookies["sessionid"].value, second.cookies["sessionid"].value}
    assert set(UserSession.objects.filter(user=investigator).values_list("session_key", flat=True)) == keys
    set_session(first, otp_device_id=TOTPDevice.objects.get(user=investigator).persistent_id)
    page = first.get(reverse("accounts:sessions"))
    assert page.status_code == 200
    first.post(reverse("accounts:sessions"), {"session_key": second.cookies["sessionid"].value})
    assert "login" in second.get("/")["Location"]
    assert first.get("/").status_code == 200


def test_a_user_cannot_end_someone_elses_session(investigator, colleague):
    victim = verified_client(colleague)
    attacker = verified_client(investigator)
    attacker.post(reverse("accounts:sessions"), {"session_key": victim.cookies["sessionid"].value})
    assert victim.get("/").status_code == 200


@pytest.fixture
def submitted_act(case, investigator):
    from tests.factories import author_only_requirement

    act_type = ProceduralActType.objects.create(code="reauth_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    author_only_requirement(act_type, approval_article="test")  # approval only: approved, it is decided
    act = act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place="Астана")
    return act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)


def test_approval_without_fresh_reauthentication_is_refused(supervisor, submitted_act):
    client = verified_client(supervisor)
    response = client.post(reverse("cases:act-transition", args=[submitted_act.pk]), {"action": "approve"})
    assert response.status_code == 302 and reverse("accounts:reauthenticate") in response["Location"]
    assert ProceduralAct.objects.get(pk=submitted_act.pk).status == ActStatus.SUBMITTED


def test_reauthentication_with_password_and_code_opens_approval(supervisor, submitted_act):
    client = verified_client(supervisor)
    device = TOTPDevice.objects.get(user=supervisor)
    response = client.post(
        reverse("accounts:reauthenticate"), {"password": PASSWORD, "token": code_for(device), "next": "/"}
    )
    assert response.status_code == 302
    client.post(reverse("cases:act-transition", args=[submitted_act.pk]), {"action": "approve"})
    assert ProceduralAct.objects.get(pk=submitted_act.pk).status == ActStatus.APPROVED


def test_reauthentication_with_a_wrong_password_does_not_open_approval(supervisor, submitted_act):
    client = verified_client(supervisor)
    device = TOTPDevice.objects.get(user=supervisor)
    response = client.post(reverse("accounts:reauthenticate"), {"password": "nope", "token": code_for(device)})
    assert response.status_code == 200
    client.post(reverse("cases:act-transition", args=[submitted_act.pk]), {"action": "approve"})
    assert ProceduralAct.objects.get(pk=submitted_act.pk).status == ActStatus.SUBMITTED


def test_a_grave_case_needs_a_second_factor_from_the_last_fifteen_minutes(investigator, supervisor):
    grave = register(actor=investigator, articles=("99-1",), form="investigation", supervisor=supervisor)
    client = verified_client(investigator)
    assert client.get(reverse("cases:detail", args=[grave.pk])).status_code == 200
    set_session(client, **{OTP_AT: (timezone.now() - timedelta(minutes=16)).isoformat()})
    response = client.get(reverse("cases:detail", args=[grave.pk]))
    assert response.status_code == 302 and reverse("accounts:otp-verify") in response["Location"]
    assert not AuditEvent.objects.filter(event=EventType.CASE_OPENED, case_id=grave.pk).count() > 1


@pytest.mark.parametrize("password", ["short", "password1234", "123456789012", "1q2w3e4r5t6y"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted():
    validate_password("Тау-Алатау-2026-жаз")
