"""Resumable (tus) uploads through the app, on both backends: the protocol, the checks, the staged bytes.

Small segments and parts (1 KiB × 2) so that a file of a few KiB crosses parts, tails and the
last-segment flag; the 1 GB upload over a real socket cut twice is tests/blobs/test_resumable_1gb.py.
"""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from django.urls import reverse

from cases.services.case import case_assign
from ecase import blobs
from evidence.choices import UploadStatus
from evidence.models import EvidenceFile, ResumableUpload
from tests.auth import stale_otp_client, verified_client
from tests.evidence.helpers import add_item, padded_png
from tests.factories import register

OFFSET = "application/offset+octet-stream"


@pytest.fixture(autouse=True)
def small_segments(settings, backend):
    settings.ECASE_BLOB_SEGMENT_BYTES = 1024
    settings.ECASE_UPLOAD_PART_SEGMENTS = 2


def tus_headers(**headers) -> dict:
    found = {"HTTP_TUS_RESUMABLE": "1.0.0"}
    for name, value in headers.items():
        found["HTTP_" + name.upper()] = str(value)
    return found


def create(client, item, name: str, length: int):
    metadata = "filename " + base64.b64encode(name.encode()).decode()
    return client.post(
        reverse("evidence:resumable-create", args=[item.pk]),
        content_type=OFFSET,
        **tus_headers(upload_length=length, upload_metadata=metadata),
    )


def patch(client, location: str, offset: int, data: bytes):
    return client.patch(location, data=data, content_type=OFFSET, **tus_headers(upload_offset=offset))


def head(client, location: str):
    return client.head(location, **tus_headers())


def staged_names(backend) -> list[str]:
    if backend.kind == "filesystem":
        root = backend.root / "uploads"
        return sorted(p.relative_to(backend.root).as_posix() for p in root.rglob("*") if p.is_file())
    return [name for name in _all_names(backend) if name.startswith("uploads/")]


def _all_names(backend) -> list[str]:
    from tests.blobs import seaweed

    pages = (
        seaweed.client(backend.endpoint_url)
        .get_paginator("list_objects_v2")
        .paginate(Bucket=backend.bucket, Prefix=backend.prefix)
    )
    return sorted(obj["Key"].removeprefix(backend.prefix) for page in pages for obj in page.get("Contents", []))


def test_a_file_sent_in_uneven_pieces_becomes_one_evidence_file(backend, case, investigator):
    item = add_item(case, investigator)
    data = padded_png(9 * 1024 + 300)  # 9 whole segments and a short last one
    client = verified_client(investigator)
    created = create(client, item, "фото с места.png", len(data))
    assert created.status_code == 201, created.content
    location = created["Location"]
    assert created["Tus-Resumable"] == "1.0.0"
    assert created["Upload-Offset"] == "0"

    offset = 0
    for size in (700, 1500, 3000, 2048, 1):  # tails, whole parts, a part and a tail in one piece
        answer = patch(client, location, offset, data[offset : offset + size])
        assert answer.status_code == 204, answer.content
        offset += size
        assert int(answer["Upload-Offset"]) == offset
        assert int(head(client, location)["Upload-Offset"]) == offset
        # Nothing staged holds the plaintext (parts are sealed segments, the tail is sealed too).
        for name in staged_names(backend):
            assert data[:512] not in backend.read(name)
    answer = patch(client, location, offset, data[offset:])
    assert answer.status_code == 204, answer.content
    assert int(answer["Upload-Offset"]) == len(data)

    record = EvidenceFile.objects.get(item=item)
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert (record.size, record.content_type, record.original_name) == (len(data), "image/png", "фото с места.png")
    assert blobs.read_bytes(record.sha256) == data
    assert data[:4096] not in backend.read(blobs.body_name(record.sha256))
    upload = ResumableUpload.objects.get()
    assert (upload.status, upload.file) == (UploadStatus.FINISHED, record)
    assert staged_names(backend) == []
    # The same upload again finishes nothing twice.
    assert patch(client, location, len(data), b"x").status_code == 409
    assert head(client, location)["Upload-Offset"] == str(len(data))
    assert EvidenceFile.objects.filter(item=item).count() == 1

    download = client.get(reverse("evidence:download", args=[record.pk]))
    assert b"".join(download.streaming_content) == data


