"""Audit events in hash chains: one chain per case, one per person for what they do outside a
case, one global chain for the rest (the system's events, anonymous sign-in attempts).

``hash = SHA-256(prev_hash ‖ canonical JSON of the event)``; a per-chain head row is locked
while an event is appended, so writers to different chains never wait on each other and
writers to the same chain never fork it. A person's own chain exists because the case list and
the searches log a row per request: in one global chain, every list request in the country
queued on one row lock (bench/RESULTS_LOAD.md).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import EventType, Outcome

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

GENESIS_HASH = "0" * 64
GLOBAL_CHAIN = "global"


def chain_for_case(case_id: int | None) -> str:
    return f"case:{case_id}" if case_id is not None else GLOBAL_CHAIN


def chain_for(case_id: int | None, actor_id: int | None) -> str:
    """The chain of an event: its case's; else its actor's (``actor:<user id>``); else the global one."""
    if case_id is None and actor_id is not None:
        return f"actor:{actor_id}"
    return chain_for_case(case_id)


class ChainHead(models.Model):
    """The last link of a chain; its row lock serialises appends to that chain only."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"


class AuditEvent(models.Model):
    chain = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField(default=timezone.now)
    # No ``choices`` on purpose: new event types must not need a migration of the audit table.
    event = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, default=Outcome.OK)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.event}"

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [
            models.Index(fields=["case_id", "occurred_at"], name="audit_case_time"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
        ]

    def get_event_display(self) -> StrOrPromise:
        return EventType(self.event).label if self.event in EventType.values else self.event

    def get_outcome_display(self) -> StrOrPromise:
        return Outcome(self.outcome).label if self.outcome in Outcome.values else self.outcome

    def canonical(self) -> bytes:
        """The bytes that are hashed: every recorded field, in a fixed order and encoding."""
        return canonical_bytes(
            self.chain,
            self.seq,
            self.occurred_at,
            self.event,
            self.outcome,
            self.actor_id,
            self.actor_label,
            self.case_id,
            self.target_type,
            self.target_id,
            self.request_id,
            self.ip,
            self.data,
        )

    def compute_hash(self) -> str:
        return link_hash(self.prev_hash, self.canonical())


# The columns canonical_bytes() takes, in its argument order (the verifier streams them as tuples).
CANONICAL_FIELDS = (
    "chain",
    "seq",
    "occurred_at",
    "event",
    "outcome",
    "actor_id",
    "actor_label",
    "case_id",
    "target_type",
    "target_id",
    "request_id",
    "ip",
    "data",
)
_UTC = UTC
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


def canonical_bytes(
    chain,
    seq,
    occurred_at,
    event,
    outcome,
    actor_id,
    actor_label,
    case_id,
    target_type,
    target_id,
    request_id,
    ip,
    data,
) -> bytes:
    """Canonical JSON of one event: sorted keys, no spaces, UTF-8, the time in UTC (ISO 8601)."""
    return _dumps(
        {
            "chain": chain,
            "seq": seq,
            "occurred_at": occurred_at.astimezone(_UTC).isoformat(),
            "event": event,
            "outcome": outcome,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "case_id": case_id,
            "target_type": target_type,
            "target_id": target_id,
            "request_id": request_id,
            "ip": ip,
            "data": data,
        }
    ).encode()


def link_hash(prev_hash: str, canonical: bytes) -> str:
    """``SHA-256(prev_hash ‖ canonical JSON)``, hex: the link that ties an event to its predecessor."""
    return hashlib.sha256(prev_hash.encode() + canonical).hexdigest()
