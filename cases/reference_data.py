"""Loading the reference data shipped in cases/data/ (articles, terms of proceedings, act types).

Used by ``manage.py load_reference_data`` after an edit of the JSON files. Rows are matched by
their natural key, so administrators' additions survive; nothing is deleted.

An article part carries a list of dated ``versions`` of its sanction. A version is matched by
(part, ``in_force_from``) and only ever created: a shipped version whose figures differ from
the stored one is reported as a conflict and left alone, because cases may have been qualified
under the stored figures (docs/ARCHITECTURE.md, "Law at the time of the act"). A change of
sanction is shipped as a new version with the date it took effect.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TypedDict

from .gravity import derive_gravity

DATA_DIR = Path(__file__).resolve().parent / "data"
SANCTION = ("is_misdemeanour", "max_imprisonment_months", "life_imprisonment", "intent")


class Loaded(TypedDict):
    """What ``load`` did: rows upserted per kind, and the shipped versions left alone as conflicts."""

    articles: int
    versions_added: int
    terms: int
    act_types: int
    conflicts: list[str]


def read(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)


def load(apps) -> Loaded:
    """Upsert every shipped row; ``apps`` is a migration's app registry or django.apps.apps."""
    Article = apps.get_model("cases", "CriminalCodeArticle")
    Version = apps.get_model("cases", "CriminalCodeArticleVersion")
    Term = apps.get_model("cases", "ProceedingsTerm")
    ActType = apps.get_model("cases", "ProceduralActType")
    counts: Loaded = {
        "articles": 0,
        "versions_added": 0,
        "terms": 0,
        "act_types": 0,
        "conflicts": [],
    }
    for row in read("criminal_code_articles.json"):
        article, _ = Article.objects.update_or_create(
            article=row["article"],
            part=row["part"],
            defaults={"title_ru": row["title_ru"], "title_kk": row["title_kk"]},
        )
        counts["articles"] += 1
        for shipped in row["versions"]:
            day = date.fromisoformat(shipped["in_force_from"])
            stored = Version.objects.filter(article=article, in_force_from=day).first()
            if stored is None:
                # Historical models have no custom save(): derive the gravity as the model would.
                Version.objects.create(
                    article=article,
                    in_force_from=day,
                    gravity=derive_gravity(**{k: shipped[k] for k in SANCTION}),
                    **{k: shipped[k] for k in (*SANCTION, "amending_law", "needs_verification", "note")},
                )
                counts["versions_added"] += 1
            elif any(getattr(stored, k) != shipped[k] for k in SANCTION):
                counts["conflicts"].append(f"{article.article}-{article.part} {day.isoformat()}")
        latest = (
            Version.objects.filter(article=article).order_by("-in_force_from").values_list("gravity", flat=True).first()
        )
        if article.gravity != latest:  # the part's listed gravity follows its latest version, as the model's save
            article.gravity = latest
            article.save(update_fields=["gravity"])
    for row in read("proceedings_terms.json"):
        Term.objects.update_or_create(form=row["form"], defaults={k: v for k, v in row.items() if k != "form"})
        counts["terms"] += 1
    for row in read("act_types.json"):
        ActType.objects.update_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})
        counts["act_types"] += 1
    return counts
