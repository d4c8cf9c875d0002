"""Triggers: audit events are never changed or deleted; chain heads only move forward.

The guards of the simple-history tables are not here: those tables belong to other apps and
are guarded after every migrate (audit/guards.py, ``install_history_guards``).
"""

from django.db import migrations

from audit.guards import AUDIT_GUARDS
from ecase.db_guards import install_guards


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_event_without_choices")]

    operations = [install_guards(*AUDIT_GUARDS)]
