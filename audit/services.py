"""Writing audit events. Called by services of other apps inside their own transaction."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .choices import Outcome
from .context import current_origin
from .models import GENESIS_HASH, AuditEvent, ChainHead, chain_for


def _storable(value: Any) -> Any:
    """A JSON value that PostgreSQL's jsonb stores and returns unchanged, so its hash stays valid.

    jsonb refuses NUL characters, lone surrogates and non-finite numbers and may re-spell
    floats; audit data is evidence, not arithmetic, so floats are kept as their text.
    """
    if isinstance(value, dict):
        return {_storable_text(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_storable(v) for v in value]
        # A set has no order of its own: fix one, or the hash would depend on the interpreter's.
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value)
    return _storable_text(str(value))


def _storable_text(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _canonical_ip(ip: str | None) -> str | None:
    """The address as PostgreSQL's ``inet`` prints it back, so the hash computed now still matches.

    PostgreSQL compresses IPv6 like Python does, except that it writes the last 32 bits of an
    IPv4-mapped (``::ffff:a.b.c.d``) or IPv4-compatible (``::a.b.c.d``) address as dotted IPv4.
    """
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if address.version == 4:
        return str(address)
    words = [int(address) >> (112 - 16 * i) & 0xFFFF for i in range(8)]
    tail = str(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if words[:5] == [0] * 5 and words[5] == 0xFFFF:
        return f"::ffff:{tail}"
    if words[:6] == [0] * 6 and words[6] != 0:
        return f"::{tail}"
    return address.compressed


def _locked_head(chain: str) -> ChainHead:
    """The chain's head row, locked until the caller's transaction ends (created on first use)."""
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        # Concurrent first writers: ON CONFLICT DO NOTHING waits for the other insert, then both lock it.
        ChainHead.objects.bulk_create([ChainHead(chain=chain, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True)
        head = ChainHead.objects.select_for_update().get(chain=chain)
    return head


def audit_record(
    *,
    actor,
    event: str,
    case_id: int | None = None,
    target: models.Model | None = None,
    outcome: str = Outcome.OK,
    data: dict[str, Any] | None = None,
    actor_label: str = "",
    chain: str | None = None,
) -> AuditEvent:
    """Append one event to its chain (the case's, else the actor's, else the global one) and return it.

    Runs inside the caller's transaction (no savepoint of its own): the event commits with the
    change it describes, or neither does. The chain's head row stays locked until then, so
    writers to one chain queue while writers to other chains do not wait.
    """
    if chain is not None and case_id is not None:
        raise ValueError("an event of a case goes to the case's chain; pass case_id or chain, not both")
    origin = current_origin.get()
    actor_id = actor.pk if actor is not None and actor.pk else None
    chain = chain or chain_for(case_id, actor_id)
    username = actor.get_username() if actor is not None else ""
    with transaction.atomic(savepoint=False):
        head = _locked_head(chain)
        record = AuditEvent(
            chain=chain,
            seq=head.seq + 1,
            # Taken after the lock, so time never runs backwards along a chain.
            occurred_at=timezone.now(),
            event=event,
            outcome=outcome,
            actor_id=actor_id,
            actor_label=_storable_text(actor_label or username or ("anonymous" if actor is not None else "system"))[
                :150
            ],
            case_id=case_id,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=_storable_text(str(target.pk))[:64] if target is not None else "",
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
