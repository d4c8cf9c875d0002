"""The report the ministry asks for (issue #18 item 6): decisions on cases in a period, counted.

Rows are the units, the articles or the gravity categories; columns the decisions — registered,
interrupted, terminated, sent to the prosecutor, returned for additional investigation — each
counted as the number of *cases* with that decision in the period (a case interrupted twice counts
once). The counts come from the status log (cases/models/status_log.py) over the cases the caller
passes in: the view passes ``restrict(user, view)`` as it lists them, so the report can never
count a case its reader could not open. By article, a case qualified under two articles counts
under each; the total row counts it once, so it is not the sum of the rows there. Rows are article parts:
points (пункты) are not told apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit

from .choices import CaseAction, Gravity
from .models import Case, CaseStatusChange, CriminalCodeArticle
from .models.status_log import REGISTER
from .qualification import qualification_label

COLUMNS = [
    (REGISTER, _("Registered")),
    (CaseAction.INTERRUPT, _("Interrupted")),
    (CaseAction.TERMINATE, _("Terminated")),
    (CaseAction.SEND_TO_PROSECUTOR, _("Sent to the prosecutor")),
    (CaseAction.RETURN, _("Returned for additional investigation")),
]
GROUPINGS = [("unit", _("Unit")), ("article", _("Article")), ("gravity", _("Gravity"))]
# Rows in the order a reader looks for them: the unit tree, the Code's order, the gravity scale.
_ORDER = {"unit": ("unit__path",), "gravity": ("gravity",), "article": ("case__articles__article", "case__articles")}
_KEYS = {"unit": ("unit_id",), "gravity": ("gravity",), "article": ("case__articles",)}


@dataclass(frozen=True)
class Row:
    label: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    by: str
    rows: list[Row]
    total: tuple[int, ...]

    @property
    def columns(self) -> list[str]:
        return [str(label) for _action, label in COLUMNS]


def _counts() -> dict:
    return {f"n{i}": Count("case_id", filter=Q(action=action), distinct=True) for i, (action, _l) in enumerate(COLUMNS)}


def case_statistics(cases: QuerySet[Case], *, start: date, end: date, by: str) -> Report:
    """Count the decisions taken from ``start`` to ``end`` (both included) on ``cases``, grouped ``by``."""
    if by not in _KEYS:
        raise ValueError(f"unknown grouping {by!r}")
    changes = CaseStatusChange.objects.filter(
        case__in=cases.values("pk"), on_date__gte=start, on_date__lte=end, action__in=[a for a, _l in COLUMNS]
    )
    width = range(len(COLUMNS))
    grouped = list(changes.values(*_KEYS[by]).annotate(**_counts()).order_by(*_ORDER[by]))
    labels = _labels(by, grouped)
    rows = [
        Row(labels(group), tuple(group[f"n{i}"] for i in width))
        for group in grouped
        if by != "article" or group["case__articles"] is not None
    ]
    totals = changes.aggregate(**_counts())
    return Report(start, end, by, rows, tuple(totals[f"n{i}"] for i in width))


def _labels(by: str, grouped: list[dict]):
    """The function naming one group's row: a unit's name, an article part, a gravity category."""
    if by == "unit":
        units = {u.pk: u for u in Unit.objects.filter(pk__in=[g["unit_id"] for g in grouped])}
        return lambda g: f"{units[g['unit_id']].code} — {units[g['unit_id']]}"
    if by == "gravity":
        return lambda g: str(Gravity(g["gravity"]).label)
    articles = CriminalCodeArticle.objects.in_bulk([g["case__articles"] for g in grouped])
    return lambda g: qualification_label(articles[g["case__articles"]], None)
