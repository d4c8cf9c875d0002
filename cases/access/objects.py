"""The way from an object of case data to its case: the one walk every access check uses.

A model's query set declares ``case_path`` (``CaseChildQuerySet``: ``"case"``, evidence files
``"item__case"``); the case itself has none. Everything else — restricting, the refused attempt's
case for the access log, the grave-case check, the idempotent replay's case — reads it from here.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _is_case(model) -> bool:
    return model._meta.label_lower == "cases.case"


def case_path(rows: models.QuerySet | type[models.Model]) -> str | None:
    """The lookup path from ``rows``' model to its case (None for cases themselves)."""
    queryset = rows if isinstance(rows, models.QuerySet) else rows._default_manager.all()
    if _is_case(queryset.model):
        return None
    path = getattr(queryset, "case_path", None)
    if path is None:
        raise ImproperlyConfigured(f"{queryset.model.__name__}: its query set names no case_path")
    return path


def case_id_lookup(path: str | None) -> str:
    """The ``values_list`` name of the case id at the end of ``path`` ("pk" for cases themselves)."""
    if path is None:
        return "pk"
    return f"{path}_id" if "__" not in path else f"{path}__id"


def case_id_for(rows: models.QuerySet, pk) -> int | None:
    """The case the row ``pk`` of ``rows``' model belongs to, or None if absent (for a refused attempt's log)."""
    return rows.model._default_manager.filter(pk=pk).values_list(case_id_lookup(case_path(rows)), flat=True).first()


def _holder(obj) -> tuple[models.Model, str | None]:
    """The object holding the case's foreign key, and that key's name (None: ``obj`` is the case)."""
    path = case_path(type(obj))
    if path is None:
        return obj, None
    *parents, last = path.split("__")
    holder = obj
    for name in parents:
        holder = getattr(holder, name)
    return holder, last


def case_id_of(obj) -> int:
    """The case ``obj`` (a case, an act, a person, an evidence item or file…) belongs to."""
    holder, last = _holder(obj)
    return holder.pk if last is None else getattr(holder, f"{last}_id")


def case_gravity_of(obj) -> tuple[int, int]:
    """The case ``obj`` belongs to and its gravity, from rows already loaded where it can."""
    from ..models import Case

    holder, last = _holder(obj)
    if last is None:
        assert isinstance(holder, Case)  # _holder returns the object itself only when it is the case
        return holder.pk, holder.gravity
    case_id = getattr(holder, f"{last}_id")
    key = holder._meta.get_field(last)  # the foreign key to the case at the end of the case path
    if isinstance(key, models.ForeignKey) and key.is_cached(holder):
        return case_id, getattr(holder, last).gravity
    return case_id, Case.objects.filter(pk=case_id).values_list("gravity", flat=True).get()
