"""Writing audit events. Called by services of other apps inside their own transaction."""
from __future__ import annotations

import ipaddress
from typing import Any

from django.db import models, transaction

from .choices import Outcome
from .context import current_origin
from .models import AuditEvent, ChainHead, chain_for_case


def _storable(value: Any) -> Any:
    """A JSON value that PostgreSQL's jsonb stores and returns unchanged, so its hash stays valid.

    jsonb refuses NUL characters and non-finite numbers and may re-spell floats; audit data
    is evidence, not arithmetic, so floats are kept as their text.
    """
    if isinstance(value, dict):
        return {_storable_text(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_storable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value)
    return _storable_text(str(value))


def _storable_text(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _canonical_ip(ip: str | None) -> str | None:
    # PostgreSQL returns inet values in their compressed form; hash what will be read back.
    if not ip:
        return None
    try:
        return ipaddress.ip_address(ip).compressed
    except ValueError:
        return None


@transaction.atomic
def audit_record(*, actor, event: str, case_id: int | None = None, target: models.Model | None = None,
                 outcome: str = Outcome.OK, data: dict[str, Any] | None = None,
                 actor_label: str = "") -> AuditEvent:
    """Append one event to its chain (the case's, or the global one) and return it."""
    origin = current_origin.get()
    chain = chain_for_case(case_id)
    ChainHead.objects.bulk_create([ChainHead(chain=chain)], ignore_conflicts=True)
    head = ChainHead.objects.select_for_update().get(chain=chain)
    record = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        event=event,
        outcome=outcome,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_storable_text(actor_label or (actor.get_username() if actor is not None else "system"))[:150],
        case_id=case_id,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        request_id=origin.request_id if origin else "",
        ip=_canonical_ip(origin.ip) if origin else None,
        data=_storable(data or {}),
        prev_hash=head.hash,
    )
    record.hash = record.compute_hash()
    record.save(force_insert=True)
    head.seq, head.hash = record.seq, record.hash
    head.save(update_fields=["seq", "hash"])
    return record
