"""Periodic work of the evidence app: the report of blobs no row names (issue #20), expired uploads (#19)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from audit.choices import EventType
from audit.services import audit_record

from .orphans import blob_orphans
from .uploads import expire_stale_uploads

logger = logging.getLogger(__name__)
SYSTEM = "blob orphan check"
LISTED = 20  # addresses named in the audit event and the log line; the count is always whole


@shared_task(
    name="evidence.report_blob_orphans", ignore_result=True, acks_late=True, time_limit=3000, soft_time_limit=2900
)
def report_blob_orphans() -> int:
    """List blobs no row names, older than the grace period, and remove nothing.

    A crash between a blob's write and its row's commit leaves one behind (ecase/blobs.py); so does
    a restore of a store newer than the database. They are harmless but they are bytes of a case
    nobody can reach: the operator decides, with ``manage.py blob_orphans --delete`` (audited).
    Every run is audited (the check ran, and what it found) and logged, a WARNING when it found any.
    """
    grace_hours = float(getattr(settings, "ECASE_BLOB_ORPHAN_GRACE_HOURS", 24))
    orphans = blob_orphans(grace=timedelta(hours=grace_hours))
    addresses = [orphan.sha256 for orphan in orphans]
    audit_record(
        actor=None,
        actor_label=SYSTEM,
        event=EventType.BLOB_ORPHANS_FOUND,
        data={"found": len(orphans), "grace_hours": grace_hours, "sha256": addresses[:LISTED]},
    )
    if orphans:
        logger.warning(
            "%d orphan blob(s) older than %g h (no row names them): %s%s; review, then remove with "
            "`manage.py blob_orphans --delete`",
            len(orphans),
            grace_hours,
            ", ".join(addresses[:LISTED]),
            " …" if len(orphans) > LISTED else "",
        )
    else:
        logger.info("no orphan blobs older than %g h", grace_hours)
    return len(orphans)


@shared_task(name="evidence.expire_uploads", ignore_result=True, acks_late=True, time_limit=3000, soft_time_limit=2900)
def expire_uploads() -> int:
    """``manage.py expire_uploads``, daily: abandoned resumable uploads expired, their sealed parts removed.

    Idempotent (an expired row is not touched again), so a re-delivery after a lost worker is harmless.
    """
    count = expire_stale_uploads()
    logger.info("%d resumable upload(s) expired", count)
    return count
