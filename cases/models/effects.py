"""What each act in force did to its case: one row per effect of its type (issue #18, "decrees drive state").

An act's effects (``ProceduralActType.effects``, cases/effects.py) are applied once, when the act
comes into force, in the transaction that brings it there. Each effect leaves one row here: applied,
with what it changed, or not applied, with why (the case had meanwhile moved where the effect no
longer fits). The row is the idempotency key (``act``, ``position``): a second application — a
worker's retry, a re-seal — finds it and changes nothing. Append-only, like the act's steps.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .workflow import AppendOnlyError


class ActEffect(models.Model):
    act = models.ForeignKey("cases.ProceduralAct", on_delete=models.PROTECT, related_name="applied_effects")
    position = models.PositiveSmallIntegerField()  # the effect's index in its type's list
    effect = models.JSONField()  # the effect as the type stated it then (the type may change later)
    applied = models.BooleanField()
    outcome = models.TextField()  # what changed, or why nothing did
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["act", "position"]
        constraints = [models.UniqueConstraint(fields=["act", "position"], name="act_effect_once")]

    def __str__(self) -> str:
        return f"{self.act_id}#{self.position}: {'applied' if self.applied else 'not applied'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("an act's effect is recorded once and never changes")
        super().save(*args, **kwargs)
