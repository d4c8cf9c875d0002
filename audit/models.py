"""Audit events in hash chains: one chain per case, one global chain for events without a case.

``hash = SHA-256(prev_hash ‖ canonical JSON of the event)``; a per-chain head row is locked
while an event is appended, so writers to different cases never wait on each other and
writers to the same case never fork its chain.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import EventType, Outcome

GENESIS_HASH = "0" * 64
GLOBAL_CHAIN = "global"


def chain_for_case(case_id: int | None) -> str:
    return f"case:{case_id}" if case_id is not None else GLOBAL_CHAIN


class ChainHead(models.Model):
    """The last link of a chain; its row lock serialises appends to that chain only."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)


class AuditEvent(models.Model):
    chain = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField(default=timezone.now)
    # No ``choices`` on purpose: new event types must not need a migration of the audit table.
    event = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, default=Outcome.OK)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150, help_text="Username at the time, or the system actor's name.")
    # A plain column, not a foreign key: audit imports no other app and outlives any row it names.
    case_id = models.BigIntegerField(null=True, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [
            models.Index(fields=["case_id", "occurred_at"], name="audit_case_time"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
        ]

    def get_event_display(self) -> str:
        return EventType(self.event).label if self.event in EventType.values else self.event

    def get_outcome_display(self) -> str:
        return Outcome(self.outcome).label if self.outcome in Outcome.values else self.outcome

    def canonical(self) -> bytes:
        """The bytes that are hashed: every recorded field, in a fixed order and encoding."""
        payload = {
            "chain": self.chain,
            "seq": self.seq,
            "occurred_at": self.occurred_at.astimezone(dt_timezone.utc).isoformat(),
            "event": self.event,
            "outcome": self.outcome,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "case_id": self.case_id,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "request_id": self.request_id,
            "ip": self.ip,
            "data": self.data,
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + self.canonical()).hexdigest()
