"""The case-file export: round trip, one changed byte anywhere, who may export, the audit row."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ActStatus, ParticipantRole
from cases.export import export_case, verify_export
from cases.export.signature import sign_pdf
from cases.models import ProceduralActType
from cases.services.acts import act_create
from cases.services.case import case_assign
from cases.services.participants import participant_add
from ecase.errors import NotAllowed, OutOfScope
from ecase.history import save_attributed
from evidence.services import evidence_file_add, evidence_file_withdraw
from tests.auth import verified_client
from tests.evidence.helpers import add_item, pdf_bytes, png_bytes
from tests.factories import person_data


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    settings.ECASE_EXPORT_SIGNING_DIR = tmp_path / "export_signing"


def _signed_act(case, author, approver):
    """An act as issue #5's workflow leaves it: signed, its PDF stored under its SHA-256."""
    from cases.pdf.storage import pdf_store

    act_type = ProceduralActType.objects.create(code="export_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    act = act_create(case_id=case.pk, actor=author, act_type=act_type, language="ru", place="Астана")
    sha = pdf_store(sign_pdf(pdf_bytes("signed act")))
    now = timezone.now()
    act.status, act.approved_by, act.approved_at = ActStatus.SIGNED, approver, now
    act.signed_by, act.signed_at, act.pdf_sha256 = approver, now, sha
    save_attributed(act, actor=approver, reason="Подписан")
    return act


@pytest.fixture
def full_case(case, investigator, supervisor):
    participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data())
    item = add_item(case, investigator)
    evidence_file_add(item_id=item.pk, actor=investigator, stream=io.BytesIO(png_bytes(shade=3)), name="фото места.png")
    evidence_file_add(item_id=item.pk, actor=investigator, stream=io.BytesIO(pdf_bytes()), name="протокол.pdf")
    wrong = evidence_file_add(item_id=item.pk, actor=investigator, stream=io.BytesIO(png_bytes(shade=9)), name="x.png")
    evidence_file_withdraw(file_id=wrong.pk, actor=investigator, reason="Загружен ошибочно")
    _signed_act(case, investigator, supervisor)
    return case


def export_to(path: Path, case, actor) -> Path:
    with path.open("wb") as stream:
        export_case(case_id=case.pk, actor=actor, output=stream)
    return path


