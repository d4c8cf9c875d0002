"""The grave-case second-factor rule, applied (issue #13, item 6; DESIGN §4, extended protection).

Whether a request may see grave and especially grave cases' data now is decided by the one
predicate, ``accounts.freshness.grave_data_needs_fresh_factor``; this module is the one place that
applies it — to lists (``grave_hidden_for``: rows left out, and whether the page says so) and to
objects (``second_factor_check``: refused with ``SecondFactorRequired``, which a page answers by
sending the user to the code page and the API with 403 ``second_factor_required``). Pages, API,
search and lists all call these two.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.freshness import grave_data_needs_fresh_factor
from ecase.errors import SecondFactorRequired

from ..choices import Gravity
from .objects import case_gravity_of


def is_grave(gravity: int) -> bool:
    return gravity >= Gravity.GRAVE


def without_grave(rows: QuerySet, case_path: str | None = None) -> QuerySet:
    """``rows`` (cases, or rows reaching their case through ``case_path``) without those of grave cases."""
    prefix = f"{case_path}__" if case_path else ""
    return rows.exclude(**{f"{prefix}gravity__gte": Gravity.GRAVE})


def grave_hidden_for(request, rows: QuerySet, case_path: str | None = None) -> tuple[QuerySet, bool]:
    """``rows`` as ``request`` may list them now, and whether grave cases were left out (the page says so)."""
    if grave_data_needs_fresh_factor(request):
        return without_grave(rows, case_path), True
    return rows, False


def second_factor_check(request, obj) -> None:
    """Refuse ``obj`` — a case or any object of one — while ``request`` may not see grave data now.

    The predicate is asked first: it reads the session only, so the case's gravity is looked up
    (where ``obj`` did not load its case) only for a request whose second factor is not recent.
    """
    if grave_data_needs_fresh_factor(request):
        case_id, gravity = case_gravity_of(obj)
        if is_grave(gravity):
            raise SecondFactorRequired("a grave case, and the second factor is not recent", case_id=case_id)
