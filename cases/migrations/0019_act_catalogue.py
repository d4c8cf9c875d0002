"""The act catalogue grows to the acts investigators draw up most (issue #18, item 4).

Loads the act types appended to cases/data/act_types.json (statement of a crime, acceptance of the
case, rights explained per role, search and seizure decrees, inspections, interrogations, …) with
their requirements, as 0014 did. The types' ``effects`` are stored by the loader once the field
that holds them exists (migration 0018); nothing here depends on it.
"""

from django.db import migrations


def load_reference_data(apps, schema_editor):
    from cases.reference_data import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0018_decree_effects"),
    ]

    operations = [
        migrations.RunPython(load_reference_data, migrations.RunPython.noop),
    ]
