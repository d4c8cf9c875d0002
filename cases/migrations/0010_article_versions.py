"""Sanctions of article parts become dated versions (law at the time of the act, issue #13 item 5).

Every part's current sanction becomes its first version, in force from 1 January 2015 — the day
the Criminal Code of 3 July 2014 No. 226-V took effect: no part of this Code was in force earlier.
When each figure was really set (the Code's first text or a later amendment) is not checked, so
every such version is flagged ``needs_verification``. Cases keep their stored gravity.
"""

import datetime

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


CODE_IN_FORCE = datetime.date(2015, 1, 1)
CODE_LAW = "Уголовный кодекс РК от 3 июля 2014 г. № 226-V ЗРК, введён в действие с 1 января 2015 г."
UNVERIFIED_MARK = "Дата начала действия не сверена"
UNVERIFIED_DATE = (
    f"{UNVERIFIED_MARK}: взята дата введения УК РК в действие; санкция — из данных, хранившихся до версионирования."
)
SANCTION = ("is_misdemeanour", "max_imprisonment_months", "life_imprisonment", "intent")


def first_versions(apps, schema_editor):
    Article = apps.get_model("cases", "CriminalCodeArticle")
    Version = apps.get_model("cases", "CriminalCodeArticleVersion")
    for article in Article.objects.all():
        if Version.objects.filter(article=article).exists():
            continue
        Version.objects.create(
            article=article,
            in_force_from=CODE_IN_FORCE,
            gravity=article.gravity,
            amending_law=CODE_LAW,
            needs_verification=True,
            # A fresh database got the shipped note, which says so already (0003).
            note=article.note if UNVERIFIED_MARK in article.note else f"{article.note} {UNVERIFIED_DATE}".strip(),
            **{name: getattr(article, name) for name in SANCTION},
        )


def last_sanctions(apps, schema_editor):
    """Backwards: the part gets back the sanction of its latest version."""
    Article = apps.get_model("cases", "CriminalCodeArticle")
    for article in Article.objects.all():
        latest = article.versions.order_by("-in_force_from").first()
        if latest is not None:
            for name in (*SANCTION, "gravity", "needs_verification"):
                setattr(article, name, getattr(latest, name))
            article.save()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_search_folding_and_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CriminalCodeArticleVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("in_force_from", models.DateField(help_text="The day this sanction took effect.")),
                ("is_misdemeanour", models.BooleanField(default=False)),
                ("max_imprisonment_months", models.PositiveIntegerField(blank=True, null=True)),
                ("life_imprisonment", models.BooleanField(default=False)),
                (
                    "intent",
                    models.CharField(
                        choices=[("intentional", "Intentional"), ("negligent", "Negligent")],
                        default="intentional",
                        max_length=16,
                    ),
                ),
                (
                    "gravity",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (1, "Criminal misdemeanour"),
                            (2, "Crime of small gravity"),
                            (3, "Crime of medium gravity"),
                            (4, "Grave crime"),
                            (5, "Especially grave crime"),
                        ],
                        editable=False,
                    ),
                ),
                (
                    "amending_law",
                    models.CharField(
                        blank=True,
                        help_text="The law that set this sanction, with its date and number.",
                        max_length=500,
                    ),
                ),
                (
                    "needs_verification",
                    models.BooleanField(
                        default=True, help_text="The figures or the start date still need checking against the Code."
                    ),
                ),
                ("note", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["article", "in_force_from"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalCriminalCodeArticleVersion",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("in_force_from", models.DateField(help_text="The day this sanction took effect.")),
                ("is_misdemeanour", models.BooleanField(default=False)),
                ("max_imprisonment_months", models.PositiveIntegerField(blank=True, null=True)),
                ("life_imprisonment", models.BooleanField(default=False)),
                (
                    "intent",
                    models.CharField(
                        choices=[("intentional", "Intentional"), ("negligent", "Negligent")],
                        default="intentional",
                        max_length=16,
                    ),
                ),
                (
                    "gravity",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (1, "Criminal misdemeanour"),
                            (2, "Crime of small gravity"),
                            (3, "Crime of medium gravity"),
                            (4, "Grave crime"),
                            (5, "Especially grave crime"),
                        ],
                        editable=False,
                    ),
                ),
                (
                    "amending_law",
                    models.CharField(
                        blank=True,
                        help_text="The law that set this sanction, with its date and number.",
                        max_length=500,
                    ),
                ),
                (
                    "needs_verification",
                    models.BooleanField(
                        default=True, help_text="The figures or the start date still need checking against the Code."
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
            ],
            options={
                "verbose_name": "historical criminal code article version",
                "verbose_name_plural": "historical criminal code article versions",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AlterField(
            model_name="criminalcodearticle",
            name="gravity",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "Criminal misdemeanour"),
                    (2, "Crime of small gravity"),
                    (3, "Crime of medium gravity"),
                    (4, "Grave crime"),
                    (5, "Especially grave crime"),
                ],
                editable=False,
                help_text="Gravity under the latest version of the sanction (for lists only).",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalcriminalcodearticle",
            name="gravity",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "Criminal misdemeanour"),
                    (2, "Crime of small gravity"),
                    (3, "Crime of medium gravity"),
                    (4, "Grave crime"),
                    (5, "Especially grave crime"),
                ],
                editable=False,
                help_text="Gravity under the latest version of the sanction (for lists only).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="criminalcodearticleversion",
            name="article",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="versions", to="cases.criminalcodearticle"
            ),
        ),
        migrations.AddField(
            model_name="historicalcriminalcodearticleversion",
            name="article",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="cases.criminalcodearticle",
            ),
        ),
        migrations.AddField(
            model_name="historicalcriminalcodearticleversion",
            name="history_user",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddConstraint(
            model_name="criminalcodearticleversion",
            constraint=models.UniqueConstraint(fields=("article", "in_force_from"), name="article_version_date_unique"),
        ),
        migrations.AddConstraint(
            model_name="criminalcodearticleversion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_misdemeanour", False),
                    models.Q(("life_imprisonment", False), ("max_imprisonment_months__isnull", True)),
                    _connector="OR",
                ),
                name="article_version_misdemeanour_has_no_imprisonment",
            ),
        ),
        # The sanction each part carries today becomes its first version (docs/ARCHITECTURE.md,
        # "Law at the time of the act"), before the article's own sanction fields go.
        migrations.RunPython(first_versions, last_sanctions),
        migrations.RemoveConstraint(
            model_name="criminalcodearticle",
            name="article_misdemeanour_has_no_imprisonment",
        ),
        migrations.RemoveField(
            model_name="criminalcodearticle",
            name="intent",
        ),
        migrations.RemoveField(
            model_name="criminalcodearticle",
            name="is_misdemeanour",
        ),
        migrations.RemoveField(
            model_name="criminalcodearticle",
            name="life_imprisonment",
        ),
        migrations.RemoveField(
            model_name="criminalcodearticle",
            name="max_imprisonment_months",
        ),
        migrations.RemoveField(
            model_name="criminalcodearticle",
            name="needs_verification",
        ),
        migrations.RemoveField(
            model_name="historicalcriminalcodearticle",
            name="intent",
        ),
        migrations.RemoveField(
            model_name="historicalcriminalcodearticle",
            name="is_misdemeanour",
        ),
        migrations.RemoveField(
            model_name="historicalcriminalcodearticle",
            name="life_imprisonment",
        ),
        migrations.RemoveField(
            model_name="historicalcriminalcodearticle",
            name="max_imprisonment_months",
        ),
        migrations.RemoveField(
            model_name="historicalcriminalcodearticle",
            name="needs_verification",
        ),
    ]
