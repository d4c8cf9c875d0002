"""Writing audit events. Called by services of other apps inside their own transaction."""
from __future__ import annotations

import json
from typing import Any

from django.db import models, transaction

from .choices import Outcome
from .models import AuditEvent, ChainHead, chain_for_case


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through the canonical encoder so the stored JSON is what was hashed.
    return json.loads(json.dumps(data, default=str))


@transaction.atomic
def audit_record(*, actor, event: str, case_id: int | None = None, target: models.Model | None = None,
                 outcome: str = Outcome.OK, data: dict[str, Any] | None = None,
                 actor_label: str = "", ip: str | None = None, request_id: str = "") -> AuditEvent:
    """Append one event to its chain (the case's, or the global one) and return it."""
    chain = chain_for_case(case_id)
    ChainHead.objects.bulk_create([ChainHead(chain=chain)], ignore_conflicts=True)
    head = ChainHead.objects.select_for_update().get(chain=chain)
    record = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        event=event,
        outcome=outcome,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label or (actor.get_username() if actor is not None else "system"),
        case_id=case_id,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        request_id=request_id,
        ip=ip,
        data=_json_safe(data or {}),
        prev_hash=head.hash,
    )
    record.hash = record.compute_hash()
    record.save(force_insert=True)
    head.seq, head.hash = record.seq, record.hash
    head.save(update_fields=["seq", "hash"])
    return record
