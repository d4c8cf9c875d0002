"""Writes on evidence: items, their withdrawal and the chain of custody."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from cases import access
from cases.services.withdrawal import withdraw
from ecase import blobs
from ecase.errors import OutOfScope
from ecase.history import save_attributed

from .choices import UploadStatus
from .files import refuse_unaccepted_name, sanitise_name, store_stream
from .models import CustodyEvent, EvidenceFile, EvidenceItem, ResumableUpload

ITEM_FIELDS = (
    "kind",
    "description",
    "seized_at",
    "seized_place",
    "seized_from",
    "seized_from_text",
    "storage_location",
    "seal_number",
    "status",
)


@transaction.atomic
def evidence_add(*, case_id: int, actor: User, number: int | None = None, reason: str = "", **fields) -> EvidenceItem:
    """Enter an evidence item; its number is the next free one in the case unless given."""
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"unknown evidence fields: {sorted(unknown)}")
    case = access.lock_case(case_id, actor=actor, action=access.CHANGE)
    if number is None:
        number = (EvidenceItem.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
    elif EvidenceItem.objects.filter(case=case, number=number).exists():
        raise ValidationError({"number": _("Evidence item №%(n)s already exists in this case.") % {"n": number}})
    item = EvidenceItem(case=case, number=number, **fields)
    save_attributed(item, actor=actor, reason=reason or _("Evidence entered"))
    audit_record(
        actor=actor,
        event=EventType.EVIDENCE_ADDED,
        case_id=case.pk,
        target=item,
        data={"number": number, "kind": item.kind, "seal": item.seal_number},
    )
    return item


def _withdrawn_item() -> ValidationError:
    return ValidationError(_("This evidence item was withdrawn."))


def locked_item(item_id: int, *, actor: User) -> EvidenceItem:
    """The item, if visible and not withdrawn, locked with its case for a change by ``actor``."""
    item = access.locked(EvidenceItem, item_id, actor=actor, action=access.CHANGE)
    if item.is_withdrawn:
        raise _withdrawn_item()
    return item


@transaction.atomic
def evidence_update(*, item_id: int, actor: User, reason: str, **changes) -> EvidenceItem:
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"unknown evidence fields: {sorted(unknown)}")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State why the item is changed.")})
    item = locked_item(item_id, actor=actor)
    before = {k: _audit_value(getattr(item, k)) for k in changes}
    for name, value in changes.items():
        setattr(item, name, value)
    save_attributed(item, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        event=EventType.EVIDENCE_CHANGED,
        case_id=item.case_id,
        target=item,
        data={"from": before, "to": {k: _audit_value(v) for k, v in changes.items()}, "reason": reason},
    )
    return item


def _audit_value(value):
    # Related rows are named by id: the audit trail need not repeat a person's name.
    return value.pk if hasattr(value, "pk") else str(value)


@transaction.atomic
def evidence_withdraw(*, item_id: int, actor: User, reason: str) -> EvidenceItem:
    return withdraw(
        EvidenceItem,
        item_id,
        actor=actor,
        reason=reason,
        event=EventType.EVIDENCE_WITHDRAWN,
        reason_missing=_("State why the item is withdrawn."),
        already_withdrawn=_withdrawn_item(),
    )


@transaction.atomic
def evidence_transfer(
    *,
    item_id: int,
    actor: User,
    to_holder: str,
    to_location: str,
    reason: str,
    occurred_at: datetime | None = None,
    from_holder: str = "",
) -> CustodyEvent:
    """Record a hand-over; the item's storage location follows the newest event."""
    item = locked_item(item_id, actor=actor)
    last = item.custody_events.order_by("-occurred_at", "-id").first()
    event = CustodyEvent(
        item=item,
        occurred_at=occurred_at or timezone.now(),
        reason=(reason or "").strip(),
        from_holder=(from_holder or "").strip()
        or (last.to_holder if last else actor.get_full_name() or actor.username),
        to_holder=(to_holder or "").strip(),
        from_location=item.storage_location,
        to_location=(to_location or "").strip(),
        recorded_by=actor,
    )
    if last and event.occurred_at < last.occurred_at:
        raise ValidationError({"occurred_at": _("A hand-over cannot precede the previous one.")})
    save_attributed(event, actor=actor, reason=event.reason)
    if event.to_location and event.to_location != item.storage_location:
        item.storage_location = event.to_location
        save_attributed(item, actor=actor, reason=event.reason)
    audit_record(
        actor=actor,
        event=EventType.EVIDENCE_TRANSFERRED,
        case_id=item.case_id,
        target=event,
        data={
            "from": event.from_holder,
            "to": event.to_holder,
            "from_location": event.from_location,
            "to_location": event.to_location,
            "reason": event.reason,
        },
    )
    return event


