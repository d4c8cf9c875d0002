"""Reads of case data, always scoped to a user through Case.objects.restrict()."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import BooleanField, Exists, F, Field, Func, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Contains
from django.utils import timezone

from . import access
from .choices import CaseStatus
from .models import Case, Participant, Person
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
    cases: QuerySet[Case] = Case.objects.restrict(user, access.VIEW)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.gravity:
        cases = cases.filter(gravity=filters.gravity)
    if filters.investigator:
        cases = cases.filter(lead_investigator_id=filters.investigator)
    if filters.overdue:
        cases = cases.filter(status__in=ACTIVE, deadline__lt=timezone.localdate())
    if filters.q.strip():
        cases = _search(cases, filters.q.strip())
    return cases.select_related("unit", "lead_investigator").order_by("-registered_at", "-pk")


# A kind of match with at most this many cases is answered from its candidates; beyond it the
# term is common and the list is walked newest first (_search).
SEARCH_CANDIDATES = 1_000


def _search(cases: QuerySet[Case], q: str) -> QuerySet[Case]:
    """``cases`` narrowed to a registration number, an IIN, an article, a person's name, or words of the plot.

    The shape follows how common the term is, found by capped queries over the search indexes
    (``_capped``: ``LIMIT`` SEARCH_CANDIDATES + 1), not by the planner's statistics:

    * the number, article and name matches over the whole register (``_related_matches``);
    * then, unless those are already too many, the plot matches among ``cases`` themselves (the
      user's cases as ``restrict`` returns them, narrowed by the list's filters). For a supervisor
      that is ``district_unit_id = %s AND plot_tsv @@ …``, answered by one GIN index over both
      (index case_district_plot, index case_region_plot; migration cases 0022), so a plot word common in the
      register but rare in the scope costs the scope's matches, not a walk past its other cases;
    * when both are at most SEARCH_CANDIDATES: those ids inside ``cases`` (``_one_of``), access
      tested on those few cases only;
    * otherwise the term is common: a test on the case row (``_row_match``). The list walks the
      user's cases newest first and stops after one page: many matches means a page is found soon.

    Either way the same cases match, with their access tested by ``restrict``. The names stay
    register-wide: a person row carries no scope, and a scope's share of a common surname (3 % of
    persons) would be found only by reading the register's. The former shape, ``pk IN (the UNION
    of every kind of match)``, built the whole union first: a surname shared by 3 % of persons
    meant ~60,000 cases read before the first row at 1,000,000 cases.
    """
    if IIN.match(q):
        return cases.filter(Exists(Participant.objects.filter(case=OuterRef("pk"), person__iin=q)))
    related = _capped(_related_matches(q))
    if related is not None:
        plot = _capped(cases.filter(_plot_condition(q)).order_by().values_list("pk", flat=True))
        if plot is not None:
            return cases.filter(_one_of(related | plot))
    return cases.filter(_row_match(q))


def _one_of(ids: set[int]) -> Q:
    """``pk`` among ``ids``. On PostgreSQL as ``pk IN (SELECT unnest(array))``: each id is looked up
    by primary key and its access tested on the row. With ``pk IN (list)`` the planner ANDed the
    list's bitmap with the whole scope's (a region: ~170,000 entries, 21 ms of a 34 ms page at
    1,000,000 cases; 8 ms this way, measured)."""
    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [sorted(ids)]))


def _capped(ids: QuerySet) -> set[int] | None:
    """The ids ``ids`` returns, or None when there are more than SEARCH_CANDIDATES."""
    found = list(ids[: SEARCH_CANDIDATES + 1])
    return set(found) if len(found) <= SEARCH_CANDIDATES else None


def _related_matches(q: str) -> QuerySet:
    """The ids of the cases whose number, article or persons match the term, over every case.

    One ``UNION ALL`` of the kinds of match, each from its index: PostgreSQL runs the arms one
    after another and stops as soon as ``_capped``'s limit is reached, so a common term costs
    about SEARCH_CANDIDATES index entries, never all of its matches.
    """
    # Index case_number_prefix (PostgreSQL): UPPER(registration_number) text_pattern_ops, the
    # expression istartswith compares.
    arms = [Case.objects.filter(registration_number__istartswith=q).order_by().values_list("pk", flat=True)]
    article = ARTICLE.match(q)
    if article:
        condition = _article_condition(*article.groups())
        arms.append(Case.articles.through.objects.filter(condition).order_by().values_list("case_id", flat=True))
    arms.append(_name_matches(q).filter(case__isnull=False).values_list("case_id", flat=True))
    # .order_by() on every arm: SQLite refuses an ORDER BY inside a compound statement.
    return arms[0].union(*arms[1:], all=True)


class RowExists(Exists):
    """``EXISTS (… LIMIT 1 OFFSET 0)``: tested for each row the outer query reads.

    PostgreSQL turns a plain correlated EXISTS into a semi-join or, inside an OR, into a hashed
    subplan that collects every match of the subquery before the first row (for a surname
    carried by 3 % of persons: ~60,000 participants). A subquery with an OFFSET is left as it is
    written (PostgreSQL's simplify_EXISTS_query gives up on it), so the probes cost what the
    list reads, a page's worth, whatever the statistics say. SQLite runs subqueries so anyway.
    """

    template = "EXISTS(%(subquery)s OFFSET 0)"


def _row_match(q: str) -> Q:
    """The search as a test of one case row, cheapest first (PostgreSQL evaluates an OR in order).

    The name and article tests are one correlated ``RowExists`` over their UNION ALL.
    """
    related = _name_matches(q).filter(case=OuterRef("pk")).values("pk")
    article = ARTICLE.match(q)
    if article:
        articles = Case.articles.through.objects.filter(_article_condition(*article.groups()), case=OuterRef("pk"))
        related = related.union(articles.order_by().values("pk"), all=True)
    return Q(registration_number__istartswith=q) | _plot_condition(q) | Q(RowExists(related))


def _name_matches(q: str) -> QuerySet:
    """Persons whose "last first middle" starts with ``q``, folded (cases/search_text.py).

    Index person_search_name (varchar_pattern_ops) answers the prefix on PostgreSQL; both
    databases compare the same Python-folded strings, so "ёлкин" finds "Елкин" and "Ёлкин",
    and "қасым" finds "Қасымов" but not "Касымов". A person belongs to one case (``Person.case``,
    migration cases 0011) and is recorded there through a participation, so the person's own
    case is the case found: one index, no join. (Through the participants, PostgreSQL hashed every
    person of a common surname before the first case: ~200 ms at 1,000,000 cases.)
    """
    return Person.objects.filter(search_name__startswith=fold(q)).order_by()


def _article_condition(number: str, dash: str | None, part: str | None) -> Q:
    """On the case–article link table (``Case.articles.through``)."""
    if dash is None:
        return Q(article__article=number, **({"article__part": int(part)} if part else {}))
    # "190-1" is either article 190 part 1 or article 190-1 (numbers like 108-1 exist in the Code).
    as_number = Q(article__article=f"{number}-{dash}", **({"article__part": int(part)} if part else {}))
    return as_number | Q(article__article=number, article__part=int(dash))


class PlotMatches(Func):
    """PostgreSQL: ``<case>.plot_tsv @@ websearch_to_tsquery('russian', q)``.

    ``plot_tsv`` is the plot's vector, a generated column with the GIN index case_plot_tsv
    (migration cases 0012; not a model field, see there). The column is reached through the
    plot's own column reference, so Django's table aliases (subqueries, joins) stay right.
    Full-text search with the Russian dictionary: "телефоны" finds "телефон"; the stemmer
    lowercases and reads ё as е.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, words: str):
        super().__init__(F("plot"), Value(words))

    def as_sql(self, compiler, connection, **extra):
        plot, params = compiler.compile(self.source_expressions[0])
        assert plot.endswith('"plot"'), plot
        words, word_params = compiler.compile(self.source_expressions[1])
        column = plot[: -len('plot"')] + 'plot_tsv"'
        return f"{column} @@ websearch_to_tsquery('russian'::regconfig, {words})", [*params, *word_params]


def _plot_condition(q: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(PlotMatches(q))
    # SQLite: every word, folded, somewhere in the folded plot (ecase_fold, cases/search_text.py):
    # no stemming and no index, so every plot is read (docs/ARCHITECTURE.md).
    folded = Func(F("plot"), function=SQLITE_FOLD_FUNCTION, output_field=TextField())
    condition = Q()
    for word in fold(q).split():
        condition &= Q(Contains(folded, word))
    return condition


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
