"""Points of the qualification, exceptions to the gravity rule, more article parts (issue #18).

* The case–article link becomes the model ``CaseArticle`` on the same table (state only: the
  table, its columns and its unique index stay as the plain many-to-many made them) and gains the
  nullable ``point``; existing qualifications keep their rows, without a point.
* The link's history table keeps its name and gains the column too (a new column does not break
  the sealed segments of the history chain, audit/history_seal.py).
* A version of a part's sanction may carry the category the Code sets against it, with the article.
* The shipped reference data is loaded again: the new article parts and their first versions.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

POINT = models.CharField(
    blank=True,
    help_text="The point (пункт) of the part, such as 4 in п. 4 ч. 2 ст. 190; null when none.",
    max_length=8,
    null=True,
    validators=[
        django.core.validators.RegexValidator("^[1-9][0-9]?(-[1-9])?$", "A point is a number, such as 4 or 3-1.")
    ],
)


def load_reference(apps, schema_editor):
    from cases.reference_data import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_prosecutor_decisions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CaseArticle",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "article",
                            models.ForeignKey(
                                db_column="criminalcodearticle_id",
                                on_delete=django.db.models.deletion.CASCADE,
                                to="cases.criminalcodearticle",
                            ),
                        ),
                        ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="cases.case")),
                    ],
                    options={"db_table": "cases_case_articles", "unique_together": {("case", "article")}},
                ),
                migrations.AlterField(
                    model_name="case",
                    name="articles",
                    field=models.ManyToManyField(
                        related_name="cases", through="cases.CaseArticle", to="cases.criminalcodearticle"
                    ),
                ),
                migrations.RemoveField(model_name="historicalcase_articles", name="criminalcodearticle"),
                migrations.AddField(
                    model_name="historicalcase_articles",
                    name="article",
                    field=models.ForeignKey(
                        blank=True,
                        db_column="criminalcodearticle_id",
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.criminalcodearticle",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcase_articles",
                    name="case",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.case",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(model_name="casearticle", name="point", field=POINT),
        migrations.AddField(model_name="historicalcase_articles", name="point", field=POINT),
        migrations.AddField(
            model_name="criminalcodearticleversion",
            name="gravity_override",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "Criminal misdemeanour"),
                    (2, "Crime of small gravity"),
                    (3, "Crime of medium gravity"),
                    (4, "Grave crime"),
                    (5, "Especially grave crime"),
                ],
                help_text="The category the Code sets for this part against its sanction, if it does.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="criminalcodearticleversion",
            name="override_article",
            field=models.CharField(
                blank=True, help_text="The article of the Code that makes the exception.", max_length=200
            ),
        ),
        migrations.AddField(
            model_name="historicalcriminalcodearticleversion",
            name="gravity_override",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "Criminal misdemeanour"),
                    (2, "Crime of small gravity"),
                    (3, "Crime of medium gravity"),
                    (4, "Grave crime"),
                    (5, "Especially grave crime"),
                ],
                help_text="The category the Code sets for this part against its sanction, if it does.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="historicalcriminalcodearticleversion",
            name="override_article",
            field=models.CharField(
                blank=True, help_text="The article of the Code that makes the exception.", max_length=200
            ),
        ),
        migrations.AddConstraint(
            model_name="criminalcodearticleversion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("gravity_override__isnull", True),
                    models.Q(("override_article", ""), _negated=True),
                    _connector="OR",
                ),
                name="article_version_override_cites_article",
            ),
        ),
        migrations.RunPython(load_reference, migrations.RunPython.noop),
    ]
