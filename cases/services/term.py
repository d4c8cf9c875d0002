"""The term of a case: recomputation, extensions and the requests for them (interruptions are case transitions).

An extension starts as the investigator's request, a procedural act of type
``term_extension_request`` (CPC RK art. 192) that the author signs and the head of unit approves;
the supervising prosecutor decides on it in ecase by agreeing to it or refusing it (issue #17),
which records the ``ExtensionDecision`` (cases/services/act_workflow.py calls ``extension_decide``).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.choices import EventType
from audit.services import audit_record
from ecase.history import save_attributed

from .. import access
from ..clock_selectors import term_inputs
from ..clocks import extension_refusal, term_deadline
from ..models import Case, DeadlineExtension, ExtensionDecision, ProceduralAct, ProceduralActType
from .acts import act_draft
from .decisions import EXTENSION_TYPE, act_title, decision_act_sign, decision_language

REQUEST_TYPE = "term_extension_request"  # the act type of the request (cases/data/act_types.json)


def refresh_deadline(case: Case, *, actor, reason: str) -> None:
    """Recompute ``case.deadline`` with the clocks' engine (cases/clocks.py: form, extensions,
    interruptions, a new term after a return); save only if it moved."""
    inputs = term_inputs(case)
    if inputs is None:
        raise ValidationError({"proceedings_form": _("No term is configured for this form of proceedings.")})
    deadline = term_deadline(inputs)
    if deadline != case.deadline:
        case.deadline = deadline
        save_attributed(case, actor=actor, reason=reason, exclude=["registration_number", "articles", "group"])


@transaction.atomic
def deadline_extend(
    *, case_id: int, actor, days: int, reason: str, request: ProceduralAct | None = None
) -> DeadlineExtension:
    """The supervising prosecutor (``actor``, who alone holds PROSECUTE on the case) prolongs the term.

    The extension is their decision in a document of its own, signed by them (issue #17): the act
    ``term_extension`` is drawn up and signed in this transaction and the extension links to it.
    ``request`` is the investigator's request being agreed to, when there is one.
    """
    case = access.lock_case(case_id, actor=actor, action=access.PROSECUTE)
    if case.is_completed:
        raise ValidationError(_("The proceedings are completed: there is no term to extend."))
    inputs = term_inputs(case)
    refusal = inputs and extension_refusal(inputs, level=actor.unit.prosecutor_level_of(), days=days)
    if refusal:
        raise ValidationError(refusal)
    extension = DeadlineExtension(
        case=case, days=days, granted_by=actor, granted_on=timezone.localdate(), reason=(reason or "").strip()
    )
    save_attributed(extension, actor=actor, reason=extension.reason)
    old = case.deadline
    refresh_deadline(case, actor=actor, reason=_("Term extended"))
    # The document states the term it moved, so it is drawn up once the new deadline is known.
    decision = decision_act_sign(
        case=case,
        actor=actor,
        type_code=EXTENSION_TYPE,
        fields={
            "extension_days": days,
            "term_expired_on": old.isoformat() if old else "",
            "extended_until": case.deadline.isoformat() if case.deadline else "",
            "request_act": act_title(request, decision_language(actor)) if request is not None else "",
            "reasons": extension.reason,
        },
        reason=extension.reason,
    )
    extension.decision_act = decision
    save_attributed(extension, actor=actor, reason=extension.reason)
    audit_record(
        actor=actor,
        event=EventType.DEADLINE_EXTENDED,
        case_id=case.pk,
        target=extension,
        data={
            "days": days,
            "from": str(old),
            "to": str(case.deadline),
            "reason": extension.reason,
            "decision_act": decision.pk,
        },
    )
    return extension


def pending_extension_requests(cases) -> QuerySet[ProceduralAct]:
    """Requests in ``cases`` still waiting: not withdrawn, not replaced by a correction, not decided.

    ``cases`` is a list of ids or a query set of cases (the dashboard's ``restrict``). The shape is
    chosen for the planner (bench/RESULTS.md (e), ~270 ms at 1,000,000 cases before): the request
    type's id is looked up first, so ``act_type_id = <id>`` is estimated from the column's
    statistics (requests are rare) and read through the act-type index, where a join on the type's
    code was estimated at one act in twenty; the access of those few acts' cases is then tested
    row by row (the case's primary key, then the grant indexes) instead of the whole visible case
    set being built first. EXPLAIN on 200,000 synthetic cases: act-type index, 2,000 requests,
    one primary-key probe and one grant-index probe each.
    """
    type_id = ProceduralActType.objects.filter(code=REQUEST_TYPE).values_list("pk", flat=True).first()
    acts = ProceduralAct.objects.filter(
        act_type_id=type_id, withdrawn_at__isnull=True, superseded_by__isnull=True, extension_decision__isnull=True
    )
    return acts.filter(case__in=cases)


def requested_days(act: ProceduralAct) -> int | None:
    """Days between the term's end and the date asked for, as the request states them."""
    try:
        current = date.fromisoformat(act.fields["current_term_expires_on"])
        until = date.fromisoformat(act.fields["extend_until"])
    except (KeyError, TypeError, ValueError):
        return None
    return (until - current).days


@transaction.atomic
def extension_request_draft(
    *, case_id: int, actor, days: int, reasons: str, planned_actions: str, addressee: str, language: str, place: str
) -> ProceduralAct:
    """Draft the request, prefilled from the case: its current deadline and the date ``days`` later."""
    case = access.lock_case(case_id, actor=actor, action=access.CHANGE)
    if case.is_completed:
        raise ValidationError(_("The proceedings are completed: there is no term to extend."))
    if case.deadline is None:
        raise ValidationError(_("The term is interrupted: resume it before asking to extend it."))
    if pending_extension_requests([case.pk]).exists():
        raise ValidationError(_("An extension request of this case is still pending."))
    act_type = ProceduralActType.objects.filter(code=REQUEST_TYPE, is_active=True).first()
    if act_type is None:
        raise ValidationError(_("The act type of the extension request is not configured."))
    fields = {
        "current_term_expires_on": case.deadline.isoformat(),
        "extend_until": (case.deadline + timedelta(days=days)).isoformat(),
        "reasons": reasons.strip(),
        "planned_actions": planned_actions.strip(),
        "addressee": addressee,
    }
    act = act_draft(
        case=case,
        actor=actor,
        act_type=act_type,
        language=language,
        place=place,
        fields=fields,
        reason=_("Term extension requested"),
    )
    audit_record(
        actor=actor,
        event=EventType.ACT_CREATED,
        case_id=case.pk,
        target=act,
        data={"number": act.number, "type": REQUEST_TYPE, "days": days},
    )
    return act


def extension_decide(*, act: ProceduralAct, actor, granted: bool, reason: str) -> ExtensionDecision:
    """Record the prosecutor's agreement to (or refusal of) a request; an agreement extends the term.

    Called by the act workflow inside its transaction, with the act and its case locked, when the
    prosecutor agrees to or refuses a ``term_extension_request``: the decision is theirs, entered
    by them. The term is extended by the days the request asked for.
    """
    case = act.case
    if not pending_extension_requests([case.pk]).filter(pk=act.pk).exists():
        raise ValidationError(_("The decision on this request is already recorded, or the request was withdrawn."))
    extension = None
    if granted:
        days = requested_days(act)
        if not days or days <= 0:
            raise ValidationError(_("The request does not state a later date to extend the term to."))
        extension = deadline_extend(
            case_id=case.pk, actor=actor, days=days, reason=reason or _("Request agreed"), request=act
        )
    decision = ExtensionDecision(
        case=case,
        request=act,
        granted=granted,
        extension=extension,
        decided_by=actor,
        entered_by=actor,
        decided_on=timezone.localdate(),
        reason=reason or _("Request agreed"),
    )
    save_attributed(decision, actor=actor, reason=decision.reason)
    return decision
