"""Leaving grave and especially grave cases out of lists and search results (issue #13, item 6).

Whether they are left out is decided by the one rule, ``accounts.freshness.grave_data_needs_fresh_factor``;
this module only applies it to a query set of cases or of rows of a case.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.freshness import grave_data_needs_fresh_factor

from ..choices import Gravity


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
