"""Transport and browser defaults, production settings, hostile input."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from cases.choices import ParticipantRole
from cases.models import ProceduralActType
from cases.services.acts import act_create
from cases.services.case import case_transition
from cases.services.participants import participant_add
from cases.services.term import deadline_extend
from evidence.models import EvidenceFile
from evidence.services import evidence_add, evidence_transfer
from tests.auth import verified_client
from tests.cases.conftest import signing  # noqa: F401 (a fixture)
from tests.cases.decrees import decree_move
from tests.factories import person_data, register

ROOT = Path(__file__).resolve().parent.parent
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def manage(*args, **env):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("ECASE_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def production_env(**extra):
    return {
        "ECASE_ENV": "production",
        "ECASE_SECRET_KEY": secrets.token_urlsafe(64),
        "ECASE_ALLOWED_HOSTS": "ecase.example.kz",
        "DATABASE_URL": "postgres://ecase@127.0.0.1:5432/ecase",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ECASE_PUBLIC_URL": "https://ecase.example.kz",
        "ECASE_SIGNING_PASSPHRASE": secrets.token_urlsafe(32),
        "ECASE_EXPORT_SIGNING_PASSPHRASE": secrets.token_urlsafe(32),
        "ECASE_BLOB_MASTER_KEYS": f"k1:{secrets.token_urlsafe(32)}",
        **extra,
    }


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", ECASE_ENV="production")
    assert result.returncode != 0 and "ECASE_SECRET_KEY is required" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = manage("check", **production_env(ECASE_DEBUG="1"))
    assert result.returncode != 0 and "ECASE_DEBUG must be off" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = manage("check", **production_env(ECASE_SECRET_KEY="short"))
    assert result.returncode != 0 and "too weak" in result.stderr


def test_a_malformed_setting_stops_start_up():
    result = manage("check", ECASE_DEBUG="maybe")
    assert result.returncode != 0 and "is not a boolean" in result.stderr


def test_check_deploy_with_production_settings_finds_nothing():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_the_security_headers(investigator, case):
    response = verified_client(investigator).get(reverse("cases:detail", args=[case.pk]))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-ID"]


def test_session_and_csrf_cookies_are_http_only_and_same_site(investigator, client):
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": "investigator", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_no_page_has_an_inline_script(investigator, case):
    client = verified_client(investigator)
    for url in ("/", reverse("cases:list"), reverse("cases:detail", args=[case.pk]), reverse("cases:register")):
        html = client.get(url).content.decode()
        assert "<script>" not in html and " style=" not in html and "onclick=" not in html


def test_hostile_text_comes_back_escaped_on_every_page(
    signing, settings, tmp_path, investigator, supervisor, prosecutor
):
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    case = register(actor=investigator, prosecutor=prosecutor, plot=f"Фабула {XSS}")
    participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data(address=XSS), note=XSS
    )
    act_type = ProceduralActType.objects.create(code="xss_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    act = act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place=XSS, body=XSS)
    item = evidence_add(
        case_id=case.pk,
        actor=investigator,
        kind="physical",
        description=XSS,
        seized_at=case.registered_at,
        seized_place=XSS,
        seal_number="<b>1</b>",
    )
    evidence_transfer(item_id=item.pk, actor=investigator, to_holder=XSS, to_location=XSS, reason=XSS)
    case_transition(case_id=case.pk, action="start", actor=investigator)
    decree_move(case, "interrupt", investigator, justification=XSS)  # a decree in force (issue #18)
    deadline_extend(case_id=case.pk, actor=prosecutor, days=3, reason=XSS)  # the prosecutor's own decision
    for user in (investigator, prosecutor):
        client = verified_client(user)
        tabs = [
            f"{reverse('cases:detail', args=[case.pk])}?tab={t}"
            for t in ("summary", "participants", "acts", "evidence", "term", "history")
        ]
        for url in (
            *tabs,
            reverse("cases:act", args=[act.pk]),
            reverse("evidence:detail", args=[item.pk]),
            reverse("cases:list"),
            "/",
        ):
            html = client.get(url).content.decode()
            assert "<script>alert" not in html and "<img src=x" not in html and "<b>1</b>" not in html, url
    assert (
        "&lt;script&gt;alert"
        in verified_client(investigator).get(reverse("cases:detail", args=[case.pk])).content.decode()
    )


@pytest.mark.parametrize("page", ["1' OR '1'='1", "1; DROP TABLE cases_case; --", "-1", "99999999999999999999"])
def test_sql_metacharacters_in_the_page_parameter_are_harmless(investigator, case, page):
    response = verified_client(investigator).get(reverse("cases:list"), {"page": page})
    assert response.status_code == 200
    assert case.registration_number in response.content.decode()


@pytest.fixture
def upload_item(settings, tmp_path, case, investigator):
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    return evidence_add(
        case_id=case.pk,
        actor=investigator,
        kind="document",
        description="Документы",
        seized_at=case.registered_at,
        seized_place="Астана",
    )


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("report.pdf", b"<html><body>not a pdf</body></html>", "not a known document"),
        ("photo.jpg", b"MZ" + b"\x90" * 512, "a program file, not a document"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_hostile_uploads_are_refused_with_a_message_and_store_nothing(
    investigator, upload_item, tmp_path, name, content, message
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = verified_client(investigator)
    response = client.post(
        reverse("evidence:upload", args=[upload_item.pk]), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not EvidenceFile.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_an_upload_one_byte_over_the_limit_is_refused(settings, investigator, upload_item, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.evidence.helpers import padded_png

    settings.ECASE_MAX_UPLOAD_BYTES = 4096
    client = verified_client(investigator)
    response = client.post(
        reverse("evidence:upload", args=[upload_item.pk]), {"file": SimpleUploadedFile("big.png", padded_png(4097))}
    )
    assert response.status_code == 400 and "larger than the limit" in response.content.decode()
    assert not EvidenceFile.objects.exists()


# Django's multipart parser already drops the NUL; evidence.files.sanitise_name is tested on its own too.
@pytest.mark.parametrize("name,stored", [("../../etc/passwd.png", "passwd.png"), ("a\x00b.png", "ab.png")])
def test_hostile_names_are_neutralised_and_downloads_are_attachments(investigator, upload_item, name, stored):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.evidence.helpers import png_bytes

    client = verified_client(investigator)
    upload = SimpleUploadedFile("x.png", png_bytes())
    upload.name = name  # bypass the test client's own basename handling
    client.post(reverse("evidence:upload", args=[upload_item.pk]), {"file": upload})
    record = EvidenceFile.objects.get()
    assert record.original_name == stored
    response = client.get(reverse("evidence:download", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "/" not in response["Content-Disposition"] and "\x00" not in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == png_bytes()


def test_behind_the_proxy_the_address_is_the_one_it_appended_never_the_clients_claim(settings, investigator, case):
    from audit.models import AuditEvent

    forged = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 10.1.2.3", "REMOTE_ADDR": "127.0.0.9"}
    settings.ECASE_PROXY_COUNT = 0  # no proxy: the header is the client's own words
    verified_client(investigator).get(reverse("cases:detail", args=[case.pk]), **forged)
    settings.ECASE_PROXY_COUNT = 1
    verified_client(investigator).get(reverse("cases:detail", args=[case.pk]), **forged)
    opened = AuditEvent.objects.filter(case_id=case.pk, event="case.opened").order_by("seq")
    assert [event.ip for event in opened] == ["127.0.0.9", "10.1.2.3"]
