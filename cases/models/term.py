"""The prosecutor's decision on an investigator's request to extend the term (CPC RK art. 192).

The request is a procedural act (type ``term_extension_request``) that goes through the usual
approval and signature. The supervising prosecutor decides on it in ecase by agreeing to or
refusing the request (issue #17); the agreement produces this row. One decision per
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
    # Who put the decision in the file: the prosecutor themself since issue #17; before it, the head
    # of unit who recorded it on the prosecutor's behalf (filled from the history by migration 0013).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
