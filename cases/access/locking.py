"""Locking what a write changes inside the actor's scope: the re-check every write starts with (DESIGN §4).

``locked(model, pk, actor=, action=)`` is the one way a service reaches an existing object to
change it: the object must be visible to the actor (else OutOfScope, 404, as an absent one); its
case row is then locked — always the case first, so every write takes its locks in the same
order and two writes cannot deadlock — and re-checked for ``action`` under that lock (NotAllowed,
403); the object's row is locked last. ``lock_case`` is the same for a case id.

Besides the actor's grants, the entry point of a request may narrow what its writes reach with
``case_check``: a check that every lock runs on the case row *after* locking it, inside the write's
transaction. The pages and the API use it for grave cases (the second-factor check; a token issued
for grave cases): a case requalified as grave between the view's scope check and the service's
lock is refused here, where nothing can change it any more. Workers and management commands set
no check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from ecase.errors import NotAllowed, OutOfScope

from ..models import Case
from ..models.case import CaseScopedQuerySet
from .objects import case_id_lookup, case_path
from .rules import SYSTEM, VIEW
from .scope import may

CaseCheck = Callable[[Case], None]
_checks: ContextVar[tuple[CaseCheck, ...]] = ContextVar("case_checks", default=())
M = TypeVar("M", bound=models.Model)


@contextmanager
def case_check(check: CaseCheck) -> Iterator[None]:
    """While the block runs, every case locked by a service is also passed to ``check``, which raises to refuse."""
    token = _checks.set((*_checks.get(), check))
    try:
        yield
    finally:
        _checks.reset(token)


def run_case_checks(case: Case) -> None:
    """Run the checks of the current request on ``case`` (locked by the caller, so its gravity is current)."""
    for check in _checks.get():
        check(case)


def lock_case(case_id: int, *, actor, action: str) -> Case:
    """The case row, locked for this transaction, if ``actor`` may ``action`` it.

    Out of scope (or absent) raises OutOfScope; visible but not allowed raises NotAllowed.
    Locking here also serialises writes that derive numbers from the case (acts, evidence).
    The request's ``case_check`` checks run on the locked row before it is returned.
    """
    allowed = Case.objects.restrict(actor, action).filter(pk=case_id)
    case = Case.objects.select_for_update().filter(pk__in=allowed.values("pk")).first()
    if case is not None:
        run_case_checks(case)
        return case
    if Case.objects.restrict(actor, VIEW).filter(pk=case_id).exists():
        raise NotAllowed(f"{actor} may not {action} this case", case_id=case_id)
    raise OutOfScope("no such case", case_id=case_id if Case.objects.filter(pk=case_id).exists() else None)


def _is_system_step(actor, action: str) -> bool:
    from ..system_actor import is_system_actor

    return action == SYSTEM and is_system_actor(actor)


def locked(model: type[M], pk, *, actor, action: str, related: Iterable[str] = ()) -> M:
    """The object ``pk`` of ``model``, locked with its case, if ``actor`` may ``action`` its case.

    Not visible to the actor (or absent): OutOfScope. Visible, but ``action`` not allowed under the
    case's lock: NotAllowed. The request's case checks (the second-factor check) run on the locked
    case. ``related`` are joined into the object's row, which alone is locked. A model whose case
    path is ``case`` gets the locked case row as ``obj.case``.

    ``action=SYSTEM``: the rendering worker's own step. Its account sees no case; it reaches the
    object without the scope, and the workflow's table keeps it to that step.
    """
    if model is Case:
        return cast(M, lock_case(pk, actor=actor, action=action))  # model is Case, so M is Case
    path = case_path(model)
    system = _is_system_step(actor, action)
    rows = model._default_manager.all()
    if not system:
        if not isinstance(rows, CaseScopedQuerySet):
            raise ImproperlyConfigured(f"{model.__name__}: its query set has no restrict")
        rows = rows.restrict(actor, VIEW)
    case_id = rows.filter(pk=pk).values_list(case_id_lookup(path), flat=True).first()
    if case_id is None:
        raise OutOfScope(f"no such {model._meta.model_name}")
    if system:
        case = Case.objects.select_for_update().get(pk=case_id)
        run_case_checks(case)
    else:
        case = lock_case(case_id, actor=actor, action=action)
    obj = model._default_manager.select_for_update(of=("self",)).select_related(*related).get(pk=pk)
    if path == "case":
        # The model's foreign key to its case (the case path says it is ``case``): set through the
        # field's descriptor, as an assignment would; M's type knows no such field.
        setattr(obj, "case", case)  # noqa: B010
    return obj


def reach(case_id: int, *, actor, action: str, related: Iterable[str] = ()) -> Case:
    """The case, unlocked, for a read that needs more than ``view`` (the export): the same answers as
    ``lock_case`` — OutOfScope (404) when not visible, NotAllowed (403) without ``action`` — and the
    request's case checks, without holding the row for as long as the read lasts."""
    case = Case.objects.restrict(actor, VIEW).select_related(*related).filter(pk=case_id).first()
    if case is None:
        raise OutOfScope("no such case", case_id=case_id if Case.objects.filter(pk=case_id).exists() else None)
    require(case, actor=actor, action=action)
    run_case_checks(case)
    return case


def require(case: Case, *, actor, action: str) -> None:
    """Refuse with NotAllowed unless ``actor`` may ``action`` the (already visible) ``case``."""
    if not may(actor, case, action):
        raise NotAllowed(f"{actor} may not {action} this case", case_id=case.pk)
