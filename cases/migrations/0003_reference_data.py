"""Ship the reference data: Criminal Code articles, terms of proceedings, procedural act types."""
from django.db import migrations


def forward(apps, schema_editor):
    from cases.reference_data import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_database_guards")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
