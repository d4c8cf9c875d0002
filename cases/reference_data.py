"""Loading the reference data shipped in cases/data/ (articles, terms of proceedings, act types).

Used by the data migration (with historical models) and by ``manage.py load_reference_data``
after an edit of the JSON files. Rows are matched by their natural key and updated in place,
so administrators' additions survive; nothing is deleted.
"""
from __future__ import annotations

import json
from pathlib import Path

from .gravity import derive_gravity

DATA_DIR = Path(__file__).resolve().parent / "data"


def read(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)


def load(apps) -> dict[str, int]:
    """Upsert every shipped row; ``apps`` is a migration's app registry or django.apps.apps."""
    Article = apps.get_model("cases", "CriminalCodeArticle")
    Term = apps.get_model("cases", "ProceedingsTerm")
    ActType = apps.get_model("cases", "ProceduralActType")
    counts = {"articles": 0, "terms": 0, "act_types": 0}
    for row in read("criminal_code_articles.json"):
        values = {k: row[k] for k in ("title_ru", "title_kk", "is_misdemeanour", "max_imprisonment_months",
                                      "life_imprisonment", "intent", "needs_verification", "note")}
        # Historical models have no custom save(): derive the gravity here as the model would.
        values["gravity"] = derive_gravity(
            is_misdemeanour=row["is_misdemeanour"], intent=row["intent"],
            max_imprisonment_months=row["max_imprisonment_months"], life_imprisonment=row["life_imprisonment"],
        )
        Article.objects.update_or_create(article=row["article"], part=row["part"], defaults=values)
        counts["articles"] += 1
    for row in read("proceedings_terms.json"):
        Term.objects.update_or_create(form=row["form"], defaults={k: v for k, v in row.items() if k != "form"})
        counts["terms"] += 1
    for row in read("act_types.json"):
        ActType.objects.update_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})
        counts["act_types"] += 1
    return counts
