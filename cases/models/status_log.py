"""The record of every change of a case's status, with the day it took effect (issue #18, item 6).

The statistics the ministry asks for count decisions taken in a period — cases registered,
interrupted, terminated, sent on — per unit, article and gravity. The case row holds only its
current status, and its history rows are a full copy per save, so the counts need a record of their
own: one row per change, appended by the service that makes it, in the same transaction. The unit
and the gravity are kept as they were when the change was made (a case may be requalified later;
the report counts the decision as it was taken). Append-only, like the act's steps.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import CaseAction, CaseStatus, Gravity
from .workflow import AppendOnlyError

REGISTER = "register"  # the first row of every case: its registration in the ERDR
ACTIONS = [(REGISTER, _("Registered")), *CaseAction.choices]


class CaseStatusChange(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="status_changes")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32, choices=ACTIONS)
    from_status = models.CharField(max_length=32, blank=True)  # empty for the registration
    to_status = models.CharField(max_length=32, choices=CaseStatus.choices)
    gravity = models.PositiveSmallIntegerField(choices=Gravity.choices)
    on_date = models.DateField(help_text=_("The day the decision took effect."))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    # The signed act that made the change, where there is one (the prosecutor's return and cancellation
    # of a termination, issue #17); the decrees of issue #18 will give every change its act.
    decision_act = models.ForeignKey(
        "cases.ProceduralAct", null=True, blank=True, on_delete=models.PROTECT, related_name="status_changes"
    )

    class Meta:
        ordering = ["on_date", "id"]
        constraints = [
            models.CheckConstraint(
                name="case_status_change_action_valid",
                condition=models.Q(action__in=[value for value, _label in ACTIONS]),
            ),
        ]
        # A report reads one period: the day first, then the rows' cases are tested against the scope.
        indexes = [models.Index(fields=["on_date", "action"], name="case_status_change_day")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.action} on {self.on_date}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("a case's status change is recorded once and never changes")
        super().save(*args, **kwargs)


def record_status_change(case, *, action: str, from_status: str, actor, on_date, decision_act=None) -> CaseStatusChange:
    """Append the change the caller just made to ``case`` (inside the caller's transaction)."""
    return CaseStatusChange.objects.create(
        case=case,
        unit_id=case.unit_id,
        action=action,
        from_status=from_status,
        to_status=case.status,
        gravity=case.gravity,
        on_date=on_date,
        actor=actor,
        decision_act=decision_act,
    )
