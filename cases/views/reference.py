"""The administration workspace's read-only view of the reference data (``/manage/reference/``).

Articles of the Criminal Code with their dated versions, act types with their fields, the
proceedings terms. Nothing here is edited: the law changes through ``cases/data/*.json`` and
``manage.py load_reference_data``, which adds a new version with its date and never rewrites one
that cases were qualified under (docs/ARCHITECTURE.md, "Law at the time of the act"). The pages
say so. No case is read here: administrators see no case content (DESIGN §1).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import urlencode

from accounts.workspace import access

from ..choosers import by_number
from ..models import ActRequirement, CriminalCodeArticle, ProceduralActType, ProceedingsTerm

PAGE_SIZE = 50


@access.page
def article_list(request: HttpRequest) -> HttpResponse:
    """Parts of the Code in its order, searched by number ("188", "188-1", "188 2": article and part)."""
    q = (request.GET.get("q") or "").strip()
    articles = by_number(CriminalCodeArticle.objects.annotate(version_count=Count("versions")))
    if q:
        articles = articles.filter(number_matches(q))
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "manage/articles.html", {"page": page, "q": q, "query": urlencode({"q": q}) if q else ""})


def number_matches(q: str) -> Q:
    """ "188": article 188 and its numbered additions (188-1, …); "188 2" or "188 ч.2": part 2 of 188;
    "188-1": article 188-1, or part 1 of article 188 (both spellings are in use)."""
    words = q.replace("ч.", " ").split()
    if len(words) >= 2 and words[1].isdigit():
        return Q(article=words[0], part=int(words[1]))
    number = words[0] if words else q
    found = Q(article=number) | Q(article__startswith=f"{number}-")
    left, _sep, right = number.rpartition("-")
    if left and right.isdigit():
        found |= Q(article=left, part=int(right))
    return found


@access.page
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One part with every version of its sanction, each with the period it was in force."""
    article = get_object_or_404(CriminalCodeArticle, pk=pk)
    versions = list(article.versions.order_by("in_force_from"))
    periods = [
        (version, following.in_force_from - timedelta(days=1) if following else None)
        for version, following in zip(versions, [*versions[1:], None], strict=True)
    ]
    return render(request, "manage/article.html", {"article": article, "periods": periods})


@access.page
def act_type_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "manage/act_types.html",
        {
            "act_types": _with_current_requirements(ProceduralActType.objects.order_by("code")),
            "terms": ProceedingsTerm.objects.order_by("form"),
        },
    )


@access.page
def act_type_detail(request: HttpRequest, pk: int) -> HttpResponse:
    act_type = get_object_or_404(ProceduralActType, pk=pk)
    return render(
        request,
        "manage/act_type.html",
        {"act_type": act_type, "requirements": act_type.requirements.order_by("-in_force_from")},
    )


def _with_current_requirements(act_types) -> list:
    """Each act type with the requirements in force today (one query for all)."""
    today = timezone.localdate()
    current: dict[int, ActRequirement] = {}
    for requirement in ActRequirement.objects.filter(in_force_from__lte=today).order_by("act_type", "-in_force_from"):
        current.setdefault(requirement.act_type_id, requirement)
    rows = list(act_types)
    for act_type in rows:
        act_type.current_requirement = current.get(act_type.pk)
    return rows
