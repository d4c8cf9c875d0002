"""Ship the reference data: Criminal Code articles, terms of proceedings, procedural act types.

Self-contained since 0008 moved the sanction into dated versions: at this point of the schema the
sanction is still a field of the article, so the part gets its earliest shipped version (0008
turns it into that version). cases.reference_data.load speaks the current schema only.
"""

from django.db import migrations


def forward(apps, schema_editor):
    from cases.gravity import derive_gravity
    from cases.reference_data import read

    Article = apps.get_model("cases", "CriminalCodeArticle")
    Term = apps.get_model("cases", "ProceedingsTerm")
    ActType = apps.get_model("cases", "ProceduralActType")
    for row in read("criminal_code_articles.json"):
        first = min(row["versions"], key=lambda v: v["in_force_from"])
        sanction = {k: first[k] for k in ("is_misdemeanour", "max_imprisonment_months", "life_imprisonment", "intent")}
        Article.objects.update_or_create(
            article=row["article"],
            part=row["part"],
            defaults={
                "title_ru": row["title_ru"],
                "title_kk": row["title_kk"],
                "gravity": derive_gravity(**sanction),
                "needs_verification": first["needs_verification"],
                "note": first["note"],
                **sanction,
            },
        )
    for row in read("proceedings_terms.json"):
        Term.objects.update_or_create(form=row["form"], defaults={k: v for k, v in row.items() if k != "form"})
    # The act types as this schema has them: their requirements (0013) are loaded by 0013.
    act_type_fields = ("name_ru", "name_kk", "kind", "cpc_article", "fields")
    for row in read("act_types.json"):
        ActType.objects.update_or_create(code=row["code"], defaults={k: row[k] for k in act_type_fields if k in row})


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_database_guards")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