def rewrite(source: Path, target: Path, member: str, change) -> None:
    """Copy the archive with ``member``'s bytes changed (the ZIP's own checksums made to fit)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, change(data) if info.filename == member else data)


def flip_middle_byte(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    return bytes(changed)


def test_an_export_round_trip_verifies(full_case, investigator, tmp_path):
    path = export_to(tmp_path / "case.zip", full_case, investigator)
    check = verify_export(path)
    assert check.valid, check.problems
    names = zipfile.ZipFile(path).namelist()
    assert any(n.startswith("acts/001-") for n in names)
    assert sum(n.startswith("evidence/001/") for n in names) == 2  # the withdrawn file stays out
    assert {
        "history/history.json",
        "history/history.pdf",
        "audit/head.json",
        "signer.pem",
        "manifest.json",
        "manifest.json.p7s",
        "manifest.pdf",
    } <= set(names)
    event = AuditEvent.objects.get(event=EventType.EXPORT_MADE, case_id=full_case.pk)
    manifest = zipfile.ZipFile(path).read("manifest.json")
    assert event.data["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert event.actor == investigator
    out = io.StringIO()
    call_command("verify_export", str(path), stdout=out)
    assert out.getvalue().startswith("VALID")


def test_the_manifest_lists_every_file_with_its_hash_and_the_withdrawn_ones_apart(full_case, investigator, tmp_path):
    import json

    path = export_to(tmp_path / "case.zip", full_case, investigator)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for member in manifest["members"]:
            assert hashlib.sha256(archive.read(member["name"])).hexdigest() == member["sha256"]
    assert [w["reason"] for w in manifest["withdrawn_files"]] == ["Загружен ошибочно"]
    assert manifest["audit_head"]["chain"] == f"case:{full_case.pk}" and manifest["audit_head"]["seq"] > 0
    assert manifest["case"]["registration_number"] == full_case.registration_number


def _members(path):
    return zipfile.ZipFile(path).namelist()


@pytest.fixture
def exported(full_case, investigator, tmp_path):
    return export_to(tmp_path / "case.zip", full_case, investigator)


def test_one_changed_byte_in_any_member_makes_the_export_invalid_naming_that_member(exported, tmp_path):
    for member in _members(exported):
        changed = tmp_path / f"changed-{hashlib.md5(member.encode()).hexdigest()}.zip"
        rewrite(exported, changed, member, flip_middle_byte)
        check = verify_export(changed)
        assert not check.valid, f"a changed byte in {member} went unnoticed"
        assert member in {m for m, _ in check.problems}, f"{member}: {check.problems}"


def test_a_byte_flipped_in_the_archive_itself_names_the_member(exported, tmp_path):
    member = next(n for n in _members(exported) if n.startswith("evidence/"))
    with zipfile.ZipFile(exported) as archive:
        info = archive.getinfo(member)
    raw = bytearray(exported.read_bytes())
    start = info.header_offset + 30 + len(info.orig_filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_export", str(damaged), stderr=err)
    assert exit_.value.code == 1
    assert "INVALID" in err.getvalue() and member in err.getvalue()


def test_an_added_or_removed_member_is_invalid(exported, tmp_path):
    added = tmp_path / "added.zip"
    rewrite(exported, added, "", lambda d: d)
    with zipfile.ZipFile(added, "a") as archive:
        archive.writestr("evidence/001/planted.png", png_bytes(shade=1))
    assert ("evidence/001/planted.png", "in the archive but not in the manifest") in verify_export(added).problems
    removed = tmp_path / "removed.zip"
    with zipfile.ZipFile(exported) as old, zipfile.ZipFile(removed, "w") as new:
        for info in old.infolist():
            if not info.filename.startswith("acts/"):
                new.writestr(info, old.read(info))
    assert any(m.startswith("acts/") and "missing" in why for m, why in verify_export(removed).problems)


def test_an_export_signed_elsewhere_is_not_trusted_unless_its_certificate_is_given(exported, settings, tmp_path):
    certificate = zipfile.ZipFile(exported).read("signer.pem")
    settings.ECASE_EXPORT_SIGNING_DIR = tmp_path / "another_installation"
    check = verify_export(exported)
    assert not check.valid and ("manifest.json.p7s" in {m for m, _ in check.problems})
    trusted = tmp_path / "police.pem"
    trusted.write_bytes(certificate)
    out = io.StringIO()
    call_command("verify_export", str(exported), "--trust", str(trusted), stdout=out)
    assert out.getvalue().startswith("VALID")


def test_who_may_export(full_case, investigator, colleague, supervisor, prosecutor, outsider, tmp_path):
    for person in (investigator, supervisor, prosecutor):
        assert verify_export(export_to(tmp_path / f"{person.username}.zip", full_case, person)).valid
    case_assign(
        case_id=full_case.pk,
        actor=supervisor,
        lead_investigator=investigator,
        group=[colleague],
        prosecutor=prosecutor,
        supervisor=supervisor,
        reason="Группа",
    )
    with pytest.raises(NotAllowed):
        export_to(tmp_path / "group.zip", full_case, colleague)  # in the group, but not the lead
    with pytest.raises(OutOfScope):
        export_to(tmp_path / "outsider.zip", full_case, outsider)
    assert AuditEvent.objects.filter(event=EventType.EXPORT_MADE, case_id=full_case.pk).count() == 3


def test_the_export_page_downloads_a_valid_archive(full_case, prosecutor, tmp_path):
    client = verified_client(prosecutor)
    assert client.get(reverse("cases:export", args=[full_case.pk])).status_code == 200
    response = client.post(reverse("cases:export", args=[full_case.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    path = tmp_path / "download.zip"
    path.write_bytes(b"".join(response.streaming_content))
    assert verify_export(path).valid
    assert hashlib.sha256(zipfile.ZipFile(path).read("manifest.json")).hexdigest() == response["X-Manifest-SHA256"]
