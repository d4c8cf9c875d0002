"""A missing key refuses, it is never silently re-made (issue #20): the signing passphrase, the export
key; and ``verify_export --trust CERT`` trusts that certificate and nothing else.

Development settings throughout (no ECASE_SIGNING_PASSPHRASE, keys under this test's own var/):
production already refuses without its variables; what a restore into a development or staging
checkout forgets must fail as loudly.
"""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import RenderingState
from cases.export import ExportKeyUnavailable, export_case, verify_export
from cases.export.signature import NO_TRUST, _create_key
from cases.signing.base import SigningUnavailable
from cases.signing.passphrase import signing_passphrase
from tests.auth import verified_client
from tests.cases.signing_helpers import author_signed_act, certify


@pytest.fixture(autouse=True)
def own_var(settings, tmp_path):
    """This test's own var/: passphrase file, export key directory, blob store."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    settings.ECASE_SIGNING_PASSPHRASE = ""
    settings.ECASE_EXPORT_SIGNING_DIR = settings.VAR_DIR / "export_signing"
    settings.ECASE_PRIVATE_STORAGE = settings.VAR_DIR / "private"
    settings.ECASE_BLOB_MASTER_KEY_FILE = settings.VAR_DIR / "blob_master_keys"
    return settings.VAR_DIR


# --- the signing passphrase ----------------------------------------------------------------------


def test_a_fresh_installation_makes_its_passphrase_file_once(own_var, db):
    first = signing_passphrase()
    assert (own_var / "signing_passphrase").read_text().strip().encode() == first
    assert oct((own_var / "signing_passphrase").stat().st_mode & 0o777) == "0o600"
    assert signing_passphrase() == first


def test_without_the_passphrase_file_next_to_stored_keys_nothing_is_signed_or_issued(
    own_var, case, investigator, supervisor, prosecutor, settings
):
    certify(investigator)  # the CA and the signing author's key, encrypted under the file's passphrase
    (own_var / "signing_passphrase").unlink()  # a restore that forgot it
    with pytest.raises(SigningUnavailable, match="signing_passphrase is missing"):
        signing_passphrase()
    assert not (own_var / "signing_passphrase").exists()  # and no new one was made
    with pytest.raises(CommandError, match="not issued: .*restore it from the backup"):
        call_command("issue_certificate", prosecutor.username, stdout=io.StringIO())
    # The worker refuses with the reason on the act instead of crashing or signing with a new key.
    act = author_signed_act(case, investigator)  # the author's signature is queued
    from cases.tasks import render_act

    rendering = act.renderings.get()
    assert render_act.apply(args=[rendering.pk]).get() == "failed"
    rendering.refresh_from_db()
    assert rendering.state == RenderingState.FAILED and "signing_passphrase is missing" in rendering.last_error


def test_a_wrong_passphrase_refuses_to_issue_a_certificate(own_var, supervisor, prosecutor, settings):
    certify(supervisor)
    settings.ECASE_SIGNING_PASSPHRASE = "not-the-one-the-keys-were-stored-under"
    with pytest.raises(CommandError, match="cannot be opened"):
        call_command("issue_certificate", prosecutor.username, stdout=io.StringIO())


# --- the export key --------------------------------------------------------------------------------


def export(case, actor, path):
    with path.open("wb") as stream:
        export_case(case_id=case.pk, actor=actor, output=stream)
    return path


def test_the_first_export_of_an_installation_makes_the_key_and_later_ones_reuse_it(
    own_var, case, investigator, tmp_path
):
    first = export(case, investigator, tmp_path / "1.zip")
    certificate = (own_var / "export_signing" / "cert.pem").read_bytes()
    second = export(case, investigator, tmp_path / "2.zip")
    assert zipfile.ZipFile(first).read("signer.pem") == certificate == zipfile.ZipFile(second).read("signer.pem")
    assert verify_export(second).valid


@pytest.mark.parametrize("lost", ["both", "key.pem", "cert.pem"])
def test_an_export_key_lost_after_exports_were_made_refuses_every_export(own_var, case, investigator, tmp_path, lost):
    export(case, investigator, tmp_path / "before.zip")
    for name in ("key.pem", "cert.pem") if lost == "both" else (lost,):
        (own_var / "export_signing" / name).unlink()
    exports = AuditEvent.objects.filter(event=EventType.EXPORT_MADE).count()
    with pytest.raises(ExportKeyUnavailable, match="restore"):
        export(case, investigator, tmp_path / "after.zip")
    assert not (own_var / "export_signing" / "key.pem").exists() or lost == "cert.pem"  # nothing re-made
    assert AuditEvent.objects.filter(event=EventType.EXPORT_MADE).count() == exports
    with pytest.raises(CommandError, match="not exported: .*missing"):
        call_command(
            "export_case", case.registration_number, "--as", investigator.username, "-o", str(tmp_path / "cmd.zip")
        )
    assert not (tmp_path / "cmd.zip").exists()


def test_an_export_key_the_passphrase_does_not_open_refuses_with_a_message_on_the_page(
    own_var, case, prosecutor, tmp_path, settings
):
    export(case, prosecutor, tmp_path / "before.zip")
    settings.SECRET_KEY = "another-secret-key-" * 4  # development derives the key's passphrase from it
    client = verified_client(prosecutor)
    response = client.post(reverse("cases:export", args=[case.pk]))
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    assert "export signing key is unavailable. Tell your administrator." in response.content.decode()
    assert AuditEvent.objects.filter(event=EventType.EXPORT_MADE).count() == 1


# --- verify_export --trust ----------------------------------------------------------------------------


@pytest.fixture
def exported(own_var, case, investigator, tmp_path):
    return export(case, investigator, tmp_path / "case.zip")


def verify_command(*args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_export", *map(str, args), stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, err.getvalue()
    return 0, out.getvalue()


def test_trust_names_the_only_certificate_trusted_not_the_local_key(exported, own_var, tmp_path):
    other_dir = tmp_path / "another_installation"
    _create_key(other_dir)
    status, output = verify_command(exported, "--trust", other_dir / "cert.pem")
    assert status == 1 and "manifest.json.p7s: the signer is not trusted" in output
    assert "manifest.pdf: its signature does not verify: the signer is not trusted" in output
    # The local key signed it: trusted without --trust, and with its own certificate given.
    assert verify_command(exported)[0] == 0
    status, output = verify_command(exported, "--trust", own_var / "export_signing" / "cert.pem")
    assert status == 0 and output.startswith("VALID")
    status, _ = verify_command(
        exported, "--trust", other_dir / "cert.pem", "--trust", own_var / "export_signing" / "cert.pem"
    )
    assert status == 0  # one of several given is enough


def test_an_installation_without_an_export_key_trusts_nothing_and_makes_no_key(exported, settings, tmp_path):
    settings.ECASE_EXPORT_SIGNING_DIR = tmp_path / "a_verifier_without_keys"
    check = verify_export(exported)
    assert not check.valid and (("manifest.json.p7s", NO_TRUST) in check.problems)
    assert not settings.ECASE_EXPORT_SIGNING_DIR.exists()
    certificate = tmp_path / "published.pem"
    certificate.write_bytes(zipfile.ZipFile(exported).read("signer.pem"))
    assert verify_command(exported, "--trust", certificate)[0] == 0


def test_trust_refuses_a_file_that_is_not_a_certificate(exported, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    with pytest.raises(CommandError, match="not a certificate"):
        call_command("verify_export", str(exported), "--trust", str(junk))