def test_a_wrong_offset_is_refused_and_the_right_one_is_told(backend, case, investigator):
    item = add_item(case, investigator)
    data = padded_png(5000)
    client = verified_client(investigator)
    location = create(client, item, "a.png", len(data))["Location"]
    assert patch(client, location, 0, data[:3000]).status_code == 204
    stale = patch(client, location, 0, data[:3000])
    assert stale.status_code == 409 and stale["Upload-Offset"] == "3000"
    assert patch(client, location, 3000, data[3000:]).status_code == 204
    assert EvidenceFile.objects.get(item=item).sha256 == hashlib.sha256(data).hexdigest()


def test_a_part_stored_but_never_recorded_is_taken_as_it_is(backend, case, investigator):
    """A node stopped between storing a part and recording it: its nonces are spent, so it is adopted."""
    item = add_item(case, investigator)
    data = padded_png(6000)
    client = verified_client(investigator)
    location = create(client, item, "a.png", len(data))["Location"]
    assert patch(client, location, 0, data[:2048]).status_code == 204
    upload = ResumableUpload.objects.get()
    before = {f: getattr(upload, f) for f in ("sealed", "tail", "hash_state", "parts")}
    assert patch(client, location, 2048, data[2048:4096]).status_code == 204
    ResumableUpload.objects.filter(pk=upload.pk).update(**before)  # as if the second commit never happened

    assert head(client, location)["Upload-Offset"] == "2048"
    # The client sends on from where it was told; the stored part is adopted, the offset moves past it,
    # and the bytes in hand (meant for 2048) are refused with the new offset.
    answer = patch(client, location, 2048, data[2048:3000])
    assert answer.status_code == 409 and answer["Upload-Offset"] == "4096"
    assert patch(client, location, 4096, data[4096:]).status_code == 204
    assert EvidenceFile.objects.get(item=item).sha256 == hashlib.sha256(data).hexdigest()


def test_content_of_another_type_is_refused_at_its_first_part_and_nothing_stays(backend, case, investigator):
    item = add_item(case, investigator)
    program = b"MZ" + b"\x90" * 5000  # a Windows program named as a picture
    client = verified_client(investigator)
    location = create(client, item, "photo.png", len(program))["Location"]
    answer = patch(client, location, 0, program)
    assert answer.status_code == 415
    assert "program" in answer.content.decode()
    assert ResumableUpload.objects.get().status == UploadStatus.REFUSED
    assert head(client, location).status_code == 410
    assert staged_names(backend) == [] and not EvidenceFile.objects.exists()


def test_size_name_and_protocol_are_checked_before_any_byte(backend, settings, case, investigator):
    item = add_item(case, investigator)
    client = verified_client(investigator)
    settings.ECASE_MAX_RESUMABLE_UPLOAD_BYTES = 10_000
    assert create(client, item, "big.mp4", 10_001).status_code == 413
    assert create(client, item, "empty.png", 0).status_code == 400
    assert create(client, item, "tool.exe", 100).status_code == 400
    no_version = client.post(
        reverse("evidence:resumable-create", args=[item.pk]), content_type=OFFSET, HTTP_UPLOAD_LENGTH="100"
    )
    assert no_version.status_code == 412 and no_version["Tus-Version"] == "1.0.0"
    location = create(client, item, "a.png", 100)["Location"]
    assert patch(client, location, 0, b"x" * 101).status_code == 400
    wrong_type = client.patch(location, data=b"x", content_type="text/plain", **tus_headers(upload_offset=0))
    assert wrong_type.status_code == 415
    assert not ResumableUpload.objects.exclude(length=100).exists()


def test_termination_removes_the_staged_bytes_and_keeps_the_row(backend, case, investigator):
    item = add_item(case, investigator)
    data = padded_png(5000)
    client = verified_client(investigator)
    location = create(client, item, "a.png", len(data))["Location"]
    assert patch(client, location, 0, data[:3000]).status_code == 204
    assert staged_names(backend)
    assert client.delete(location, **tus_headers()).status_code == 204
    assert staged_names(backend) == []
    assert ResumableUpload.objects.get().status == UploadStatus.TERMINATED
    assert patch(client, location, 3000, data[3000:]).status_code == 410


