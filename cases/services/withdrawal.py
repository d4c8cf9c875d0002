"""Withdrawal: how a row of case data leaves the file without being deleted (DESIGN §2).

Participants, acts, evidence items and evidence files are never deleted; a withdrawal stamps
who, when and why on the row, under the case's lock, with a history row and one audit event.
The common part lives here; each service adds what is its own (the message that asks for the
reason, what "already withdrawn" answers, any precondition of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from ecase.history import Withdrawable, save_attributed

from .. import access

# Every model whose rows are withdrawn carries the fields of the withdrawal (who, when, why).
W = TypeVar("W", bound=Withdrawable)


def withdraw(
    model: type[W],
    pk: int,
    *,
    actor: User,
    reason: str,
    event: str,
    reason_missing: str,
    already_withdrawn: Exception,
    precondition: Callable[[W], None] | None = None,
    related: Iterable[str] = (),
    audit_data: Callable[[W], dict] | None = None,
) -> W:
    """Withdraw the row ``pk`` of ``model`` (in the caller's transaction) and return it.

    ``reason`` is required (``reason_missing`` says so, before anything is looked up); the row is
    reached through ``access.locked`` for ``change``; a row withdrawn already raises
    ``already_withdrawn``; ``precondition`` may refuse further.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": reason_missing})
    obj = access.locked(model, pk, actor=actor, action=access.CHANGE, related=related)
    if obj.is_withdrawn:
        raise already_withdrawn
    if precondition is not None:
        precondition(obj)
    obj.withdrawn_at, obj.withdrawn_by, obj.withdrawal_reason = timezone.now(), actor, reason.strip()
    save_attributed(obj, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        event=event,
        case_id=access.case_id_of(obj),
        target=obj,
        data={"reason": reason, **(audit_data(obj) if audit_data else {})},
    )
    return obj
