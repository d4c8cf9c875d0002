"""Triggers: audit events are never changed or deleted; chain heads only move forward.

The triggers of the simple-history tables are not here: those tables belong to other apps and
get theirs after every migrate (audit/triggers.py, ``install_history_triggers``).
"""

from django.db import migrations

from audit.triggers import AUDIT_TRIGGERS
from ecase.db_triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_event_without_choices")]

    operations = [install_triggers(*AUDIT_TRIGGERS)]
