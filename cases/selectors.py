"""Reads of case data, always scoped to a user through Case.objects.restrict()."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Exists, F, Field, Func, OuterRef, Q, QuerySet, TextField
from django.utils import timezone

from . import access
from .choices import CaseStatus
from .models import Case, Participant
from .search_text import SQLITE_FOLD_FUNCTION, fold

IIN = re.compile(r"^\d{12}$")
# "188", "108-1" (an article number), "190-1" (article 190, part 1), "188 ч.2", "188 ч 2".
ARTICLE = re.compile(r"^(\d{2,3})(?:-(\d))?(?:\s*(?:ч\.?|part|бөлік)\s*(\d))?$", re.IGNORECASE)
ACTIVE = (CaseStatus.REGISTERED, CaseStatus.INVESTIGATING)


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    status: str = ""
    gravity: int | None = None
    investigator: int | None = None
    overdue: bool = False


def case_list(*, user, filters: CaseFilters = CaseFilters()) -> QuerySet[Case]:
    """The cases ``user`` may see, narrowed by ``filters``, newest first."""
    cases = Case.objects.restrict(user, access.VIEW)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.gravity:
        cases = cases.filter(gravity=filters.gravity)
    if filters.investigator:
        cases = cases.filter(lead_investigator_id=filters.investigator)
    if filters.overdue:
        cases = cases.filter(status__in=ACTIVE, deadline__lt=timezone.localdate())
    if filters.q.strip():
        cases = cases.filter(_search(filters.q.strip()))
    return cases.select_related("unit", "lead_investigator").order_by("-registered_at", "-pk")


def _search(q: str) -> Q:
    """A registration number, an IIN, an article, a person's name, or words of the plot.

    Every kind of match is a set of case ids from its own index, and the case must be in their
    UNION: one ``id IN (…)`` the planner answers by index lookups. An OR of conditions on the
    case row (the former shape) made PostgreSQL test every case: 5–8 s at 1M cases.
    """
    people = Participant.objects.filter(case=OuterRef("pk"))
    if IIN.match(q):
        return Q(Exists(people.filter(person__iin=q)))
    # Index case_number_prefix (PostgreSQL): UPPER(registration_number) text_pattern_ops, the
    # expression istartswith compares.
    arms = [Case.objects.filter(registration_number__istartswith=q).order_by().values("pk")]
    article = ARTICLE.match(q)
    if article:
        arms.append(Case.objects.filter(_article_condition(*article.groups())).order_by().values("pk"))
    arms += [_name_matches(q), _plot_matches(q)]
    # .order_by() on every arm: SQLite refuses an ORDER BY inside a compound statement.
    return Q(pk__in=arms[0].union(*arms[1:]))


def _name_matches(q: str) -> QuerySet:
    """Cases with a participant whose "last first middle" starts with ``q``, folded (cases/search_text.py).

    Index person_search_name (varchar_pattern_ops) answers the prefix on PostgreSQL; both
    databases compare the same Python-folded strings, so "ёлкин" finds "Елкин" and "Ёлкин",
    and "қасым" finds "Қасымов" but not "Касымов".
    """
    return Participant.objects.filter(person__search_name__startswith=fold(q)).order_by().values("case_id")


def _article_condition(number: str, dash: str | None, part: str | None) -> Q:
    if dash is None:
        return Q(articles__article=number, **({"articles__part": int(part)} if part else {}))
    # "190-1" is either article 190 part 1 or article 190-1 (numbers like 108-1 exist in the Code).
    as_number = Q(articles__article=f"{number}-{dash}", **({"articles__part": int(part)} if part else {}))
    return as_number | Q(articles__article=number, articles__part=int(dash))


def _plot_matches(q: str) -> QuerySet:
    """Cases whose plot holds the words of ``q``."""
    if connection.vendor == "postgresql":
        # Full-text search with the Russian dictionary ("телефоны" finds "телефон"; the stemmer
        # lowercases and reads ё as е). This expression must stay identical to the one of the
        # GIN index case_plot_fts (migration cases 0008), or the planner cannot use the index.
        return (
            Case.objects.annotate(plot_fts=SearchVector("plot", config="russian"))
            .filter(plot_fts=SearchQuery(q, config="russian", search_type="websearch"))
            .order_by()
            .values("pk")
        )
    # SQLite: every word, folded, somewhere in the folded plot (ecase_fold, cases/search_text.py):
    # no stemming and no index, so every plot is read (docs/ARCHITECTURE.md).
    folded = Case.objects.annotate(plot_folded=Func(F("plot"), function=SQLITE_FOLD_FUNCTION, output_field=TextField()))
    for word in fold(q).split():
        folded = folded.filter(plot_folded__contains=word)
    return folded.order_by().values("pk")


def deadlines_soon(*, user, days: int | None = None) -> QuerySet[Case]:
    """Active cases whose term ends within ``days`` (default ECASE_DEADLINE_WARNING_DAYS) or has ended."""
    horizon = timezone.localdate() + timedelta(days=days if days is not None else settings.ECASE_DEADLINE_WARNING_DAYS)
    return (
        Case.objects.restrict(user, access.VIEW)
        .filter(status__in=ACTIVE, deadline__lte=horizon)
        .select_related("unit")
        .order_by("deadline")
    )


def is_overdue(case: Case, today: date | None = None) -> bool:
    return case.status in ACTIVE and case.deadline is not None and case.deadline < (today or timezone.localdate())


def _case_field(name: str) -> Field:
    field = Case._meta.get_field(name)
    assert isinstance(field, Field)  # a history diff names the case's own fields, many-to-many included
    return field


def changes_since(case: Case, version: int) -> list[dict]:
    """Field changes made to ``case`` after ``version``: who, when, which field, from → to."""
    rows = list(case.history.filter(version__gte=version).select_related("history_user").order_by("history_id"))
    changes = []
    for older, newer in zip(rows, rows[1:]):
        for change in newer.diff_against(older).changes:
            if change.field in ("version",):
                continue
            changes.append(
                {
                    "who": newer.history_user or "—",
                    "when": timezone.localtime(newer.history_date).strftime("%d.%m.%Y %H:%M"),
                    "field": _case_field(change.field).verbose_name,
                    "old": _short(change.old),
                    "new": _short(change.new),
                }
            )
    return changes


def _short(value) -> str:
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return text if len(text) <= 120 else text[:117] + "…"