@transaction.atomic
def evidence_file_add(*, item_id: int, actor: User, stream, name: str) -> EvidenceFile:
    """Attach a file to an item: checked, hashed and stored before the row is written."""
    item = locked_item(item_id, actor=actor)
    blob = store_stream(stream, name=name, max_bytes=settings.ECASE_MAX_UPLOAD_BYTES)
    return _record_file(item, actor, sha256=blob.sha256, size=blob.size, content_type=blob.content_type, name=name)


def _record_file(
    item: EvidenceItem, actor: User, *, sha256: str, size: int, content_type: str, name: str, **audit_extra
) -> EvidenceFile:
    """The row of a file already stored in the blob store, and its audit event (the case is locked)."""
    if EvidenceFile.objects.filter(item=item, sha256=sha256, withdrawn_at__isnull=True).exists():
        raise ValidationError(_("This file is already attached to the item."), code="file_duplicate")
    record = EvidenceFile(
        item=item,
        sha256=sha256,
        size=size,
        content_type=content_type,
        original_name=sanitise_name(name),
        uploaded_by=actor,
    )
    save_attributed(record, actor=actor, reason=_("File uploaded"))
    audit_record(
        actor=actor,
        event=EventType.FILE_UPLOADED,
        case_id=item.case_id,
        target=record,
        data={"sha256": sha256, "size": size, "type": content_type, "name": record.original_name, **audit_extra},
    )
    return record


@transaction.atomic
def resumable_start(*, item_id: int, actor: User, name: str, length: int) -> ResumableUpload:
    """Open a resumable upload of ``length`` bytes to an item: its stage and its row, bound to ``actor``.

    The size limit and the name's ending are checked now; the content's type when its first part
    arrives (evidence/uploads.py), and the hash when the last one does.
    """
    item = locked_item(item_id, actor=actor)
    limit = settings.ECASE_MAX_RESUMABLE_UPLOAD_BYTES
    if length <= 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    if length > limit:
        raise ValidationError(
            _("The file is larger than the limit of %(limit)s.") % {"limit": filesizeformat(limit)},
            code="file_too_large",
        )
    refuse_unaccepted_name(name)
    upload = ResumableUpload(
        id=uuid.uuid4(),
        item=item,
        created_by=actor,
        name=sanitise_name(name),
        length=length,
        expires_at=timezone.now() + timedelta(hours=settings.ECASE_UPLOAD_EXPIRY_HOURS),
    )
    stage = blobs.stage_begin(upload.id.hex, length)
    upload.key_envelope, upload.nonce_prefix, upload.segment_size = (
        stage.key_envelope,
        stage.nonce_prefix,
        stage.segment,
    )
    upload.hash_state = stage.hash_state
    upload.full_clean(exclude=["key_envelope", "nonce_prefix", "hash_state"])
    upload.save()
    return upload


@transaction.atomic
def resumable_attach(*, upload_id, actor: User, blob: blobs.StoredBlob) -> EvidenceFile:
    """The finished upload's file row, once: the upload is locked, and a second call returns the first file."""
    upload = ResumableUpload.objects.select_for_update().get(pk=upload_id)
    if upload.file_id is not None:
        return upload.file
    if upload.created_by_id != actor.pk or upload.status != UploadStatus.OPEN:
        raise OutOfScope("no such upload")
    if blob.size != upload.length:
        raise ValidationError(_("The file is not complete."), code="file_incomplete")
    item = locked_item(upload.item_id, actor=actor)  # the scope and the grave-case rule, checked again
    record = _record_file(
        item,
        actor,
        sha256=blob.sha256,
        size=blob.size,
        content_type=upload.content_type,
        name=upload.name,
        upload=str(upload.pk),
    )
    upload.status, upload.file = UploadStatus.FINISHED, record
    upload.save(update_fields=["status", "file", "updated_at"])
    return record


@transaction.atomic
def evidence_file_withdraw(*, file_id: int, actor: User, reason: str) -> EvidenceFile:
    """Withdraw a file (attached in error); its row, its bytes and its history stay."""

    def item_in_force(record: EvidenceFile) -> None:
        if record.item.is_withdrawn:
            raise _withdrawn_item()

    # A withdrawn file answers as an absent one, as before: it is no longer offered for anything.
    return withdraw(
        EvidenceFile,
        file_id,
        actor=actor,
        reason=reason,
        event=EventType.FILE_WITHDRAWN,
        reason_missing=_("State why the file is withdrawn."),
        already_withdrawn=OutOfScope("no such file"),
        precondition=item_in_force,
        related=("item",),
        audit_data=lambda record: {"sha256": record.sha256},
    )
