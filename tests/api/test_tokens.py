"""API tokens: issued once and stored hashed, refused when revoked, expired or their user deactivated."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from accounts.api.tokens import digest_of
from accounts.choices import Role
from accounts.models import ApiToken
from accounts.services import user_deactivate
from audit.choices import EventType
from audit.models import AuditEvent
from cases.models import Case
from tests.api.helpers import Api, error_of, issue

ME = "/api/v1/me/"


def issue_by_command(*args) -> str:
    out, err = StringIO(), StringIO()
    with translation.override("en"):  # the refusals below are matched in English
        call_command("issue_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_issue_api_token_prints_the_token_once_and_stores_only_its_hash(investigator):
    raw = issue_by_command("investigator", "--expires", "7", "--name", "Прокуратура: ЕРДР")
    token = ApiToken.objects.get(user=investigator)
    assert raw.startswith(f"ecase_{token.prefix}_") and len(raw) == len("ecase__") + 10 + 43
    assert token.digest == digest_of(raw) and not token.can_write
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    secret = raw.split("_", 2)[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_apitoken WHERE digest LIKE %s OR name LIKE %s OR prefix LIKE %s",
            [f"%{secret}%"] * 3,
        )
        assert cursor.fetchone()[0] == 0
    event = AuditEvent.objects.get(event=EventType.TOKEN_ISSUED)
    assert event.data["prefix"] == token.prefix and raw not in str(event.data)


def test_a_token_acts_as_its_user(investigator):
    raw = issue(investigator, can_write=False)
    response = Api(token=raw).get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "investigator" and body["token"]["prefix"] == raw.split("_")[1]
    assert body["token"]["can_write"] is False
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_is_refused_from_the_next_request(investigator):
    raw = issue(investigator)
    api = Api(token=raw)
    assert api.get(ME).status_code == 200
    call_command("revoke_api_token", raw.split("_")[1], "--reason", "утечка", stdout=StringIO())
    response = api.get(ME)
    assert response.status_code == 401 and error_of(response)["code"] == "token_revoked"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert AuditEvent.objects.filter(event=EventType.TOKEN_REVOKED, data__reason="утечка").exists()


def test_an_expired_token_is_refused(investigator):
    raw = issue(investigator)
    past = timezone.now() - timedelta(days=40)
    ApiToken.objects.update(created_at=past, expires_at=past + timedelta(days=30))
    response = Api(token=raw).get(ME)
    assert response.status_code == 401 and error_of(response)["code"] == "token_expired"


def test_a_deactivated_users_token_is_refused_at_once(investigator, admin, case):
    api = Api(token=issue(investigator))
    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    user_deactivate(actor=admin, user=investigator, reason="Уволен")
    response = api.get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 401 and error_of(response)["code"] == "user_inactive"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ecase_0123456789_" + "A" * 43,  # well-formed, unknown
        "Bearer not-a-token",
        "Bearer",
        "Bearer two words",
    ],
)
def test_an_unknown_or_malformed_token_is_refused_and_logged(investigator, header):
    response = Client().get(ME, headers={"Authorization": header})
    assert response.status_code == 401 and error_of(response)["code"] == "token_invalid"
    assert AuditEvent.objects.filter(event=EventType.ACCESS_DENIED, data__reason="token_invalid").exists()


def test_a_tampered_token_is_refused(investigator):
    raw = issue(investigator)
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    response = Api(token=tampered).get(ME)
    assert response.status_code == 401 and error_of(response)["code"] == "token_invalid"


def test_a_refused_known_token_is_logged_against_its_user(investigator):
    raw = issue(investigator)
    call_command("revoke_api_token", raw, stdout=StringIO())
    Api(token=raw).get(ME)
    event = AuditEvent.objects.get(event=EventType.ACCESS_DENIED)
    assert event.actor == investigator and event.data["token"] == raw.split("_")[1]


def test_revoke_by_user_revokes_every_live_token(investigator):
    first, second = issue(investigator), issue(investigator)
    call_command("revoke_api_token", "--user", "investigator", stdout=StringIO())
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    assert Api(token=first).get(ME).status_code == Api(token=second).get(ME).status_code == 401


def test_revoking_twice_is_an_error(investigator):
    raw = issue(investigator)
    call_command("revoke_api_token", raw.split("_")[1], stdout=StringIO())
    with pytest.raises(CommandError, match="revoked already"), translation.override("en"):
        call_command("revoke_api_token", raw.split("_")[1], stdout=StringIO())


@pytest.mark.parametrize(
    "args,message",
    [
        (["prosecutor", "--write"], "read-only"),
        (["admin"], "Administrators"),
        (["investigator", "--expires", "0"], "between 1 and 365"),
        (["investigator", "--expires", "366"], "between 1 and 365"),
        (["nobody"], "no user"),
        (["investigator", "--by", "investigator"], "no active administrator"),
    ],
)
def test_issue_api_token_refuses(investigator, prosecutor, admin, args, message):
    with pytest.raises(CommandError, match=message):
        issue_by_command(*args)
    assert not ApiToken.objects.exists()


def test_a_deactivated_user_gets_no_token(investigator, admin):
    user_deactivate(actor=admin, user=investigator, reason="Уволен")
    with pytest.raises(CommandError, match="deactivated"):
        issue_by_command("investigator")


def test_the_issuing_administrator_is_recorded(investigator, admin):
    issue_by_command("investigator", "--by", "admin")
    assert ApiToken.objects.get().created_by == admin
    assert AuditEvent.objects.get(event=EventType.TOKEN_ISSUED).actor == admin


def test_a_read_only_token_cannot_write(investigator, case):
    api = Api(token=issue(investigator, can_write=False))
    version = case.version
    response = api.patch(
        f"/api/v1/cases/{case.pk}/", {"plot": "Иначе", "reason": "x"}, headers={"If-Match": f'"v{version}"'}
    )
    assert response.status_code == 403 and error_of(response)["code"] == "token_read_only"
    case.refresh_from_db()
    assert case.version == version


def test_a_token_request_is_not_sent_to_the_second_factor_page(investigator):
    # A client that also carries a session cookie of a user who has not confirmed the second
    # factor: the token decides, the middleware does not redirect.
    client = Client()
    client.force_login(investigator)
    response = Api(token=issue(investigator), client=client).get(ME)
    assert response.status_code == 200 and response.json()["token"] is not None


def test_an_unverified_session_gets_json_not_a_redirect(investigator):
    client = Client()
    client.force_login(investigator)
    assert SESSION_KEY in client.session
    response = client.get(ME)
    assert response.status_code == 403 and error_of(response)["code"] == "second_factor_required"


def test_an_expired_session_gets_401_not_the_login_page(investigator):
    api = Api(session=investigator)
    session = api.client.session
    session["auth_at"] = (timezone.now() - timedelta(hours=13)).isoformat()
    session.save()
    response = api.get(ME)
    assert response.status_code == 401 and error_of(response)["code"] == "not_authenticated"


def test_a_write_token_stops_writing_when_its_user_becomes_a_prosecutor(investigator, case):
    """The read-only rule of prosecutors holds on every request, not only when the token was issued."""
    api = Api(token=issue(investigator))
    investigator.role = Role.PROSECUTOR
    investigator.save(update_fields=["role"])
    response = api.patch(
        f"/api/v1/cases/{case.pk}/", {"plot": "Иначе", "reason": "x"}, headers={"If-Match": f'"v{case.version}"'}
    )
    # Refused either way: a prosecutor's role holds no "change" grant (cases.access.ROLE_ACTIONS),
    # and the token itself no longer writes.
    assert response.status_code == 403 and error_of(response)["code"] in ("permission_denied", "token_read_only")
    assert Case.objects.get(pk=case.pk).version == case.version
    assert api.get(ME).json()["token"]["can_write"] is False


def test_list_api_tokens_shows_the_public_facts_only(investigator, prosecutor):
    live, revoked = issue(investigator), issue(prosecutor)
    call_command("revoke_api_token", revoked.split("_")[1], stdout=StringIO())
    Api(token=live).get(ME)

    def listing(*args) -> str:
        out = StringIO()
        call_command("list_api_tokens", *args, stdout=out)
        return out.getvalue()

    default, everything = listing(), listing("--all")
    assert live.split("_")[1] in default and revoked.split("_")[1] not in default
    row = next(line for line in everything.splitlines() if line.startswith(revoked.split("_")[1]))
    assert "prosecutor" in row and "revoked" in row
    row = next(line for line in default.splitlines() if line.startswith(live.split("_")[1]))
    assert " rw " in row and "live" in row and row.count(":") >= 3  # issued, expires and last used are shown
    assert listing("--user", "prosecutor").count("\n") == 1  # the header only: the prosecutor's token is revoked
    for raw in (live, revoked):
        assert raw.split("_", 2)[2] not in everything and digest_of(raw) not in everything


def test_a_token_is_never_logged(caplog, settings, monkeypatch, investigator, case):
    """Issued, used, refused, in a server error: neither the logs nor the audit trail ever hold the secret."""
    caplog.set_level(logging.DEBUG)
    raw = issue_by_command("investigator", "--write")
    secret = raw.split("_", 2)[2]
    api = Api(token=raw)
    api.get(f"/api/v1/cases/{case.pk}/")
    api.get("/api/v1/cases/999999999/")

    def explode(self):
        raise RuntimeError("boom")

    from cases.api.views import CaseListView

    monkeypatch.setattr(CaseListView, "get_queryset", explode)
    assert api.get("/api/v1/cases/").status_code == 500
    call_command("revoke_api_token", raw, stdout=StringIO())
    assert api.get(ME).status_code == 401
    assert caplog.records and "boom" in caplog.text  # the logs were captured, the traceback included
    assert secret not in caplog.text and not [r for r in caplog.records if secret in str(r.args)]
    assert not [e for e in AuditEvent.objects.all() if secret in str(e.data) or secret in e.actor_label]
