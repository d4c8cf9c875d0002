"""Locking a case inside the actor's scope: the re-check every write starts with (DESIGN §4).

Besides the actor's grants, the entry point of a request may narrow what its writes reach
with ``case_guard``: a check that every ``lock_case`` (and the act workflow's lock) runs on the
case row *after* locking it, inside the write's transaction. The pages and the API use it for
grave cases (a fresh second factor; a token issued for grave cases): a case requalified as
grave between the view's scope check and the service's lock is refused here, where nothing
can change it any more. Workers and management commands set no guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ecase.errors import NotAllowed, OutOfScope

from ..models import Case

CaseGuard = Callable[[Case], None]
_guards: ContextVar[tuple[CaseGuard, ...]] = ContextVar("case_guards", default=())


@contextmanager
def case_guard(check: CaseGuard) -> Iterator[None]:
    """While the block runs, every case locked by a service is also passed to ``check``, which raises to refuse."""
    token = _guards.set((*_guards.get(), check))
    try:
        yield
    finally:
        _guards.reset(token)


def check_guards(case: Case) -> None:
    """Run the guards of the current request on ``case`` (locked by the caller, so its gravity is current)."""
    for check in _guards.get():
        check(case)


def lock_case(case_id: int, *, actor, action: str) -> Case:
    """The case row, locked for this transaction, if ``actor`` may ``action`` it.

    Out of scope (or absent) raises OutOfScope; visible but not allowed raises NotAllowed.
    Locking here also serialises writes that derive numbers from the case (acts, evidence).
    The request's ``case_guard`` checks run on the locked row before it is returned.
    """
    allowed = Case.objects.restrict(actor, action).filter(pk=case_id)
    case = Case.objects.select_for_update().filter(pk__in=allowed.values("pk")).first()
    if case is not None:
        check_guards(case)
        return case
    if Case.objects.restrict(actor, "view").filter(pk=case_id).exists():
        raise NotAllowed(f"{actor} may not {action} this case", case_id=case_id)
    raise OutOfScope("no such case", case_id=case_id if Case.objects.filter(pk=case_id).exists() else None)


def require(case: Case, *, actor, action: str) -> None:
    """Refuse with NotAllowed unless ``actor`` may ``action`` the (already visible) ``case``."""
    if not Case.objects.restrict(actor, action).filter(pk=case.pk).exists():
        raise NotAllowed(f"{actor} may not {action} this case", case_id=case.pk)
