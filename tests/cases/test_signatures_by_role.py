"""Signatures by role on one PDF (issue #17): the author signs, the head of unit approves, the
prosecutor agrees — each with their own certificate, each an incremental update in their own block."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from cases.models import SigningCertificate
from cases.signing.base import SigningUnavailable
from cases.signing.pades import complete, prepare
from cases.signing.trust import trust_roots
from cases.signing.verify import verify_pdf
from tests.cases.pdf_text import pdf_text, signature_appearance_texts
from tests.cases.signing_helpers import TEST_PASSPHRASE, author_pdf, certify, drafted_act, signed_in_turn

ROLES = ["author", "approver", "prosecutor"]
POSITIONS = {
    "investigator": "Аға тергеуші",
    "supervisor": "Тергеу бөлімінің бастығы",
    "prosecutor": "Прокурор Сарыарқа ауданы",
}


@pytest.fixture
def people(investigator, supervisor, prosecutor, signing):
    for user in (investigator, supervisor, prosecutor):
        user.position = POSITIONS[user.username]
        user.save(update_fields=["position"])
        certify(user)
    return {"author": investigator, "approver": supervisor, "prosecutor": prosecutor}


@pytest.fixture
def act(case, investigator):
    return drafted_act(case, investigator, language="kk")


@pytest.fixture
def revisions(act, people):
    """The base render, then the file after the author's, the approver's and the prosecutor's signature."""
    base = author_pdf(act, ROLES)
    return [base, *signed_in_turn(base, act, [(people[role], role) for role in ROLES])]


def flipped(data: bytes, position: int, mask: int = 0x01) -> bytes:
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


def test_three_people_sign_in_turn_and_every_signature_stays_valid(revisions, people):
    final = revisions[-1]
    for earlier, later in zip(revisions, revisions[1:], strict=False):
        assert later.startswith(earlier)  # incremental updates: nothing before is rewritten
    embedded = PdfFileReader(io.BytesIO(final)).embedded_signatures
    assert [e.field_name for e in embedded] == ["Signature-author", "Signature-approver", "Signature-prosecutor"]
    context = ValidationContext(trust_roots=trust_roots())
    statuses = [validate_pdf_signature(e, context) for e in embedded]
    assert all(s.intact and s.valid and s.trusted and s.bottom_line for s in statuses)
    assert [s.coverage for s in statuses] == [SignatureCoverageLevel.ENTIRE_REVISION] * 2 + [
        SignatureCoverageLevel.ENTIRE_FILE
    ]
    # each by that person's own certificate
    serials = [s.signing_cert.serial_number for s in statuses]
    assert serials == [int(SigningCertificate.objects.get(user=people[role]).serial, 16) for role in ROLES]

    result = verify_pdf(final, expected_roles=ROLES)
    assert result.valid and result.problems == () and result.missing_roles == ()
    assert [c.role for c in result.signatures] == ROLES
    assert [c.revision for c in result.signatures] == [1, 2, 3]
    assert [c.covers_whole_file for c in result.signatures] == [False, False, True]
    assert [c.signer for c in result.signatures] == [people[r].get_full_name() for r in ROLES]
    assert [c.position for c in result.signatures] == [POSITIONS[people[r].username] for r in ROLES]
    assert [str(c.label) for c in result.signatures] == ["Prepared and signed", "Approved", "Agreed"]
    assert all(c.intact and c.trusted and c.signed_at for c in result.signatures)
    assert result.signer.startswith("Ахметов Нұрлан") and result.stated is not None


