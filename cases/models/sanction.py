"""An investigating judge's decision on an act that needs their sanction (УПК РК art. 55), as recorded.

Judges have no accounts in ecase: the author records the court's decision as an external fact —
who decided, which court, when, the outcome — with the scan of the court's decision attached
(stored by its SHA-256 like every PDF, cases/pdf/storage.py). One decision per act: a refused
sanction leaves the act without force, and a new petition is a new act. The record is
append-only, like the act it completes.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecase.history import CaseDataModel, case_history

from .acts import sha256_hex
from .case import CaseChildQuerySet


class ActSanction(CaseDataModel):
    objects: ClassVar = CaseChildQuerySet.as_manager()

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="sanctions")
    act = models.OneToOneField("cases.ProceduralAct", on_delete=models.PROTECT, related_name="sanction")
    judge = models.CharField(max_length=200, help_text=_("Full name of the investigating judge."))
    court = models.CharField(max_length=300)
    decided_on = models.DateField()
    granted = models.BooleanField(help_text=_("Whether the judge sanctioned the measure."))
    note = models.TextField(blank=True)
    scan_sha256 = models.CharField(max_length=64, validators=[sha256_hex])
    scan_name = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    history = case_history()

    class Meta:
        ordering = ["decided_on", "id"]
        constraints = [models.CheckConstraint(name="act_sanction_has_scan", condition=~models.Q(scan_sha256=""))]

    def __str__(self) -> str:
        return f"{self.court}, {self.decided_on}: {'granted' if self.granted else 'refused'}"
