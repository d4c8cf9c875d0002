"""Loading the reference data shipped in cases/data/ (articles, terms of proceedings, act types).

Used by ``manage.py load_reference_data`` after an edit of the JSON files. Rows are matched by
their natural key, so administrators' additions survive; nothing is deleted.

An article part carries a list of dated ``versions`` of its sanction. A version is matched by
(part, ``in_force_from``) and only ever created: a shipped version whose figures differ from
the stored one is reported as a conflict and left alone, because cases may have been qualified
under the stored figures (docs/ARCHITECTURE.md, "Law at the time of the act"). A change of
sanction is shipped as a new version with the date it took effect.

An act type's ``effects`` (what its acts do once in force, cases/effects.py) are checked against the
vocabulary and the type's own fields before anything is written, and then updated with the type.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TypedDict

from .effects import check_effects
from .gravity import derive_gravity

DATA_DIR = Path(__file__).resolve().parent / "data"
SANCTION = ("is_misdemeanour", "max_imprisonment_months", "life_imprisonment", "intent")
# A requirement's steps: the article that requires each (empty: not required).
REQUIRED_STEPS = ("certification_article", "approval_article", "agreement_article", "sanction_article")


class Loaded(TypedDict):
    """What ``load`` did: rows upserted per kind, and the shipped versions left alone as conflicts."""

    articles: int
    versions_added: int
    terms: int
    act_types: int
    requirements_added: int
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
        "requirements_added": 0,
        "conflicts": [],
    }
    act_types = read("act_types.json")
    for row in act_types:
        check_effects(row["code"], row.get("effects", []), row.get("fields", []))
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
            override = shipped.get("gravity_override")  # {"gravity": n, "article": "..."} where the Code excepts
            override_fields = (
                {"gravity_override": override["gravity"], "override_article": override["article"]} if override else {}
            )
            if stored is None:
                # Historical models have no custom save(): derive the gravity as the model would.
                Version.objects.create(
                    article=article,
                    in_force_from=day,
                    gravity=derive_gravity(
                        **{k: shipped[k] for k in SANCTION}, override=override["gravity"] if override else None
                    ),
                    **{k: shipped[k] for k in (*SANCTION, "amending_law", "needs_verification", "note")},
                    **override_fields,
                )
                counts["versions_added"] += 1
            elif any(getattr(stored, k) != shipped[k] for k in SANCTION) or getattr(
                stored, "gravity_override", None
            ) != (override["gravity"] if override else None):
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
    # Only the keys this schema has a column for: ``effects`` ships in the JSON before (and in migrations
    # older than) the field that stores it (migration 0018).
    columns = {field.name for field in ActType._meta.concrete_fields} - {"code"}
    for row in act_types:
        shipped_requirements = row.get("requirements", [])
        act_type, _ = ActType.objects.update_or_create(
            code=row["code"], defaults={k: v for k, v in row.items() if k in columns}
        )
        counts["act_types"] += 1
        _load_requirements(apps, act_type, shipped_requirements, counts)
    return counts


def _load_requirements(apps, act_type, shipped_requirements: list[dict], counts: Loaded) -> None:
    """Create the shipped requirement versions an act type lacks; a stored one that differs is a conflict.

    Like article versions, a version is never changed in what it decides (which steps, which term):
    acts were signed under the stored one, so a change of the law ships as a new dated version. A
    corrected citation of the same rule (article, part, note, sources, verification) is applied.
    Before migration 0013 the model does not exist, and there is nothing to load.
    """
    try:
        Requirement = apps.get_model("cases", "ActRequirement")
    except LookupError:
        return
    for shipped in shipped_requirements:
        day = date.fromisoformat(shipped["in_force_from"])
        values = {k: v for k, v in shipped.items() if k != "in_force_from"}
        stored = Requirement.objects.filter(act_type=act_type, in_force_from=day).first()
        if stored is None:
            Requirement.objects.create(act_type=act_type, in_force_from=day, **values)
            counts["requirements_added"] += 1
        elif _shape(stored.__dict__) != _shape(values):
            counts["conflicts"].append(f"{act_type.code} {day.isoformat()}")
        else:
            Requirement.objects.filter(pk=stored.pk).update(**values)


def _shape(row: dict) -> tuple:
    """What a requirement version decides: which steps are required, and the prosecutor's term."""
    return (*(bool(row.get(k)) for k in REQUIRED_STEPS), row.get("agreement_hours"))
