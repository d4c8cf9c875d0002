"""Blobs no row names (issue #20): found by address, removed only past a grace period.

A blob is written before the row naming it commits (ecase/blobs.py), so a crash or a refused
upload between the two leaves an unreferenced blob. This is the one place that knows every
field naming a blob — it lives in ``evidence``, the top of the import graph, so it may import
them all. An export archive is not stored: it streams to whoever asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from cases.models import ActRendering, ProceduralAct
from ecase import blobs

from .models import EvidenceFile

# Every field holding a blob's address. A certificate's sha256 (signing) is a fingerprint, not a blob.
BLOB_FIELDS = ((EvidenceFile, "sha256"), (ProceduralAct, "pdf_sha256"), (ActRendering, "pdf_sha256"))


@dataclass(frozen=True)
class Orphan:
    sha256: str
    stored_at: datetime


def _referenced(addresses: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(addresses), 1000):
        batch = addresses[start : start + 1000]
        for model, field in BLOB_FIELDS:
            found.update(model._base_manager.filter(**{f"{field}__in": batch}).values_list(field, flat=True))
    return found


def blob_orphans(*, grace: timedelta) -> list[Orphan]:
    """Blobs stored more than ``grace`` ago that no row names."""
    cutoff = timezone.now() - grace
    candidates = [(sha, stored_at) for sha, stored_at in blobs.iter_blobs() if stored_at < cutoff]
    referenced = _referenced([sha for sha, _ in candidates])
    return [Orphan(sha, stored_at) for sha, stored_at in candidates if sha not in referenced]


def blob_orphans_delete(*, actor: User | None, actor_label: str = "", grace: timedelta) -> list[Orphan]:
    """Remove the orphans past ``grace``; one audit event for the run, naming each address."""
    removed = []
    for orphan in blob_orphans(grace=grace):
        # Checked again just before deleting: a row may have come to name it since the listing.
        # (An upload of identical bytes that finds the blob stored and commits its row between this
        # check and the delete is the remaining window; the grace period makes it a day-old blob.)
        if _referenced([orphan.sha256]):
            continue
        blobs.delete(orphan.sha256)
        removed.append(orphan)
    with transaction.atomic():
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event=EventType.BLOB_ORPHANS_REMOVED,
            data={
                "removed": len(removed),
                "grace_hours": grace.total_seconds() / 3600,
                "sha256": [orphan.sha256 for orphan in removed],
            },
        )
    return removed
