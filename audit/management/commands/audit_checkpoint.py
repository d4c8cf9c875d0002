"""manage.py audit_checkpoint: seal the history rows written since the last checkpoint."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from audit.history_seal import write_checkpoint


class Command(BaseCommand):
    help = "Write a history checkpoint (row counts and digests of every history table) into the audit trail."

    def handle(self, *args, **options):
        result = write_checkpoint(actor_label="manage.py audit_checkpoint")
        if result.event is None:
            self.stdout.write(f"no checkpoint written: {result.skipped}")
        else:
            self.stdout.write(
                f"history checkpoint #{result.event.seq}: {result.rows} rows in {result.tables} tables sealed"
            )
