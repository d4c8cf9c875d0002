"""Triggers: the administrators' log (``django_admin_log``) is append-only, like the audit trail.

An administrator who could edit or delete its rows could hide what they did on the admin site.
"""

from django.db import migrations

from ecase.db_triggers import append_only, install_triggers

ADMIN_LOG_TRIGGER = append_only(
    "django_admin_log", "the administrators' log is append-only: its entries are never changed or deleted"
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_api_token_grave_cases"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [install_triggers(ADMIN_LOG_TRIGGER)]
