"""The built-in CA, encrypted keys, PAdES signatures and their verification against configurable roots."""

import io

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs12
from django.core.management import call_command
from django.core.management.base import CommandError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from audit.models import AuditEvent
from cases.models import SigningAuthority
from cases.pdf.storage import pdf_read
from cases.signing.authority import BUILTIN, builtin_authority, root_material
from cases.signing.trust import trust_roots, trust_roots_pem
from cases.signing.verify import verify_pdf
from tests.cases.signing_helpers import TEST_PASSPHRASE, certify, fully_signed_act


@pytest.fixture
def pdf(case, investigator, supervisor, prosecutor, signing):
    return pdf_read(fully_signed_act(case, investigator, supervisor, prosecutor).pdf_sha256)


def flipped(data: bytes, position: int, mask: int = 0x01) -> bytes:
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


def test_the_authority_is_created_once_with_its_key_encrypted(settings, db):
    settings.ECASE_SIGNING_PASSPHRASE = TEST_PASSPHRASE
    first, created = builtin_authority()
    again, created_again = builtin_authority()
    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert "ENCRYPTED PRIVATE KEY" in first.private_key_pem
    with pytest.raises((TypeError, ValueError)):
        load_pem_private_key(first.private_key_pem.encode(), None)
    load_pem_private_key(first.private_key_pem.encode(), TEST_PASSPHRASE.encode())


def test_a_certificate_carries_the_person_and_a_key_only_the_passphrase_opens(supervisor, signing):
    certificate = certify(supervisor)
    assert "Серікова" in certificate.subject and certificate.user == supervisor
    bundle = bytes(certificate.pkcs12)
    for wrong in (None, b"guess"):
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(bundle, wrong)
    key, cert, chain = pkcs12.load_key_and_certificates(bundle, TEST_PASSPHRASE.encode())
    assert key is not None and format(cert.serial_number, "x") == certificate.serial and chain == []
    issued = AuditEvent.objects.filter(event="signing.certificate_issued").get()
    assert issued.data["user"] == "supervisor" and issued.data["serial"] == certificate.serial


def test_a_signed_act_validates_with_pyhanko_against_the_configured_root(pdf):
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=trust_roots())
    statuses = [validate_pdf_signature(signature, context) for signature in embedded]
    assert all(s.bottom_line and s.trusted and s.intact and s.valid for s in statuses)
    assert [s.signing_cert.subject.native["common_name"] for s in statuses] == [
        "Ахметов Нұрлан",
        "Серікова Әсем",
        "Оспанов Бауыржан",
    ]
    assert "Ахметов Нұрлан" in verify_pdf(pdf).signer  # the first signature: the author's


@pytest.mark.parametrize("where", [0.05, 0.3, 0.5, 0.8, 0.999])
def test_one_flipped_byte_anywhere_makes_the_pdf_invalid(pdf, where):
    result = verify_pdf(flipped(pdf, int(len(pdf) * where)))
    assert not result.valid and result.problems


def test_a_changed_byte_in_the_unsigned_signature_container_makes_the_pdf_invalid(pdf):
    # /Contents lies outside the signed byte range: padding, hex case, versions and the list of
    # digest algorithms are not covered by the signature, so the verifier checks them itself.
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    der = cms.ContentInfo.load(bytes.fromhex(pdf[start:end].decode()))
    signer_info = der["content"]["signer_infos"][0]
    raw = bytes.fromhex(pdf[start:end].decode())
    versions = [
        raw.index(der["content"]["version"].dump()) + 2,
        raw.index(signer_info["version"].dump() + signer_info["sid"].dump()) + 2,
    ]
    positions = [start + 2 * v + 1 for v in versions] + list(range(start, end, 131)) + [end - 3]
    for position in positions:
        for mask in (0x01, 0x20):
            assert not verify_pdf(flipped(pdf, position, mask)).valid, position - start


def test_an_update_appended_after_signing_makes_the_pdf_invalid(pdf):
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root["/Forged"] = generic.pdf_string("appended later")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = verify_pdf(out.getvalue())
    assert not result.valid and any("changed after it was signed" in p for p in result.problems)


def test_a_pdf_without_a_signature_or_not_a_pdf_is_invalid(pdf):
    assert verify_pdf(b"%PDF-1.7 garbage").problems
    assert not verify_pdf(b"").valid


def test_the_trust_root_is_configurable_so_a_national_ca_can_replace_ours(pdf, settings, tmp_path):
    national = tmp_path / "nca-rk-root.pem"
    national.write_text(root_material(b"another authority's passphrase")[0])
    settings.ECASE_SIGNING_TRUST_ROOTS = [str(national)]
    result = verify_pdf(pdf)
    assert not result.valid and any("not trusted" in p for p in result.problems)
    ours = tmp_path / "ours.pem"
    ours.write_text(SigningAuthority.objects.get(name=BUILTIN).certificate_pem)
    settings.ECASE_SIGNING_TRUST_ROOTS = [str(national), str(ours)]
    assert verify_pdf(pdf).valid
    assert trust_roots_pem().count("BEGIN CERTIFICATE") == 2


def test_verify_act_prints_signer_time_and_valid_and_exits_0(pdf, tmp_path, capsys):
    path = tmp_path / "act.pdf"
    path.write_bytes(pdf)
    call_command("verify_act", str(path))
    out = capsys.readouterr().out
    assert "Signer: Ахметов Нұрлан" in out and "Signing time: 20" in out and out.strip().endswith("VALID")
    assert (
        "1. Prepared and signed: Ахметов Нұрлан" in out
        and "2. Approved: Серікова Әсем" in out
        and "3. Agreed: Оспанов Бауыржан" in out
    )


def test_verify_act_prints_invalid_and_exits_1_for_one_flipped_byte(pdf, tmp_path, capsys):
    path = tmp_path / "act.pdf"
    path.write_bytes(flipped(pdf, len(pdf) // 2))
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_act", str(path))
    assert exit_.value.code == 1 and capsys.readouterr().out.strip().endswith("INVALID")


def test_issue_certificate_names_the_certificate_and_refuses_unknown_users(supervisor, admin, signing, capsys):
    call_command("issue_certificate", "supervisor", "--by", "admin", "--days", "30")
    out = capsys.readouterr().out
    assert "issued certificate" in out and "to supervisor" in out
    assert supervisor.signing_certificates.get().issued_by == admin
    with pytest.raises(CommandError):
        call_command("issue_certificate", "nobody")


def test_a_signing_key_is_opened_once_per_process_and_never_under_another_passphrase(supervisor, signing, settings):
    from cases.signing.base import SigningUnavailable
    from cases.signing.server import opened_signer

    certificate = certify(supervisor)
    first = opened_signer(certificate)
    assert opened_signer(certificate) is first  # the second task pays no key derivation
    assert first.signing_cert.serial_number == int(certificate.serial, 16)
    settings.ECASE_SIGNING_PASSPHRASE = "another passphrase entirely"
    with pytest.raises(SigningUnavailable, match=certificate.serial):
        opened_signer(certificate)  # the cached key is not handed out under a passphrase that cannot open it
