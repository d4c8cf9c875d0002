"""Evidence files: content-addressed storage, type from content, refusals that leave nothing, safe names."""

import hashlib
import io
import os
import re
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from audit.choices import EventType
from audit.models import AuditEvent
from ecase import blobs
from ecase.errors import NotAllowed, OutOfScope
from evidence import files
from evidence.files import sanitise_name, store_stream
from evidence.models import EvidenceFile
from evidence.services import evidence_file_add, evidence_file_withdraw

from .helpers import CountingStream, add_item, padded_png, pdf_bytes, png_bytes, storage_tree


def upload(item, actor, data: bytes, name: str):
    return evidence_file_add(item_id=item.pk, actor=actor, stream=io.BytesIO(data), name=name)


def blob_of(root, data: bytes):
    """(address, path of the encrypted body) of ``data`` in the blob store's filesystem backend."""
    sha = hashlib.sha256(data).hexdigest()
    return sha, root / blobs.body_name(sha)


def plaintext_of(path) -> bytes:
    """What the store gives back for the body at ``path``, which must not hold it in the clear (issue #19)."""
    plain = blobs.read_bytes(path.name)
    assert plain[:4096] not in path.read_bytes()
    return plain


def stored_names(sha: str) -> list:
    return sorted([Path(blobs.body_name(sha)), Path(blobs.key_name(sha))])


# --- storing -----------------------------------------------------------------------------------


def test_investigator_uploads_a_png_stored_under_its_sha256(item, investigator, private_storage):
    data = png_bytes(4, 3, shade=200)
    record = upload(item, investigator, data, "фото_телефона.png")
    sha, path = blob_of(private_storage, data)
    assert (record.sha256, record.size, record.content_type) == (sha, len(data), "image/png")
    assert plaintext_of(path) == data
    assert record.original_name == "фото_телефона.png"
    assert record.uploaded_by == investigator
    assert storage_tree(private_storage)[0] == stored_names(sha)
    stored = EvidenceFile.objects.get(pk=record.pk)
    assert stored.sha256 == sha and stored.size == len(data)


def test_investigator_uploads_a_real_pdf(item, investigator, private_storage):
    data = pdf_bytes()
    assert data.startswith(b"%PDF-")
    record = upload(item, investigator, data, "Протокол осмотра.PDF")
    sha, path = blob_of(private_storage, data)
    assert (record.sha256, record.size, record.content_type) == (sha, len(data), "application/pdf")
    assert plaintext_of(path) == data


def test_stored_blobs_are_read_only(item, investigator, private_storage):
    data = png_bytes()
    upload(item, investigator, data, "a.png")
    mode = stat.S_IMODE(os.stat(blob_of(private_storage, data)[1]).st_mode)
    assert mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0


def test_it_records_the_upload_in_history_and_audit(item, investigator, case):
    data = png_bytes()
    record = upload(item, investigator, data, "a.png")
    assert record.history.get().history_user == investigator
    event = AuditEvent.objects.get(event=EventType.FILE_UPLOADED, target_id=str(record.pk))
    assert event.case_id == case.pk
    assert event.data == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "type": "image/png",
        "name": "a.png",
    }


def test_the_same_bytes_on_two_items_are_stored_once(case, item, investigator, private_storage):
    other_item = add_item(case, investigator, description="Сим-карта оператора Beeline")
    data = png_bytes(2, 2, shade=17)
    first = upload(item, investigator, data, "снимок.png")
    second = upload(other_item, investigator, data, "копия.png")
    assert first.sha256 == second.sha256 == hashlib.sha256(data).hexdigest()
    assert first.pk != second.pk
    assert storage_tree(private_storage)[0] == stored_names(first.sha256)
    assert plaintext_of(blob_of(private_storage, data)[1]) == data


def test_it_refuses_the_same_file_twice_on_one_item(item, investigator, private_storage):
    data = png_bytes()
    upload(item, investigator, data, "a.png")
    with pytest.raises(ValidationError) as error:
        upload(item, investigator, data, "b.png")
    assert error.value.code == "file_duplicate"
    assert EvidenceFile.objects.filter(item=item).count() == 1
    assert plaintext_of(blob_of(private_storage, data)[1]) == data


