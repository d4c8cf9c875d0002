"""The evidence's section of the case-file export (registered in evidence/apps.py, see cases/file_parts.py)."""

from __future__ import annotations

from cases.export.builder import CHUNK, ExportError, ExportWriter, safe_name
from cases.models import Case
from ecase import blobs


def evidence_files(writer: ExportWriter, case: Case) -> list[dict]:
    """``evidence/NNN/<id>-<name>``: every evidence file in force, streamed and checked against its SHA-256;
    a withdrawn one is left out and listed (the manifest's ``withdrawn_files``)."""
    withdrawn: list[dict] = []
    for item in case.evidence_items.order_by("number"):
        for record in item.files.order_by("uploaded_at", "pk"):
            if record.withdrawn_at is not None:
                withdrawn.append(
                    {
                        "name": f"evidence/{item.number:03d}/{record.pk}-{safe_name(record.original_name)}",
                        "sha256": record.sha256,
                        "reason": record.withdrawal_reason,
                    }
                )
                continue
            if not blobs.exists(record.sha256):
                raise ExportError(f"evidence file {record.pk} ({record.sha256}) is missing from storage")
            writer.add(
                f"evidence/{item.number:03d}/{record.pk}-{safe_name(record.original_name)}",
                blobs.chunks(record.sha256, CHUNK),
                size=record.size,
                compress=False,
                expected_sha256=record.sha256,
                description=f"Вещественное доказательство №{item.number}: {record.original_name}",
            )
    return withdrawn