def test_the_layout_prints_a_block_per_role_and_each_stamp_names_signer_position_time_and_hash(revisions, people):
    base_text = " ".join(pdf_text(revisions[0]).split())
    for heading in ("Құжатты дайындады және қол қойды", "Құжатты бекітті", "Құжатты келісті"):
        assert heading in base_text
    stamps = signature_appearance_texts(revisions[-1])
    assert set(stamps) == {"Signature-author", "Signature-approver", "Signature-prosecutor"}
    for index, role in enumerate(ROLES):
        text = " ".join(stamps[f"Signature-{role}"].split())
        user = people[role]
        assert user.get_full_name() in text and POSITIONS[user.username] in text
        # the SHA-256 of the file this signature was made over: the previous revision
        assert hashlib.sha256(revisions[index]).hexdigest() in text
        # the stamp's time is taken just before the signature dictionary's /M: the same minute or the one before
        signed_at = timezone.localtime(
            next(c.signed_at for c in verify_pdf(revisions[-1]).signatures if c.role == role)
        )
        minutes = {(signed_at - timedelta(minutes=m)).strftime("%d.%m.%Y %H:%M") for m in (0, 1)}
        assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", text).group() in minutes
        assert "Қол қойылды:" in text  # the act's language, Kazakh letters and all


def _sig_dict_date(data: bytes, start: int) -> int:
    """A digit of the signing date (/M) of the signature dictionary written after ``start``: inside its signed bytes."""
    match = re.compile(rb"/M \(D(?::|\\072)\d{4}").search(data, start)
    assert match is not None
    return match.end() - 1  # the year's last digit


@pytest.mark.parametrize("revision", [0, 1, 2, 3])
def test_a_flipped_byte_in_any_revision_is_found_and_the_broken_signature_named(revisions, revision):
    final = revisions[-1]
    if revision == 0:  # the unsigned render: every signature covers it
        position = final.index(b"/Producer (ecase)") + len(b"/Producer (")
    else:
        position = _sig_dict_date(final, len(revisions[revision - 1]))
        assert position < len(revisions[revision])
    result = verify_pdf(flipped(final, position))
    assert not result.valid
    broken_role = ROLES[max(revision, 1) - 1]
    assert result.first_broken is not None and result.first_broken.role == broken_role
    assert result.first_broken.revision == max(revision, 1)
    for check in result.signatures:  # signatures made before the altered revision still hold
        assert check.intact == (check.revision < max(revision, 1))
    label = {"author": "Prepared and signed", "approver": "Approved", "prosecutor": "Agreed"}[broken_role]
    assert any(p.startswith(f"{label} signature Signature-{broken_role}") and "changed" in p for p in result.problems)


def test_a_file_cut_back_to_an_earlier_revision_is_missing_the_later_role(revisions):
    without_prosecutor = revisions[2]
    assert verify_pdf(without_prosecutor).valid  # a consistent file by itself
    result = verify_pdf(without_prosecutor, expected_roles=ROLES)
    assert not result.valid and result.missing_roles == ("prosecutor",)
    assert any("Agreed signature (prosecutor) is missing" in p for p in result.problems)
    assert not verify_pdf(revisions[1], expected_roles=ROLES).valid
    assert verify_pdf(revisions[1], expected_roles=["author"]).valid
    wrong_order = verify_pdf(revisions[-1], expected_roles=["author", "approver"])
    assert not wrong_order.valid and any("not expected: prosecutor" in p for p in wrong_order.problems)


def test_an_update_appended_between_signatures_that_is_not_a_signature_is_reported(revisions, act, people):
    writer = IncrementalPdfFileWriter(io.BytesIO(revisions[1]))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)  # a change to the page the author signed
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    tampered = signed_in_turn(out.getvalue(), act, [(people["approver"], "approver")])[-1]
    result = verify_pdf(tampered)
    assert not result.valid
    author = result.signatures[0]
    assert author.role == "author" and author.intact and author.problems
    assert "changed after it by more than adding signatures" in author.problems[0]


