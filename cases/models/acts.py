"""Procedural acts: drafted and signed by their author, approved, agreed and sanctioned where the law asks.

The workflow (who may move an act where) is generated from the act type's requirements in
cases/act_transitions.py; this module keeps the data and its invariants. A signed act never changes again: the model refuses it here and
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
    status = models.CharField(max_length=24, choices=ActStatus.choices, default=ActStatus.DRAFT)
    # The requirements the author signed the act under, and the version whose content they signed:
    # the later signatures of that round sign the same content (cases/services/act_rendering.py).
    requirement = models.ForeignKey(
        "cases.ActRequirement", null=True, blank=True, on_delete=models.PROTECT, related_name="acts"
    )
    content_version = models.PositiveIntegerField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    # When the act reached the prosecutor, plus the hours its requirements give them.
    agreement_due_at = models.DateTimeField(null=True, blank=True)
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
                name="act_awaiting_agreement_has_due",
                condition=~models.Q(status=ActStatus.AWAITING_AGREEMENT) | models.Q(agreement_due_at__isnull=False),
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
        indexes = [
            models.Index(fields=["status"], name="act_status"),
            # The dashboards' overdue agreements: few rows wait at any time, so a partial index.
            models.Index(
                fields=["agreement_due_at"],
                name="act_agreement_due",
                condition=models.Q(status=ActStatus.AWAITING_AGREEMENT),
            ),
            # The clocks of signed acts (cases/clock_selectors.py): the few clock types, recent ones.
            models.Index(
                fields=["act_type", "signed_at"],
                name="act_signed_clock",
                condition=models.Q(status=ActStatus.SIGNED, withdrawn_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"№{self.number} {self.act_type}"

    def requirements(self):
        """The requirements this act runs under: those it was signed under, or those in force today."""
        from .requirements import ActRequirement

        if self.requirement_id:
            return self.requirement
        if hasattr(self, "_requirement_in_force"):  # set for a whole list by ``prime_requirements``
            return self._requirement_in_force
        return ActRequirement.objects.in_force(self.act_type_id)

    @property
    def in_force(self) -> bool:
        """Derived, never stored: every step the act's requirements call for is taken and signed.

        ``signed`` is reached only when the author signed, the head of unit approved and the
        prosecutor agreed where required, and their signatures are on the PDF; a judge's sanction,
        where required, must also be recorded as granted. An act superseded by a signed correction
        has no force of its own.
        """
        if self.status != ActStatus.SIGNED or self.is_withdrawn:
            return False
        requirement = self.requirements()
        if requirement is not None and requirement.needs_sanction:
            sanction = getattr(self, "sanction", None)
            if sanction is None or not sanction.granted:
                return False
        correction = getattr(self, "superseded_by", None)
        return correction is None or correction.status != ActStatus.SIGNED

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
