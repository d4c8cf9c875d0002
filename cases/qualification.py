"""How a qualification reads: "п. 4 ч. 2 ст. 190 УК" in Russian, "190-бап 2-бөлік 4-тармақ" in Kazakh.

One place for the wording, used by the pages, the API, the export and the PDFs of acts (issue #18).
"""

from __future__ import annotations

from django.utils.translation import get_language


def reference(article: str, part: int, point: str | None, language: str | None = None) -> str:
    """The reference alone (no title), in ``language`` (the active one by default)."""
    if (language or get_language()) == "kk":
        text = f"{article}-бап {part}-бөлік"
        return f"{text} {point}-тармақ" if point else text
    text = f"ч. {part} ст. {article}"
    return f"п. {point} {text}" if point else text


def qualification_label(article, point: str | None, language: str | None = None) -> str:
    """The reference with the part's title, as a case's qualification lists it."""
    kazakh = (language or get_language()) == "kk"
    title = (article.title_kk if kazakh and article.title_kk else article.title_ru) or ""
    text = reference(article.article, article.part, point, language)
    return f"{text} — {title}" if title else text


def case_qualification(case) -> list:
    """The case's links (``CaseArticle``) in the Code's order, each with its article read."""
    from .models import CaseArticle

    return list(
        CaseArticle.objects.filter(case=case).select_related("article").order_by("article__article", "article__part")
    )
