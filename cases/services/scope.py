"""Locking a case inside the actor's scope: the re-check every write starts with (DESIGN §4)."""
from __future__ import annotations

from ecase.errors import NotAllowed, OutOfScope

from ..models import Case


def lock_case(case_id: int, *, actor, action: str) -> Case:
    """The case row, locked for this transaction, if ``actor`` may ``action`` it.

    Out of scope (or absent) raises OutOfScope; visible but not allowed raises NotAllowed.
    Locking here also serialises writes that derive numbers from the case (acts, evidence).
    """
    allowed = Case.objects.restrict(actor, action).filter(pk=case_id)
    case = Case.objects.select_for_update().filter(pk__in=allowed.values("pk")).first()
    if case is not None:
        return case
    if Case.objects.restrict(actor, "view").filter(pk=case_id).exists():
        raise NotAllowed(f"{actor} may not {action} this case", case_id=case_id)
    raise OutOfScope("no such case", case_id=case_id if Case.objects.filter(pk=case_id).exists() else None)


def require(case: Case, *, actor, action: str) -> None:
    """Refuse with NotAllowed unless ``actor`` may ``action`` the (already visible) ``case``."""
    if not Case.objects.restrict(actor, action).filter(pk=case.pk).exists():
        raise NotAllowed(f"{actor} may not {action} this case", case_id=case.pk)
