"""Moving an act through its lifecycle: one locked service for every action (DESIGN §5)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from ecase.errors import NotAllowed, OutOfScope
from ecase.history import save_attributed

from .. import access
from ..act_transitions import ACT_TRANSITIONS, AUTHOR_ONLY, REASON_REQUIRED, ActAction
from ..choices import ActStatus
from ..models import Case, ProceduralAct
from .scope import require


@transaction.atomic
def act_transition(*, act_id: int, action: str, actor: User, reason: str = "") -> ProceduralAct:
    """Lock the act, check the table, the right and the guards, apply, audit."""
    reason = (reason or "").strip()
    visible = ProceduralAct.objects.restrict(actor, access.VIEW).filter(pk=act_id).values("case_id").first()
    if visible is None:
        raise OutOfScope("no such act")
    Case.objects.select_for_update().get(pk=visible["case_id"])  # same lock order as every case write
    act = ProceduralAct.objects.select_for_update().get(pk=act_id)
    entry = ACT_TRANSITIONS.get((act.status, action))
    if entry is None or act.is_withdrawn:
        raise ValidationError(_("An act that is “%(status)s” cannot be moved by “%(action)s”.") % {
            "status": act.get_status_display(), "action": action}, code="transition")
    require(act.case, actor=actor, action=entry[1])
    if action in AUTHOR_ONLY and act.author_id != actor.pk:
        raise NotAllowed("only the author submits or revises an act")
    if action in (ActAction.APPROVE, ActAction.RETURN) and act.author_id == actor.pk:
        raise NotAllowed("the author cannot approve or return their own act")  # CPC: approver ≠ author
    if action in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("State what must be reworked.")})
    before = act.status
    act.status = entry[0]
    if action == ActAction.APPROVE:
        act.approved_by, act.approved_at = actor, timezone.now()
    elif action == ActAction.REVISE:
        act.approved_by = act.approved_at = None
    save_attributed(act, actor=actor, reason=reason or str(ActAction(action).label))
    audit_record(actor=actor, event=EventType.ACT_TRANSITION, case_id=act.case_id, target=act,
                 data={"action": action, "from": before, "to": act.status, "reason": reason, "version": act.version})
    return act


@transaction.atomic
def act_record_signature(*, act_id: int, pdf_sha256: str, system_actor: User) -> ProceduralAct:
    """The rendering worker's last step: an approved act becomes signed, by its approver, for good.

    ``system_actor`` is the account the worker acts as (history and audit name it); the
    signature itself is the approver's.
    """
    act = ProceduralAct.objects.select_for_update().get(pk=act_id)
    if act.status != ActStatus.APPROVED:
        raise ValidationError(_("Only an approved act is signed."), code="transition")
    act.status, act.signed_by, act.signed_at, act.pdf_sha256 = ActStatus.SIGNED, act.approved_by, timezone.now(), pdf_sha256
    save_attributed(act, actor=system_actor, reason=_("Signed"))
    audit_record(actor=system_actor, event=EventType.ACT_TRANSITION, case_id=act.case_id, target=act,
                 data={"action": "sign", "from": ActStatus.APPROVED, "to": ActStatus.SIGNED, "sha256": pdf_sha256})
    return act
