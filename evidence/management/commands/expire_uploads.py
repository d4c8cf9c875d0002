"""Expire resumable uploads left unfinished past ECASE_UPLOAD_EXPIRY_HOURS and remove their staged parts.

    manage.py expire_uploads [--dry-run]

An upload abandoned mid-way (a closed laptop that never came back) holds sealed parts in the blob
backend; they are nobody's evidence until the upload finishes. Celery beat runs the same function
daily (``evidence.expire_uploads``); without a beat, run this from cron.
Rows are kept, marked expired; stages of uploads that ended otherwise and whose removal failed
at the time are removed again (their rows say they are finished, cancelled or refused).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from evidence.uploads import expire_stale_uploads


class Command(BaseCommand):
    help = "Expire unfinished resumable uploads past their time and remove their staged parts."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count.")

    def handle(self, *args, dry_run: bool = False, **options):
        count = expire_stale_uploads(dry_run=dry_run)
        self.stdout.write(f"{count} upload(s) {'to expire' if dry_run else 'expired'}")
