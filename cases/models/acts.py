"""Procedural acts: drafted by the investigator, approved by the supervisor, rendered and signed.

The workflow (who may move an act where) lives in cases/acts_workflow.py; this module keeps
the data and its invariants. A signed act never changes again: the model refuses it here and
the database refuses it with a trigger (migration 0002). A correction is a new act whose
``supersedes`` points to the old one; the old row stays as it was signed.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ecase.history import CaseDataModel, Withdrawable, case_history

from ..choices import ActStatus, Language
from .case import CaseChildQuerySet

sha256_hex = RegexValidator(r"^[0-9a-f]{64}$", _("A SHA-256 digest is 64 lowercase hex digits."))


class SignedActImmutableError(RuntimeError):
    """A signed act was about to change. Draft a new act that supersedes it instead."""


def new_verification_token() -> str:
    return secrets.token_urlsafe(24)


class ProceduralAct(Withdrawable, CaseDataModel):
    objects: ClassVar = CaseChildQuerySet.as_manager()

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="acts")
    act_type = models.ForeignKey("cases.ProceduralActType", on_delete=models.PROTECT, related_name="acts")
    number = models.PositiveIntegerField(help_text=_("Number of the act within its case."))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_acts")
    language = models.CharField(max_length=2, choices=Language.choices)
    place = models.CharField(max_length=200, help_text=_("Where the act was drawn up."))
    fields = models.JSONField(default=dict, blank=True, help_text=_("Structured fields of the act's type."))
    body = models.TextField(blank=True)
    participants = models.ManyToManyField("cases.Participant", blank=True, related_name="acts")
    status = models.CharField(max_length=16, choices=ActStatus.choices, default=ActStatus.DRAFT)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, validators=[sha256_hex])
    verification_token = models.CharField(max_length=64, unique=True, default=new_verification_token, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = case_history(m2m_fields=[participants])

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            *Withdrawable.Meta.constraints,
            models.UniqueConstraint(fields=["case", "number"], name="act_number_unique_in_case"),
            models.CheckConstraint(name="act_status_valid", condition=models.Q(status__in=ActStatus.values)),
            models.CheckConstraint(name="act_language_valid", condition=models.Q(language__in=Language.values)),
            # CPC: the approver must not be the author.
            models.CheckConstraint(
                name="act_approver_is_not_author",
                condition=models.Q(approved_by__isnull=True) | ~models.Q(approved_by=models.F("author")),
            ),
            models.CheckConstraint(
                name="act_approved_has_approver",
                condition=~models.Q(status__in=[ActStatus.APPROVED, ActStatus.SIGNED])
                | models.Q(approved_by__isnull=False, approved_at__isnull=False),
            ),
            models.CheckConstraint(
                name="act_signed_is_complete",
                condition=~models.Q(status=ActStatus.SIGNED)
                | (models.Q(signed_at__isnull=False, signed_by__isnull=False) & ~models.Q(pdf_sha256="")),
            ),
            models.CheckConstraint(
                name="act_signed_is_not_withdrawn",
                condition=~models.Q(status=ActStatus.SIGNED) | models.Q(withdrawn_at__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["status"], name="act_status")]

    def __str__(self) -> str:
        return f"№{self.number} {self.act_type}"

    def save(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, status=ActStatus.SIGNED).exists():
            raise SignedActImmutableError(f"act {self.pk} is signed and cannot change")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if not self.act_type_id:
            return
        known = self.act_type.field_names()
        unknown = set(self.fields) - known
        if unknown:
            raise ValidationError(
                {"fields": _("Unknown fields for this act type: %(names)s") % {"names": ", ".join(sorted(unknown))}}
            )
        if self.status != ActStatus.DRAFT:
            missing = [n for n in sorted(self.act_type.required_field_names()) if not self.fields.get(n)]
            if missing:
                raise ValidationError(
                    {"fields": _("Fill in the required fields: %(names)s") % {"names": ", ".join(missing)}}
                )
        superseded = self.supersedes if self.supersedes_id else None
        if superseded is not None and superseded.status != ActStatus.SIGNED:
            raise ValidationError({"supersedes": _("Only a signed act is superseded; edit a draft instead.")})
        if superseded is not None and superseded.case_id != self.case_id:
            raise ValidationError({"supersedes": _("The superseded act belongs to another case.")})
