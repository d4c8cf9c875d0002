"""Evidence items of a case, their files (content-addressed) and the append-only custody chain."""

from __future__ import annotations

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

from .choices import EvidenceKind, EvidenceStatus


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
