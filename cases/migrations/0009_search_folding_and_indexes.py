"""Search that folds Cyrillic on both databases and answers from indexes (issue #13 item 2, #15).

* ``Person.search_name``: "last first middle" folded by cases.search_text.fold, filled here for
  existing persons; a varchar_pattern_ops btree answers the prefix search on PostgreSQL.
* PostgreSQL only: ``case_plot_fts``, the GIN index cases/selectors.py's plot search names, built
  from the very expression the query uses (SearchVector("plot", config="russian")), and
  ``case_number_prefix`` for the case-insensitive registration-number prefix. SQLite has neither
  GIN nor operator classes; there the search reads the rows (docs/ARCHITECTURE.md).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models
from django.db.models.functions import Upper

from cases.search_text import fold

BATCH = 2000


def postgres_indexes():
    return [
        GinIndex(SearchVector("plot", config="russian"), name="case_plot_fts"),
        models.Index(OpClass(Upper("registration_number"), name="text_pattern_ops"), name="case_number_prefix"),
    ]


def fill_search_names(apps, schema_editor):
    Person = apps.get_model("cases", "Person")
    # The plain base manager and bulk_update, not save(): the folded name is derived data, kept
    # out of history (CaseDataQuerySet refuses bulk writes for the tracked fields' sake).
    people = Person._base_manager
    batch = []
    for person in people.only("last_name", "first_name", "middle_name").order_by("pk").iterator(chunk_size=BATCH):
        person.search_name = fold(" ".join(p for p in (person.last_name, person.first_name, person.middle_name) if p))
        batch.append(person)
        if len(batch) == BATCH:
            people.bulk_update(batch, ["search_name"])
            batch = []
    people.bulk_update(batch, ["search_name"])


def create_postgres_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Case = apps.get_model("cases", "Case")
    for index in postgres_indexes():
        schema_editor.add_index(Case, index)


def drop_postgres_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Case = apps.get_model("cases", "Case")
    for index in postgres_indexes():
        schema_editor.remove_index(Case, index)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_rendering_retry_due"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="search_name",
            field=models.CharField(default="", editable=False, max_length=310),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["search_name"], name="person_search_name", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_postgres_indexes, drop_postgres_indexes),
    ]