def test_a_file_as_large_as_the_limit_is_accepted(item, investigator, settings):
    settings.ECASE_MAX_UPLOAD_BYTES = 2048
    record = upload(item, investigator, padded_png(2048), "scan.png")
    assert record.size == 2048


# --- refusals ----------------------------------------------------------------------------------

REFUSED = {
    "html_named_pdf": (
        b"<!DOCTYPE html><html><head><title>x</title></head>"
        b"<body><script>alert(document.cookie)</script></body></html>",
        "протокол.pdf",
        {"file_type", "file_mismatch"},
    ),
    "exe_named_jpg": (b"MZ" + b"\x90\x00\x03\x00" * 256, "photo.jpg", {"file_type", "file_mismatch"}),
    "empty": (b"", "empty.png", {"file_empty"}),
    "png_named_pdf": (png_bytes(), "заключение.pdf", {"file_mismatch"}),
    "pdf_named_png": (pdf_bytes(), "снимок.png", {"file_mismatch"}),
    "exe_named_txt": (
        b"MZ\x00\x00This program cannot be run in DOS mode",
        "readme.txt",
        {"file_type", "file_mismatch"},
    ),
}


@pytest.mark.parametrize("data,name,codes", REFUSED.values(), ids=REFUSED.keys())
def test_it_refuses_a_bad_file_and_leaves_nothing_behind(item, investigator, private_storage, data, name, codes):
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        upload(item, investigator, data, name)
    assert error.value.code in codes
    assert not EvidenceFile.objects.exists()
    assert AuditEvent.objects.count() == audit_before
    assert storage_tree(private_storage) == ([], [])


def test_it_refuses_a_file_one_byte_over_the_limit_and_leaves_nothing_behind(
    item, investigator, settings, private_storage
):
    settings.ECASE_MAX_UPLOAD_BYTES = 2048
    with pytest.raises(ValidationError) as error:
        upload(item, investigator, padded_png(2049), "scan.png")
    assert error.value.code == "file_too_large"
    assert not EvidenceFile.objects.exists()
    assert storage_tree(private_storage) == ([], [])


def test_outsider_uploading_to_the_item_gets_out_of_scope_and_nothing_is_stored(item, outsider, private_storage):
    with pytest.raises(OutOfScope):
        upload(item, outsider, png_bytes(), "a.png")
    assert not EvidenceFile.objects.exists()
    assert storage_tree(private_storage)[0] == []


def test_prosecutor_may_not_upload(item, prosecutor, private_storage):
    with pytest.raises(NotAllowed):
        upload(item, prosecutor, png_bytes(), "a.png")
    assert not EvidenceFile.objects.exists()
    assert storage_tree(private_storage)[0] == []


def test_investigator_withdraws_a_file_whose_row_and_bytes_stay(item, investigator, private_storage):
    data = png_bytes()
    record = upload(item, investigator, data, "a.png")
    evidence_file_withdraw(file_id=record.pk, actor=investigator, reason="Приложен ошибочно")
    kept = EvidenceFile.objects.get(pk=record.pk)
    assert kept.is_withdrawn and kept.withdrawn_by == investigator
    assert kept.withdrawal_reason == "Приложен ошибочно"
    assert plaintext_of(blob_of(private_storage, data)[1]) == data


def test_a_withdrawn_file_can_be_attached_again_as_a_new_row(item, investigator):
    # Withdrawal is an act on the record, not on the bytes: re-attaching makes a second row and
    # the withdrawn one stays with its reason. A second active copy is still refused.
    data = png_bytes()
    record = upload(item, investigator, data, "a.png")
    evidence_file_withdraw(file_id=record.pk, actor=investigator, reason="Приложен ошибочно")
    again = upload(item, investigator, data, "a.png")
    assert again.pk != record.pk and not again.is_withdrawn
    assert EvidenceFile.objects.get(pk=record.pk).is_withdrawn
    with pytest.raises(ValidationError) as error:
        upload(item, investigator, data, "a.png")
    assert error.value.code == "file_duplicate"
    assert EvidenceFile.objects.filter(item=item).count() == 2


# --- names -------------------------------------------------------------------------------------

