"""Triggers: no case material is deleted; a signed act and its participant list never change."""

from django.db import migrations

from ecase.db_triggers import RowTrigger, install_triggers, no_delete

SIGNED_ACT_LINK = "(SELECT status FROM cases_proceduralact WHERE id = {row}.proceduralact_id) = 'signed'"


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        install_triggers(
            *(
                no_delete(t)
                for t in (
                    "cases_case",
                    "cases_person",
                    "cases_participant",
                    "cases_proceduralact",
                    "cases_deadlineextension",
                    "cases_interruption",
                )
            ),
            RowTrigger(
                "cases_signed_act_immutable",
                "cases_proceduralact",
                "UPDATE",
                "a signed act cannot change: draft a new act that supersedes it",
                when="OLD.status = 'signed'",
            ),
            RowTrigger(
                "cases_signed_act_participants_insert",
                "cases_proceduralact_participants",
                "INSERT",
                "a signed act's participants cannot change",
                when=SIGNED_ACT_LINK.format(row="NEW"),
            ),
            RowTrigger(
                "cases_signed_act_participants_delete",
                "cases_proceduralact_participants",
                "DELETE",
                "a signed act's participants cannot change",
                when=SIGNED_ACT_LINK.format(row="OLD"),
            ),
        ),
    ]
