"""Moving an act through the steps its requirements call for: one locked service (DESIGN §5, issue #17).

``act_transition`` locks the case and the act (``access.locked``), asks cases/act_transitions.py
whether the step is the actor's now (``act_action_refusal``: the table generated from the act's
requirements, the right, author rules, the act's state — the same answer the buttons come from),
checks what was given with it (a reason), applies the step, and records it twice in the same
transaction: an ``ActTransition`` row and one audit event.

A refusal is the prosecutor's own signed decision: its act (cases/services/decisions.py) is drawn
up, signed by the prosecutor and linked from the ``ActTransition`` row in the same transaction.

A step that signs (the author's ``sign``, the head of unit's ``approve``, the prosecutor's
``agree``) queues that person's signature: an ``ActRendering`` row the Celery workers append to
the act's PDF after the commit, in order (cases/services/act_rendering.py). The author's signature
freezes the content (the snapshot of the round); the workers' last signature of an act whose
decisions are all taken seals it as ``signed`` (``act_seal``), and an act then in force has its
effects applied in the same transaction (cases/services/effects.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from ecase.history import save_attributed

from .. import access
from ..act_transitions import REASON_REQUIRED, SIGNING_STEPS, ActAction, act_action_refusal, act_table
from ..choices import ActStatus
from ..models import ActTransition, ProceduralAct
from ..models.acts import sha256_hex
from ..system_actor import is_system_actor
from .act_rendering import act_signature_queue
from .acts import act_draft
from .decisions import refusal_act_sign
from .effects import act_effects_apply
from .term import REQUEST_TYPE, extension_decide


def _check_input(action: str, *, reason: str, pdf_sha256: str) -> None:
    """What the user (or the worker) gives with the step; whether the step is theirs is ``act_action_refusal``'s."""
    if action in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("State the reason.")})
    if action == ActAction.SEAL:
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


def _apply(act: ProceduralAct, *, action: str, actor: User, reason: str, pdf_sha256: str, to_status: str) -> dict:
    """Change the act for ``action`` (status and version excepted); return what the audit row adds."""
    now = timezone.now()
    if action == ActAction.SIGN:
        requirement = act.requirements()
        if requirement is None:
            raise ValidationError(_("The law table has no requirements for this act type: it cannot be signed."))
        act.requirement, act.signed_by, act.signed_at = requirement, actor, now
        act.approved_by = act.approved_at = act.agreed_by = act.agreed_at = None
        act.content_version = act.version + 1  # the version this step makes; its content is what is signed
    elif action == ActAction.APPROVE:
        act.approved_by, act.approved_at = actor, now
    elif action == ActAction.AGREE:
        act.agreed_by, act.agreed_at = actor, now
    elif action == ActAction.SEAL:
        act.pdf_sha256 = pdf_sha256
        return {"sha256": pdf_sha256}
    elif action == ActAction.SUPERSEDE:
        return _supersede(act, actor=actor, reason=reason)
    if to_status == ActStatus.AWAITING_AGREEMENT:
        # The prosecutor's clock starts when the act reaches them (issue #17).
        act.agreement_due_at = now + timedelta(hours=act.requirements().agreement_hours)
    if act.act_type.code == REQUEST_TYPE and action in (ActAction.AGREE, ActAction.REFUSE):
        decision = extension_decide(act=act, actor=actor, granted=action == ActAction.AGREE, reason=reason)
        return {"extension_decision": decision.pk}
    return {}


@transaction.atomic
def act_transition(*, act_id: int, action: str, actor: User, reason: str = "", pdf_sha256: str = "") -> ProceduralAct:
    """Lock the act, check the step (table, right, preconditions) and its input, apply, record the step, audit.

    ``pdf_sha256`` belongs to ``seal`` only. A ``supersede`` returns the superseded act; the
    correction is ``act.superseded_by``.
    """
    reason = (reason or "").strip()
    # The rendering worker's account sees no case: it reaches the act for the one step that is its
    # own (SYSTEM), and act_action_refusal keeps it to that step.
    reach = access.SYSTEM if is_system_actor(actor) else access.VIEW
    act = access.locked(ProceduralAct, act_id, actor=actor, action=reach, related=("act_type",))
    table = act_table(act)
    refusal = act_action_refusal(act, action, actor=actor, table=table)
    if refusal is not None:
        raise refusal
    _check_input(action, reason=reason, pdf_sha256=pdf_sha256)
    to_status = table[(act.status, action)][0]
    before = act.status
    extra = _apply(act, action=action, actor=actor, reason=reason, pdf_sha256=pdf_sha256, to_status=to_status)
    if action != ActAction.SUPERSEDE:
        # Every step is a new version (the API's ETag): an If-Match read before a step no longer
        # matches. A supersede leaves the signed act untouched.
        act.status = to_status
        act.version += 1
        save_attributed(act, actor=actor, reason=reason or str(ActAction(action).label))
    # A refusal is the prosecutor's own decision: its signed document is drawn up with it (issue #17).
    decision = refusal_act_sign(act=act, actor=actor, reason=reason) if action == ActAction.REFUSE else None
    if decision is not None:
        extra["decision_act"] = decision.pk
    step = ActTransition(
        act=act,
        act_version=act.version,
        action=action,
        from_status=before,
        to_status=to_status,
        actor=actor,
        reason=reason,
        decision_act=decision,
    )
    step.full_clean()
    step.save()
    if action in SIGNING_STEPS:
        extra["signature"] = act_signature_queue(act=act, role=SIGNING_STEPS[action], signer=actor).pk
    if action == ActAction.SEAL:
        # Sealed, the act may be in force (unless a judge's sanction is still due): what it decides
        # happens now, in this transaction (issue #18; cases/services/effects.py).
        extra["effects"] = [row.pk for row in act_effects_apply(act)]
    audit_record(
        actor=actor,
        event=EventType.ACT_TRANSITION,
        case_id=act.case_id,
        target=act,
        data={"action": action, "from": before, "to": to_status, "reason": reason, "version": act.version, **extra},
    )
    return act


def act_seal(*, act_id: int, pdf_sha256: str, system_actor: User) -> ProceduralAct:
    """The rendering worker's last step: every decision taken and signed, the act is signed for good."""
    return act_transition(act_id=act_id, action=ActAction.SEAL, actor=system_actor, pdf_sha256=pdf_sha256)
