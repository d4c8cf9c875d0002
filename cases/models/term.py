"""The prosecutor's decision on an investigator's request to extend the term (CPC RK art. 192).

The request is a procedural act (type ``term_extension_request``) that goes through the usual
approval and signature. The supervising prosecutor decides on it; prosecutors never write in
ecase, so the head of the unit records the decision (docs/ARCHITECTURE.md). One decision per
request: a granted one points to the ``DeadlineExtension`` it produced, a refused one to none.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ecase.history import CaseDataModel, case_history

from .case import CaseChildQuerySet


class ExtensionDecision(CaseDataModel):
    objects: ClassVar = CaseChildQuerySet.as_manager()
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="extension_decisions")
    request = models.OneToOneField("cases.ProceduralAct", on_delete=models.PROTECT, related_name="extension_decision")
    granted = models.BooleanField()
    extension = models.OneToOneField(
        "cases.DeadlineExtension", null=True, blank=True, on_delete=models.PROTECT, related_name="decision"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The supervising prosecutor whose decision this is."),
    )
    decided_on = models.DateField()
    reason = models.TextField()
    history = case_history()

    class Meta:
        ordering = ["decided_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="extension_decision_granted_has_extension",
                condition=models.Q(granted=True, extension__isnull=False)
                | models.Q(granted=False, extension__isnull=True),
            ),
            models.CheckConstraint(name="extension_decision_reason_not_blank", condition=~models.Q(reason="")),
        ]