def test_the_two_step_path_embeds_a_cms_computed_elsewhere(act, people):
    """What a browser signer does: the server prepares, NCALayer signs the digest, the server completes."""
    author = people["author"]
    certificate = SigningCertificate.objects.get(user=author)
    base = author_pdf(act, ROLES)
    request = prepare(
        base,
        signer_certificate_pem=certificate.certificate_pem,
        role="author",
        reason="Қол қойылды",
        location=act.place,
        language="kk",
    )
    assert request.document_sha256 == hashlib.sha256(base).hexdigest() and len(request.document_digest) == 32
    # "The browser": the person's own key, loaded apart from the server's signer and its cache.
    browser = signers.SimpleSigner.load_pkcs12_data(
        bytes(certificate.pkcs12), other_certs=[], passphrase=TEST_PASSPHRASE.encode()
    )
    cms = asyncio.run(browser.async_sign(request.document_digest, "sha256", use_pades=True)).dump()
    signed = complete(request, cms)
    assert signed.certificate_sha256 == certificate.sha256 and signed.data.startswith(base)
    result = verify_pdf(signed.data, expected_roles=["author"])
    assert result.valid and result.signatures[0].signer == author.get_full_name()
    # without a user, the stamp names the certificate's holder
    assert author.get_full_name() in signature_appearance_texts(signed.data)["Signature-author"]

    other = signers.SimpleSigner.load_pkcs12_data(
        bytes(certify(people["approver"]).pkcs12), other_certs=[], passphrase=TEST_PASSPHRASE.encode()
    )
    by_someone_else = asyncio.run(other.async_sign(request.document_digest, "sha256", use_pades=True)).dump()
    with pytest.raises(SigningUnavailable, match="not by the certificate"):
        complete(request, by_someone_else)
    over_another_digest = asyncio.run(browser.async_sign(bytes(32), "sha256", use_pades=True)).dump()
    with pytest.raises(SigningUnavailable, match="digest"):
        complete(request, over_another_digest)


def test_a_role_without_a_block_or_without_a_certificate_cannot_sign(act, people, colleague):
    from cases.signing.base import act_signer

    base = author_pdf(act, ["author", "approver"])
    with pytest.raises(SigningUnavailable, match="no signature block for the role 'prosecutor'"):
        act_signer().sign(base, signer=people["prosecutor"], role="prosecutor", reason="", location="", language="kk")
    with pytest.raises(SigningUnavailable, match="no valid signing certificate"):
        act_signer().sign(base, signer=colleague, role="author", reason="", location="", language="kk")


def test_the_snapshot_takes_the_roles_and_the_signing_date(act):
    from cases.pdf.snapshot import SCHEMA, act_snapshot, format_date

    moment = timezone.make_aware(timezone.datetime(2026, 3, 9, 23, 30))
    snapshot = act_snapshot(act, signature_roles=["author", "prosecutor"], signed_at=moment)
    assert snapshot["schema"] == SCHEMA == 3 and snapshot["signature_roles"] == ["author", "prosecutor"]
    assert "approver" not in snapshot and snapshot["act"]["date"] == format_date(date(2026, 3, 9), "kk")
    for wrong in (["approver"], ["approver", "author"], ["author", "author"], ["author", "judge"]):
        with pytest.raises(ValueError):
            act_snapshot(act, signature_roles=wrong, signed_at=moment)


def test_verify_act_lists_every_signature_with_its_role(revisions, tmp_path, capsys):
    path = tmp_path / "act.pdf"
    path.write_bytes(revisions[-1])
    call_command("verify_act", str(path), "--roles", "author,approver,prosecutor")
    out = capsys.readouterr().out
    assert "1. Prepared and signed: Ахметов Нұрлан, Аға тергеуші" in out
    assert "2. Approved: Серікова Әсем, Тергеу бөлімінің бастығы" in out
    assert "3. Agreed: Оспанов Бауыржан, Прокурор Сарыарқа ауданы" in out
    assert out.strip().endswith("VALID")
    path.write_bytes(revisions[2])
    with pytest.raises(SystemExit):
        call_command("verify_act", str(path), "--roles", "author,approver,prosecutor")
    assert "Agreed signature (prosecutor) is missing" in capsys.readouterr().out


def test_the_preview_shows_the_layout_as_the_authors_signature_renders_it(act, supervisor):
    from cases.views.preview import act_preview_html

    html = str(act_preview_html(act))
    # A victim's recognition needs the author's signature only (its requirements, issue #17).
    assert "Құжатты дайындады және қол қойды" in html and "Құжатты бекітті" not in html
    assert supervisor.get_full_name() not in html and "БЕКІТЕМІН" not in html  # no approver is named in advance
    html = str(act_preview_html(act, signature_roles=ROLES))
    assert "Құжатты келісті" in html
