"""Evidence items of a case, their files (content-addressed) and the append-only custody chain."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.acts import sha256_hex
from cases.models.case import CaseChildQuerySet
from ecase.history import CaseDataModel, Withdrawable, case_history

from .choices import EvidenceKind, EvidenceStatus, UploadStatus


class AppendOnlyError(RuntimeError):
    """A custody event was about to change: the chain is corrected by a new event."""


class ItemChildQuerySet(CaseChildQuerySet):
    case_path = "item__case"


class EvidenceItem(Withdrawable, CaseDataModel):
    objects: ClassVar = CaseChildQuerySet.as_manager()

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="evidence_items")
    number = models.PositiveIntegerField(validators=[MinValueValidator(1)], help_text=_("Number within the case."))
    kind = models.CharField(max_length=16, choices=EvidenceKind.choices)
    description = models.TextField()
    seized_at = models.DateTimeField()
    seized_place = models.CharField(max_length=300)
    seized_from = models.ForeignKey(
        "cases.Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="seized_evidence"
    )
    seized_from_text = models.CharField(
        max_length=300, blank=True, help_text=_("From whom, when that is not a participant of the case.")
    )
    storage_location = models.CharField(max_length=300, blank=True)
    seal_number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32, choices=EvidenceStatus.choices, default=EvidenceStatus.SEIZED)
    created_at = models.DateTimeField(auto_now_add=True)
    history = case_history()

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            *Withdrawable.Meta.constraints,
            models.UniqueConstraint(fields=["case", "number"], name="evidence_number_unique_in_case"),
            models.CheckConstraint(name="evidence_number_positive", condition=models.Q(number__gte=1)),
            models.CheckConstraint(name="evidence_kind_valid", condition=models.Q(kind__in=EvidenceKind.values)),
            models.CheckConstraint(name="evidence_status_valid", condition=models.Q(status__in=EvidenceStatus.values)),
            models.CheckConstraint(name="evidence_description_not_blank", condition=~models.Q(description="")),
        ]

    def __str__(self) -> str:
        return f"№{self.number} {self.get_kind_display()}"

    def clean(self) -> None:
        errors = {}
        if self.seized_at and self.seized_at > timezone.now():
            errors["seized_at"] = _("The seizure cannot be in the future.")
        seized_from = self.seized_from if self.seized_from_id else None
        if seized_from is not None and self.case_id and seized_from.case_id != self.case_id:
            errors["seized_from"] = _("That participant belongs to another case.")
        if errors:
            raise ValidationError(errors)


class EvidenceFile(Withdrawable, CaseDataModel):
    """A file attached to an item; the bytes live in private storage under their SHA-256."""

    objects: ClassVar = ItemChildQuerySet.as_manager()
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="files")
    sha256 = models.CharField(max_length=64, validators=[sha256_hex])
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, help_text=_("Detected from the content, not the name."))
    original_name = models.CharField(max_length=255, help_text=_("Sanitised; for display only."))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    history = case_history()

    class Meta:
        ordering = ["item", "uploaded_at", "id"]
        constraints = [
            *Withdrawable.Meta.constraints,
            models.UniqueConstraint(
                fields=["item", "sha256"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="evidence_file_once_per_item",
            ),
            models.CheckConstraint(
                name="evidence_file_sha256_hex", condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$")
            ),
            models.CheckConstraint(name="evidence_file_not_empty", condition=models.Q(size__gt=0)),
        ]
        indexes = [models.Index(fields=["sha256"], name="evidence_file_sha256")]

    def __str__(self) -> str:
        return self.original_name


class CustodyEvent(CaseDataModel):
    """One hand-over of an item: from whom to whom, where, when and why. Never changed afterwards."""

    objects: ClassVar = ItemChildQuerySet.as_manager()
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody_events")
    occurred_at = models.DateTimeField()
    from_holder = models.CharField(max_length=200)
    to_holder = models.CharField(max_length=200)
    from_location = models.CharField(max_length=300, blank=True)
    to_location = models.CharField(max_length=300, blank=True)
    reason = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = case_history()

    class Meta:
        ordering = ["item", "occurred_at", "id"]
        constraints = [
            models.CheckConstraint(name="custody_reason_not_blank", condition=~models.Q(reason="")),
            models.CheckConstraint(
                name="custody_holders_not_blank", condition=~models.Q(from_holder="") & ~models.Q(to_holder="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_holder} → {self.to_holder}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("custody events are append-only; record a new event")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.occurred_at and self.occurred_at > timezone.now():
            raise ValidationError({"occurred_at": _("A hand-over cannot be in the future.")})
        if self.occurred_at and self.item_id and self.item.seized_at and self.occurred_at < self.item.seized_at:
            raise ValidationError({"occurred_at": _("A hand-over cannot precede the seizure of the item.")})


class UploadQuerySet(ItemChildQuerySet):
    """Scoped like every child of a case, but written with conditional UPDATEs.

    An upload's row is the protocol's state (offset, hash state, lease), not case data: it has no
    history, and its writes must be compare-and-set (``filter(lease=…).update(…)``) so that two
    nodes never both move it. The case data it ends in — the EvidenceFile — is saved with history.
    """

    def update(self, **kwargs):
        return models.QuerySet.update(self, **kwargs)


class ResumableUpload(models.Model):
    """A tus upload of a file to an item, in progress or ended (evidence/uploads.py, docs/STORAGE.md).

    Its bytes are staged encrypted in the blob backend (``ecase.blobs.Stage``), never on one web
    node's disk, so any node takes the next piece; this row is the stage's state, shared by all of
    them. It belongs to the user who started it and to its item (and so to its case): every
    request on it goes through ``restrict`` of the case and is refused to anyone else. The row is
    kept after the end (the finished file names it); its staged parts are removed.
    """

    objects = UploadQuerySet.as_manager()
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="resumable_uploads")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255, help_text=_("Sanitised; for display only."))
    length = models.PositiveBigIntegerField()
    status = models.CharField(max_length=16, choices=UploadStatus.choices, default=UploadStatus.OPEN)
    refusal = models.TextField(blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    file = models.OneToOneField(
        EvidenceFile, null=True, blank=True, on_delete=models.PROTECT, related_name="resumable_upload"
    )
    # The stage (ecase.blobs.Stage): where the sealed bytes end, the kept tail, the hash state so far.
    key_envelope = models.BinaryField()
    nonce_prefix = models.BinaryField()
    segment_size = models.PositiveIntegerField()
    sealed = models.PositiveBigIntegerField(default=0)
    tail = models.PositiveIntegerField(default=0)
    hash_state = models.BinaryField()
    parts = models.JSONField(default=list, blank=True)
    # One PATCH at a time: a node writes only while it holds the lease (renewed with every part).
    lease = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(name="upload_length_positive", condition=models.Q(length__gt=0)),
            models.CheckConstraint(
                name="upload_offset_within_length", condition=models.Q(sealed__lte=models.F("length"))
            ),
            models.CheckConstraint(name="upload_status_valid", condition=models.Q(status__in=UploadStatus.values)),
            models.CheckConstraint(
                name="upload_finished_has_file",
                condition=models.Q(status=UploadStatus.FINISHED, file__isnull=False)
                | (~models.Q(status=UploadStatus.FINISHED) & models.Q(file__isnull=True)),
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="upload_open_expiry")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sealed + self.tail}/{self.length})"

    @property
    def offset(self) -> int:
        return self.sealed + self.tail
