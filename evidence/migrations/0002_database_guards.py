"""Triggers: no evidence is deleted; custody events are append-only."""

from django.db import migrations

from ecase.db_triggers import RowTrigger, install_triggers, no_delete


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [
        install_triggers(
            no_delete("evidence_evidenceitem"),
            no_delete("evidence_evidencefile"),
            no_delete("evidence_custodyevent"),
            RowTrigger(
                "evidence_custody_append_only",
                "evidence_custodyevent",
                "UPDATE",
                "custody events are append-only: record a new event",
            ),
        ),
    ]
