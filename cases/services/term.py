"""The term of a case: recomputation, extensions (interruptions are case transitions)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.choices import EventType
from audit.services import audit_record
from ecase.history import save_attributed

from .. import access
from ..deadlines import Period, compute_deadline
from ..models import Case, DeadlineExtension, ProceedingsTerm
from .scope import lock_case


def refresh_deadline(case: Case, *, actor, reason: str) -> None:
    """Recompute ``case.deadline`` from its form, extensions and interruptions; save only if it moved."""
    try:
        term = ProceedingsTerm.objects.get(form=case.proceedings_form)
    except ProceedingsTerm.DoesNotExist:
        raise ValidationError({"proceedings_form": _("No term is configured for this form of proceedings.")}) from None
    deadline = compute_deadline(
        start=timezone.localdate(case.registered_at),
        term_days=term.term_days,
        term_months=term.term_months,
        extension_days=case.extensions.values_list("days", flat=True),
        interruptions=[Period(i.started_on, i.ended_on) for i in case.interruptions.all()],
    )
    if deadline != case.deadline:
        case.deadline = deadline
        save_attributed(case, actor=actor, reason=reason, exclude=["registration_number", "articles", "group"])


@transaction.atomic
def deadline_extend(*, case_id: int, actor, days: int, reason: str) -> DeadlineExtension:
    """Record the supervising prosecutor's decision to prolong the term by ``days``.

    The decision is the prosecutor's (``granted_by``); ``actor`` is the supervisor who enters it.
    """
    case = lock_case(case_id, actor=actor, action=access.PROSECUTE)
    if case.is_completed:
        raise ValidationError(_("The proceedings are completed: there is no term to extend."))
    if case.prosecutor_id is None:
        raise ValidationError(_("Assign the supervising prosecutor first: the extension is their decision."))
    extension = DeadlineExtension(case=case, days=days, granted_by=case.prosecutor, granted_on=timezone.localdate(),
                                  reason=(reason or "").strip())
    save_attributed(extension, actor=actor, reason=extension.reason)
    old = case.deadline
    refresh_deadline(case, actor=actor, reason=_("Term extended"))
    audit_record(actor=actor, event=EventType.DEADLINE_EXTENDED, case_id=case.pk, target=extension,
                 data={"days": days, "from": str(old), "to": str(case.deadline), "reason": extension.reason})
    return extension
