"""Persons belong to one case (issue #13): what one case records about a person is no other case's.

Until now a ``Person`` was one row per IIN, shared by every case it appeared in. Each shared row
is split here: the original row stays with its first case (by case id), and every further case
gets a copy of the data, to which that case's participants are repointed. No row is deleted
(the database forbids it, DESIGN §6), and every change writes its history row, so the history of
persons and participants stays complete: a copy starts with a "created" row, the original and
every repointed participant get a "changed" row naming this migration as the reason (a
migration has no acting person, so ``history_user`` is empty).

A person that took part in no case (none is expected: persons were only created together with a
participation) keeps no case and is seen by nobody; ``case`` therefore stays nullable in the
database, while the model requires it for every new row.
"""

from django.db import migrations
from django.utils import timezone

from ecase.db_triggers import ensure_triggers, install_triggers, no_delete

REASON = "Migration cases.0011: a person belongs to one case; shared record split per case (issue #13)"
BATCH = 1000


def _history_row(historical, obj, history_type, when):
    """A history row of ``obj`` as simple-history writes it (every tracked field, then the history columns)."""
    tracked = {f.attname for f in historical._meta.concrete_fields}  # the search column is not tracked
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname in tracked}
    return historical(
        **values, history_type=history_type, history_date=when, history_user_id=None, history_change_reason=REASON
    )


def split_shared_persons(apps, schema_editor):
    Person = apps.get_model("cases", "Person")
    Participant = apps.get_model("cases", "Participant")
    HistoricalPerson = apps.get_model("cases", "HistoricalPerson")
    HistoricalParticipant = apps.get_model("cases", "HistoricalParticipant")
    now = timezone.now()
    person_rows, participant_rows = [], []

    def flush(force=False):
        if force or len(person_rows) + len(participant_rows) >= BATCH:
            HistoricalPerson.objects.bulk_create(person_rows)
            HistoricalParticipant.objects.bulk_create(participant_rows)
            person_rows.clear()
            participant_rows.clear()

    cases_of = {}
    for person_id, case_id in Participant.objects.order_by("person_id", "case_id").values_list("person_id", "case_id"):
        ids = cases_of.setdefault(person_id, [])
        if not ids or ids[-1] != case_id:
            ids.append(case_id)
    for person in Person.objects.filter(pk__in=list(cases_of)).order_by("pk").iterator():
        first, *others = cases_of[person.pk]
        person.case_id = first
        person.save(update_fields=["case"])
        person_rows.append(_history_row(HistoricalPerson, person, "~", now))
        for case_id in others:
            copy = Person.objects.get(pk=person.pk)
            copy.pk = None
            copy.case_id = case_id
            copy.save(force_insert=True)
            person_rows.append(_history_row(HistoricalPerson, copy, "+", now))
            for participant in Participant.objects.filter(person_id=person.pk, case_id=case_id).order_by("pk"):
                participant.person_id = copy.pk
                participant.save(update_fields=["person"])
                participant_rows.append(_history_row(HistoricalParticipant, participant, "~", now))
        flush()
    flush(force=True)
    if schema_editor.connection.vendor == "postgresql":
        # The inserts above leave deferred foreign-key checks pending; PostgreSQL refuses to
        # ALTER a table with pending trigger events, so the checks run now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def restore_triggers(apps, schema_editor):
    """SQLite rebuilds a table to change a column, and the rebuild drops its triggers: put back the
    no-delete trigger of persons (a no-op on PostgreSQL, which alters in place)."""
    ensure_triggers(schema_editor.connection, [no_delete("cases_person")])


import cases.iin
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_article_versions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalperson",
            name="case",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The case whose record of the person this is.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="cases.case",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="case",
            field=models.ForeignKey(
                help_text="The case whose record of the person this is.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="persons",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="historicalperson",
            name="iin",
            field=models.CharField(
                blank=True,
                help_text="Empty only for a person without an IIN (e.g. a foreign citizen).",
                max_length=12,
                null=True,
                validators=[cases.iin.validate_iin],
                verbose_name="IIN",
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="iin",
            field=models.CharField(
                blank=True,
                help_text="Empty only for a person without an IIN (e.g. a foreign citizen).",
                max_length=12,
                null=True,
                validators=[cases.iin.validate_iin],
                verbose_name="IIN",
            ),
        ),
        migrations.RunPython(split_shared_persons, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["iin"], name="person_iin"),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(
                condition=models.Q(("iin__isnull", False)), fields=("case", "iin"), name="person_iin_once_per_case"
            ),
        ),
        migrations.CreateModel(
            name="HistoricalPersonLink",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("reason", models.TextField()),
                ("linked_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("history_change_reason", models.TextField(null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
            ],
            options={
                "verbose_name": "historical person link",
                "verbose_name_plural": "historical person links",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="PersonLink",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reason", models.TextField()),
                ("linked_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="historicalpersonlink",
            name="history_user",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="historicalpersonlink",
            name="linked_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalpersonlink",
            name="other",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="cases.person",
            ),
        ),
        migrations.AddField(
            model_name="historicalpersonlink",
            name="person",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="cases.person",
            ),
        ),
        migrations.AddField(
            model_name="personlink",
            name="linked_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="personlink",
            name="other",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="links_in", to="cases.person"
            ),
        ),
        migrations.AddField(
            model_name="personlink",
            name="person",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="links_out", to="cases.person"
            ),
        ),
        migrations.AddConstraint(
            model_name="personlink",
            constraint=models.CheckConstraint(
                condition=models.Q(("person__lt", models.F("other"))), name="person_link_ordered_pair"
            ),
        ),
        migrations.AddConstraint(
            model_name="personlink",
            constraint=models.UniqueConstraint(fields=("person", "other"), name="person_link_once"),
        ),
        install_triggers(no_delete("cases_personlink")),
        migrations.RunPython(restore_triggers, migrations.RunPython.noop),
    ]