def test_an_upload_answers_only_its_own_user_within_the_case_scope(
    backend, case, investigator, colleague, supervisor, outsider
):
    item = add_item(case, investigator)
    data = padded_png(3000)
    location = create(verified_client(investigator), item, "a.png", len(data))["Location"]
    # A member of the investigative group may change the case, but the upload is not his.
    case_assign(
        case_id=case.pk,
        actor=supervisor,
        lead_investigator=investigator,
        group=[colleague],
        prosecutor=case.prosecutor,
        reason="Группа",
    )
    assert patch(verified_client(colleague), location, 0, data).status_code == 404
    assert patch(verified_client(supervisor), location, 0, data).status_code == 403  # sees the case, may not change
    assert patch(verified_client(outsider), location, 0, data).status_code == 404
    assert create(verified_client(outsider), item, "b.png", 10).status_code == 404
    assert ResumableUpload.objects.get().offset == 0 and not EvidenceFile.objects.exists()


def test_a_grave_case_upload_needs_a_recent_second_factor(backend, investigator, prosecutor, supervisor):
    grave = register(actor=investigator, prosecutor=prosecutor, supervisor=supervisor, articles=("99-1",))
    item = add_item(grave, investigator)
    data = padded_png(3000)
    stale = stale_otp_client(investigator)
    refused = create(stale, item, "a.png", len(data))
    assert refused.status_code == 403 and "2fa" in refused["Ecase-Second-Factor"]
    location = create(verified_client(investigator), item, "a.png", len(data))["Location"]
    assert patch(stale, location, 0, data).status_code == 403
    assert patch(verified_client(investigator), location, 0, data).status_code == 204
    assert EvidenceFile.objects.filter(item=item).count() == 1


def test_staged_parts_are_sealed_like_a_blob_body(backend, settings):
    """The stage on its own: pieces in any sizes give exactly the body ``put`` would have written."""
    data = bytes(range(256)) * 30  # 7680 bytes: 7 whole segments and a short last one
    stage = blobs.stage_begin("ab" * 16, len(data))
    commits = []
    for piece in (data[:100], data[100:2500], data[2500:7000], data[7000:]):
        blobs.stage_append(stage, io.BytesIO(piece), count=len(piece), commit=lambda s: commits.append(s.offset))
    assert stage.complete and commits[-1] == len(data)
    blob = blobs.stage_finish(stage)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blobs.read_bytes(blob.sha256) == data
    assert blobs.stage_discard(stage.token) >= 1


def test_an_abandoned_upload_expires_and_its_staged_bytes_go(backend, case, investigator):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    item = add_item(case, investigator)
    data = padded_png(5000)
    client = verified_client(investigator)
    location = create(client, item, "a.png", len(data))["Location"]
    assert patch(client, location, 0, data[:3000]).status_code == 204
    ResumableUpload.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    call_command("expire_uploads", stdout=io.StringIO())
    assert ResumableUpload.objects.get().status == UploadStatus.EXPIRED
    assert staged_names(backend) == []
    assert patch(client, location, 3000, data[3000:]).status_code == 410


def test_the_daily_beat_task_expires_abandoned_uploads(backend, case, investigator, settings):
    from datetime import timedelta

    from django.utils import timezone

    from ecase.celery import app
    from evidence.tasks import expire_uploads

    entry = settings.CELERY_BEAT_SCHEDULE["expire-uploads"]
    assert entry["task"] == expire_uploads.name and expire_uploads.name in app.tasks
    assert entry["schedule"] == timedelta(days=1)

    item = add_item(case, investigator)
    data = padded_png(5000)
    client = verified_client(investigator)
    abandoned = create(client, item, "a.png", len(data))["Location"]
    fresh = create(client, item, "b.png", len(data))["Location"]
    for location in (abandoned, fresh):
        assert patch(client, location, 0, data[:3000]).status_code == 204
    ResumableUpload.objects.filter(pk=abandoned.rstrip("/").rsplit("/", 1)[1]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert expire_uploads.apply().get() == 1
    assert expire_uploads.apply().get() == 0  # a second run (a re-delivery) finds nothing more
    statuses = dict(ResumableUpload.objects.values_list("name", "status"))
    assert statuses == {"a.png": UploadStatus.EXPIRED, "b.png": UploadStatus.OPEN}
    assert {name.split("/")[1] for name in staged_names(backend)} == {ResumableUpload.objects.get(name="b.png").pk.hex}
    assert patch(client, fresh, 3000, data[3000:]).status_code == 204
