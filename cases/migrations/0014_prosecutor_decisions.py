"""The prosecutor's decisions as their own signed acts (issue #17).

Adds the act kind ``prosecutor`` and the links from a refusal (``ActTransition``) and an extension
(``DeadlineExtension``) to the signed act that records it, and loads the four act types of those
decisions with their requirements from cases/data/act_types.json. Decisions taken before this
migration keep no document: none is drawn up after the fact (a signature is the signer's act at
the time, which a migration cannot give).
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

# SQLite rebuilds a table to add a unique column: the triggers go aside and come back as 0013 does it.
_legal_effect = importlib.import_module("cases.migrations.0013_legal_effect")
KINDS = [
    ("resolution", "Resolution"),
    ("protocol", "Protocol"),
    ("indictment", "Indictment"),
    ("notice", "Notice"),
    ("prosecutor", "Prosecutor's decision"),
    ("other", "Other"),
]


def load_reference_data(apps, schema_editor):
    from cases.reference_data import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_legal_effect"),
    ]

    operations = [
        migrations.RunPython(_legal_effect.set_triggers_aside, _legal_effect.put_triggers_back),
        migrations.AddField(
            model_name="acttransition",
            name="decision_act",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="decided_transition",
                to="cases.proceduralact",
            ),
        ),
        migrations.AddField(
            model_name="deadlineextension",
            name="decision_act",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="decided_extension",
                to="cases.proceduralact",
            ),
        ),
        migrations.AddField(
            model_name="historicaldeadlineextension",
            name="decision_act",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="cases.proceduralact",
            ),
        ),
        migrations.AlterField(
            model_name="historicalproceduralacttype",
            name="kind",
            field=models.CharField(choices=KINDS, max_length=16),
        ),
        migrations.AlterField(
            model_name="proceduralacttype",
            name="kind",
            field=models.CharField(choices=KINDS, max_length=16),
        ),
        migrations.RunPython(_legal_effect.put_triggers_back, _legal_effect.set_triggers_aside),
        migrations.RunPython(load_reference_data, migrations.RunPython.noop),
    ]
