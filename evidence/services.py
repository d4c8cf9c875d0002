"""Writes on evidence: items, their withdrawal and the chain of custody."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from cases import access
from cases.services.withdrawal import withdraw
from ecase.errors import OutOfScope
from ecase.history import save_attributed

from .files import sanitise_name, store_stream
from .models import CustodyEvent, EvidenceFile, EvidenceItem

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
    if EvidenceFile.objects.filter(item=item, sha256=blob.sha256, withdrawn_at__isnull=True).exists():
        raise ValidationError(_("This file is already attached to the item."), code="file_duplicate")
    record = EvidenceFile(
        item=item,
        sha256=blob.sha256,
        size=blob.size,
        content_type=blob.content_type,
        original_name=sanitise_name(name),
        uploaded_by=actor,
    )
    save_attributed(record, actor=actor, reason=_("File uploaded"))
    audit_record(
        actor=actor,
        event=EventType.FILE_UPLOADED,
        case_id=item.case_id,
        target=record,
        data={"sha256": blob.sha256, "size": blob.size, "type": blob.content_type, "name": record.original_name},
    )
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
