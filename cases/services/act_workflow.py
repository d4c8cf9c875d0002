"""Moving an act through its lifecycle: one locked service for every action (DESIGN §5).

``act_transition`` locks the case and the act (``access.locked``), asks
cases/act_transitions.py whether the step is the actor's now (``act_action_refusal``: the
table, the right, author rules, the act's state — the same answer the buttons come from),
checks what was given with it (a reason, the worker's hash), applies the step, and records it
twice in the same transaction: an ``ActTransition`` row and one audit event. Approval also freezes the act's snapshot and queues its rendering; the PDF is
rendered and signed by the Celery worker after the commit (cases/services/act_rendering.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from ecase.history import save_attributed

from .. import access
from ..act_transitions import ACT_TRANSITIONS, REASON_REQUIRED, ActAction, act_action_refusal
from ..models import ActTransition, ProceduralAct
from ..models.acts import sha256_hex
from ..system_actor import is_system_actor
from .act_rendering import act_rendering_queue
from .acts import act_draft


def _check_input(action: str, *, reason: str, pdf_sha256: str) -> None:
    """What the user (or the worker) gives with the step; whether the step is theirs is ``act_action_refusal``'s."""
    if action in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("State the reason.")})
    if action == ActAction.SIGN:
        sha256_hex(pdf_sha256)


def _supersede(act: ProceduralAct, *, actor: User, reason: str) -> dict:
    """Draft the correction; the signed act stays as it was (the database refuses to change it)."""
    participant_ids = act.participants.filter(withdrawn_at__isnull=True).values_list("pk", flat=True)
    correction = act_draft(
        case=act.case,
        actor=actor,
        act_type=act.act_type,
        language=act.language,
        place=act.place,
        fields=act.fields,
        body=act.body,
        participant_ids=participant_ids,
        supersedes=act,
        reason=reason,
    )
    return {"correction": correction.pk, "correction_number": correction.number}


def _apply(act: ProceduralAct, *, action: str, actor: User, reason: str, pdf_sha256: str) -> dict:
    """Change the act for ``action`` (status excepted); return what the audit row adds."""
    if action == ActAction.APPROVE:
        act.approved_by, act.approved_at = actor, timezone.now()
    elif action == ActAction.REVISE:
        act.approved_by = act.approved_at = None
    elif action == ActAction.SIGN:
        # The signature is the approver's; the worker only carries it out.
        act.signed_by, act.signed_at, act.pdf_sha256 = act.approved_by, timezone.now(), pdf_sha256
        return {"sha256": pdf_sha256}
    elif action == ActAction.SUPERSEDE:
        return _supersede(act, actor=actor, reason=reason)
    return {}


@transaction.atomic
def act_transition(*, act_id: int, action: str, actor: User, reason: str = "", pdf_sha256: str = "") -> ProceduralAct:
    """Lock the act, check the step (table, right, preconditions) and its input, apply, record the step, audit.

    ``pdf_sha256`` belongs to ``sign`` only. A ``supersede`` returns the superseded act; the
    correction is ``act.superseded_by``.
    """
    reason = (reason or "").strip()
    # The rendering worker's account sees no case: it reaches the act for the one step that is its
    # own (SYSTEM), and act_action_refusal keeps it to that step.
    reach = access.SYSTEM if is_system_actor(actor) else access.VIEW
    act = access.locked(ProceduralAct, act_id, actor=actor, action=reach, related=("act_type",))
    refusal = act_action_refusal(act, action, actor=actor)
    if refusal is not None:
        raise refusal
    _check_input(action, reason=reason, pdf_sha256=pdf_sha256)
    to_status = ACT_TRANSITIONS[(act.status, action)][0]
    before = act.status
    extra = _apply(act, action=action, actor=actor, reason=reason, pdf_sha256=pdf_sha256)
    if action != ActAction.SUPERSEDE:
        # Every step is a new version (the API's ETag): an If-Match read before a submit, an
        # approval or a return no longer matches. A supersede leaves the signed act untouched.
        act.status = to_status
        act.version += 1
        save_attributed(act, actor=actor, reason=reason or str(ActAction(action).label))
    step = ActTransition(
        act=act,
        act_version=act.version,
        action=action,
        from_status=before,
        to_status=to_status,
        actor=actor,
        reason=reason,
    )
    step.full_clean()
    step.save()
    if action == ActAction.APPROVE:
        extra["rendering"] = act_rendering_queue(act=act).pk
    audit_record(
        actor=actor,
        event=EventType.ACT_TRANSITION,
        case_id=act.case_id,
        target=act,
        data={"action": action, "from": before, "to": to_status, "reason": reason, "version": act.version, **extra},
    )
    return act


def act_record_signature(*, act_id: int, pdf_sha256: str, system_actor: User) -> ProceduralAct:
    """The rendering worker's last step: the approved act becomes signed, by its approver, for good."""
    return act_transition(act_id=act_id, action=ActAction.SIGN, actor=system_actor, pdf_sha256=pdf_sha256)