NAMES = {
    "../../etc/passwd": "passwd",
    "..\\..\\windows\\system32\\drivers\\etc\\hosts.txt": "hosts.txt",
    "a\x00b.pdf": "a_b.pdf",
    "": "file",
    None: "file",
    "...": "file",
    "/": "file",
    "..": "file",
    ".hidden.png": "hidden.png",
    "отчёт..pdf": "отчёт.pdf",
    "рапорт\r\nSet-Cookie: x.pdf": "рапорт_Set-Cookie_ x.pdf",
    "a\tb\x1b[31mc\x7f.png": "a_b_[31mc_.png",
}


@pytest.mark.parametrize("raw,expected", NAMES.items(), ids=[repr(k) for k in NAMES])
def test_sanitise_name_gives_a_safe_display_name(raw, expected):
    assert sanitise_name(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [k for k in NAMES if k]
    + [
        "C:\\Users\\Admin\\..\\..\\boot.ini",
        "evil\u202egnp.exe",
        "a\u0085b\u009bc.png",
        "x\u2028y.png",
        "\u200b.png",
    ],
)
def test_sanitise_name_leaves_no_path_no_dot_dot_and_no_control_character(raw):
    import unicodedata

    name = sanitise_name(raw)
    assert name
    assert "/" not in name and "\\" not in name and ".." not in name
    assert not name.startswith(".")
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name), repr(name)


def test_sanitise_name_keeps_the_ending_of_a_very_long_name():
    name = sanitise_name("протокол_" * 60 + ".pdf")
    assert len(name) <= 200
    assert name.endswith(".pdf")


def test_sanitise_name_normalises_to_nfc():
    assert sanitise_name("e\u0301.png") == "\u00e9.png"
    assert sanitise_name("\u0418\u0306\u0435\u0308.pdf") == "\u0419\u0451.pdf"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("a\x00b.pdf", "a_b.pdf"),
        ("..\\..\\evil\\\x07scan\x01.png", "scan_.png"),
        ("протокол\u202egnp.pdf", "протокол_gnp.pdf"),
    ],
)
def test_the_stored_original_name_is_sanitised(item, investigator, raw, expected):
    data = pdf_bytes() if expected.endswith(".pdf") else png_bytes(shade=len(raw))
    record = upload(item, investigator, data, raw)
    stored = EvidenceFile.objects.get(pk=record.pk).original_name
    assert stored == expected
    assert "/" not in stored and "\\" not in stored and ".." not in stored and "\x00" not in stored


# --- streaming ---------------------------------------------------------------------------------


def test_a_five_megabyte_upload_is_read_in_chunks(item, investigator, settings, private_storage):
    settings.ECASE_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    data = padded_png(5 * 1024 * 1024)
    stream = CountingStream(data)
    record = evidence_file_add(item_id=item.pk, actor=investigator, stream=stream, name="скан.png")
    assert record.size == len(data)
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert stream.unbounded_reads == 0
    assert 0 < stream.largest_request <= files.CHUNK
    assert stream.calls >= len(data) // files.CHUNK
    segments = -(-len(data) // settings.ECASE_BLOB_SEGMENT_BYTES)  # encrypted: a header and a tag per segment
    assert blob_of(private_storage, data)[1].stat().st_size == blobs.HEADER.size + len(data) + blobs.TAG * segments


def test_an_oversized_stream_is_not_read_to_the_end(settings, private_storage):
    stream = CountingStream(padded_png(10 * files.CHUNK))
    with pytest.raises(ValidationError) as error:
        store_stream(stream, name="big.png", max_bytes=2 * files.CHUNK)
    assert error.value.code == "file_too_large"
    assert stream.calls <= 3
    assert storage_tree(private_storage) == ([], [])


def test_the_too_large_message_states_the_limit_and_not_zero(private_storage):
    with translation.override("en"):
        with pytest.raises(ValidationError) as small:
            store_stream(io.BytesIO(padded_png(3000)), name="scan.png", max_bytes=2048)
        with pytest.raises(ValidationError) as large:
            store_stream(io.BytesIO(padded_png(files.CHUNK * 3)), name="scan.png", max_bytes=2 * files.CHUNK)
    assert not re.search(r"\b0 MB", small.value.messages[0])
    assert re.search(r"\b2\.0\sKB", small.value.messages[0]), small.value.messages[0]
    assert re.search(r"\b2\.0\sMB", large.value.messages[0]), large.value.messages[0]
