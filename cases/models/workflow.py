"""The record of an act's lifecycle and of the PDF each approved version owes (issue #5).

``ActTransition`` is append-only: one row per step, written by the workflow service in the
same transaction as the step itself. ``ActRendering`` is the database's list of work the
Celery workers owe: created with the approval, it stays ``queued`` or ``rendering`` until the
signed PDF is stored, so a sweep can re-enqueue what the broker lost. Both refuse changes
the rules forbid, here and in database triggers (migration 0005).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..act_transitions import ActAction
from ..choices import ActStatus, RenderingState
from ..signing.roles import SignatureRole
from .acts import sha256_hex


class AppendOnlyError(RuntimeError):
    """A row of a record that is only ever appended to was about to change."""


class ActTransition(models.Model):
    """One step of an act: who moved it from which status to which, when, why."""

    act = models.ForeignKey("cases.ProceduralAct", on_delete=models.PROTECT, related_name="transitions")
    act_version = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=ActAction.choices)
    from_status = models.CharField(max_length=24, choices=ActStatus.choices)
    to_status = models.CharField(max_length=24, choices=ActStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    # A refusal is the prosecutor's own decision: the signed act that records it (issue #17). Empty for
    # every other step, and for refusals recorded before those acts existed (no backfill).
    decision_act = models.OneToOneField(
        "cases.ProceduralAct", null=True, blank=True, on_delete=models.PROTECT, related_name="decided_transition"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(name="act_transition_action_valid", condition=models.Q(action__in=ActAction.values)),
            models.CheckConstraint(
                name="act_transition_statuses_valid",
                condition=models.Q(from_status__in=ActStatus.values, to_status__in=ActStatus.values),
            ),
        ]
        indexes = [models.Index(fields=["act", "at"], name="act_transition_act_at")]

    def __str__(self) -> str:
        return f"{self.act_id}: {self.from_status} —{self.action}→ {self.to_status}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("an act transition is recorded once and never changes")
        super().save(*args, **kwargs)


class ActRendering(models.Model):
    """One signature an act owes to its PDF, and how far the workers got with it (issue #17).

    Each step that signs (the author's, the approver's, the prosecutor's) queues one row; the rows
    of one signed content (``act_version``: the version the author signed) are appended to one PDF
    in ``step`` order, each as an incremental update of the previous row's file. The first row of a
    round renders the PDF from its ``snapshot``; the later ones carry none.
    """

    act = models.ForeignKey("cases.ProceduralAct", on_delete=models.PROTECT, related_name="renderings")
    act_version = models.PositiveIntegerField(help_text=_("The act version whose content is signed."))
    role = models.CharField(max_length=16, choices=SignatureRole.choices, default=SignatureRole.APPROVER)
    step = models.PositiveSmallIntegerField(default=1, help_text=_("Order of this signature in its round."))
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    snapshot = models.JSONField(
        default=dict, blank=True, help_text=_("Everything the layout prints, frozen at the author's signature.")
    )
    state = models.CharField(max_length=16, choices=RenderingState.choices, default=RenderingState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Last time a render message reached the broker.")
    )
    # Set when a transient error postponed the work: the retry message is due then, and the sweep
    # leaves the rendering alone until it is overdue, so it does not undo the task's backoff.
    retry_due_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, validators=[sha256_hex])
    pdf_size = models.PositiveIntegerField(null=True, blank=True)
    signer_certificate_sha256 = models.CharField(max_length=64, blank=True, validators=[sha256_hex])

    class Meta:
        # No default ordering: it would turn the workers' primary-key lock (claim, sign) into a joined,
        # ordered FOR UPDATE whose plan depends on fresh statistics (765 ms per act with stale ones).
        constraints = [
            # One signature per role and signed content: a redelivered task finds this row, not a new one.
            models.UniqueConstraint(fields=["act", "act_version", "role"], name="act_rendering_one_per_role"),
            models.UniqueConstraint(fields=["act", "act_version", "step"], name="act_rendering_one_per_step"),
            models.CheckConstraint(
                name="act_rendering_state_valid", condition=models.Q(state__in=RenderingState.values)
            ),
            models.CheckConstraint(
                name="act_rendering_signed_is_complete",
                condition=~models.Q(state=RenderingState.SIGNED)
                | (models.Q(finished_at__isnull=False, pdf_size__isnull=False) & ~models.Q(pdf_sha256="")),
            ),
            models.CheckConstraint(
                name="act_rendering_failed_has_reason",
                condition=~models.Q(state=RenderingState.FAILED) | ~models.Q(last_error=""),
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "published_at"],
                name="act_rendering_pending",
                condition=models.Q(state__in=[RenderingState.QUEUED, RenderingState.RENDERING]),
            ),
        ]

    def __str__(self) -> str:
        return f"act {self.act_id} v{self.act_version} {self.role}: {self.state}"

    @property
    def is_pending(self) -> bool:
        return self.state in (RenderingState.QUEUED, RenderingState.RENDERING)

    def save(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, state=RenderingState.SIGNED).exists():
            raise AppendOnlyError(f"rendering {self.pk} is signed and cannot change")
        super().save(*args, **kwargs)
