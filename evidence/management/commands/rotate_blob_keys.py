"""manage.py rotate_blob_keys: re-wrap every blob's data key with the first master key (issue #19).

Put the new key first in ECASE_BLOB_MASTER_KEYS with the old ones after it, run this, then
drop the old keys. Only the small key envelopes are rewritten; blob bodies are not touched.
"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand
from django.db import transaction

from audit.choices import EventType
from audit.services import audit_record
from ecase import blobs


class Command(BaseCommand):
    help = "Re-wrap the data key of every stored blob with the first master key of ECASE_BLOB_MASTER_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be re-wrapped; change nothing.")

    def handle(self, *args, dry_run: bool, **options):
        counts = blobs.rotate(dry_run=dry_run)
        kid = blobs.master_keys()[0][0]
        if not dry_run:
            with transaction.atomic():
                audit_record(
                    actor=None,
                    actor_label=f"manage.py ({getpass.getuser()})",
                    event=EventType.BLOB_KEYS_ROTATED,
                    data={"key_id": kid, **counts},
                )
        verb = "would re-wrap" if dry_run else "re-wrapped"
        self.stdout.write(
            f"{verb} {counts['rewrapped']} blob key(s) with master key {kid!r}; {counts['current']} already under it"
        )
