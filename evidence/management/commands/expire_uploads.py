"""Expire resumable uploads left unfinished past ECASE_UPLOAD_EXPIRY_HOURS and remove their staged parts.

    manage.py expire_uploads [--dry-run]

An upload abandoned mid-way (a closed laptop that never came back) holds sealed parts in the blob
backend; they are nobody's evidence until the upload finishes. Run it daily (cron or Celery beat).
Rows are kept, marked expired; stages of uploads that ended otherwise and whose removal failed
at the time are removed again (their rows say they are finished, cancelled or refused).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from ecase import blobs
from evidence.choices import UploadStatus
from evidence.models import ResumableUpload
from evidence.uploads import expire


class Command(BaseCommand):
    help = "Expire unfinished resumable uploads past their time and remove their staged parts."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count.")

    def handle(self, *args, dry_run: bool = False, **options):
        stale = ResumableUpload.objects.filter(status=UploadStatus.OPEN, expires_at__lte=timezone.now())
        count = stale.count()
        if not dry_run:
            for upload in stale.iterator():
                expire(upload)
            # Stages whose upload ended but whose parts stayed (the node stopped before removing them).
            ended = {
                u.hex for u in ResumableUpload.objects.exclude(status=UploadStatus.OPEN).values_list("pk", flat=True)
            }
            for token in _staged_tokens():
                if token in ended:
                    blobs.stage_discard(token)
        self.stdout.write(f"{count} upload(s) {'to expire' if dry_run else 'expired'}")


def _staged_tokens() -> set[str]:
    names = blobs._iter_names(blobs.storage(), blobs.STAGE_PREFIX)
    return {name.split("/")[1] for name, _modified in names if name.count("/") >= 2}
