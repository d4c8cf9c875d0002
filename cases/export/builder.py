"""Building the case-file export: a ZIP for a prosecutor or a court.

Members::

    acts/NNN-<type>.pdf            every signed act, as signed (PAdES), checked against its recorded SHA-256
    evidence/NNN/<id>-<name>       every evidence file in force, checked against its SHA-256 on the way
                                   (written by the section evidence contributes: cases/file_parts.py)
    history/history.json, .pdf     the case's history report (every change: who, when, from → to, why)
    audit/head.json                the head of the case's audit chain when the export was made
    signer.pem                     the certificate of the export key (for convenience; trust is decided elsewhere)
    manifest.json                  every member above with its size and SHA-256, the case, the exporter
    manifest.json.p7s              detached CMS signature of manifest.json
    manifest.pdf                   manifest.json for people, PAdES-signed; its Subject names manifest.json's SHA-256

The export itself is an audited action (EXPORT_MADE, with manifest.json's SHA-256), written
once the archive is complete.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import BinaryIO, TypedDict

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.choices import EventType
from audit.heads import FORMAT as HEADS_FORMAT
from audit.models import GENESIS_HASH, ChainHead, chain_for_case
from audit.services import audit_record
from ecase import blobs

from .. import access, file_parts
from ..choices import ActStatus
from ..models import Case
from ..timeline import CaseTimeline
from . import pdf, signature

FORMAT = "ecase-case-export/1"
CHUNK = 1024 * 1024
MANIFEST, SIGNATURE, MANIFEST_PDF, SIGNER = "manifest.json", "manifest.json.p7s", "manifest.pdf", "signer.pem"


class ExportError(RuntimeError):
    """The export cannot be made as it should be (a stored file does not match its recorded hash)."""


@dataclass(frozen=True)
class ExportResult:
    manifest_sha256: str
    members: int
    bytes: int
    case_number: str


def exportable_case(*, case_id: int, actor: User) -> Case:
    """The case, if ``actor`` may export it: its lead investigator, a supervisor of it, its prosecutor
    (``access.EXPORT``; a group member may not). Not visible: OutOfScope; visible: NotAllowed."""
    return access.reach(case_id, actor=actor, action=access.EXPORT, related=("unit", "lead_investigator"))


class ManifestMember(TypedDict):
    """One file of the archive as the manifest lists it."""

    name: str
    size: int
    sha256: str
    description: str


class ExportWriter:
    """Writes members into the ZIP, hashing each on the way, and remembers them for the manifest."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.members: list[ManifestMember] = []

    def add(
        self,
        name: str,
        chunks: Iterable[bytes],
        *,
        size: int,
        description: str,
        compress: bool = True,
        expected_sha256: str | None = None,
    ) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.file_size = size
        digest, written = hashlib.sha256(), 0
        with self.archive.open(info, "w", force_zip64=size > 2**31) as stream:
            for chunk in chunks:
                digest.update(chunk)
                written += len(chunk)
                stream.write(chunk)
        sha = digest.hexdigest()
        if expected_sha256 is not None and sha != expected_sha256:
            raise ExportError(f"{name}: the stored bytes hash to {sha}, the case file records {expected_sha256}")
        self.members.append({"name": name, "size": written, "sha256": sha, "description": description})

    def add_bytes(self, name: str, data: bytes, *, description: str) -> None:
        self.add(name, [data], size=len(data), description=description)


def safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:120] or "file"


def _signed_acts(writer: ExportWriter, case: Case) -> None:
    for act in case.acts.filter(status=ActStatus.SIGNED).select_related("act_type").order_by("number"):
        if not blobs.exists(act.pdf_sha256):
            raise ExportError(f"the signed PDF of act №{act.number} ({act.pdf_sha256}) is missing from storage")
        data = blobs.read_bytes(act.pdf_sha256)  # a signed PDF is small; evidence below is streamed
        writer.add(
            f"acts/{act.number:03d}-{safe_name(act.act_type.code)}.pdf",
            [data],
            size=len(data),
            description=f"Акт №{act.number}: {act.act_type}",
            compress=False,
            expected_sha256=act.pdf_sha256,
        )


def _history(writer: ExportWriter, case: Case) -> None:
    entries = []
    for entry in CaseTimeline(case, include_access=False).iterate():
        entries.append(
            {
                "when": entry.when.astimezone(UTC).isoformat(),
                "who": entry.who,
                "what": entry.what,
                "subject": entry.subject,
                "kind": entry.kind,
                "why": entry.why,
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in entry.changes],
            }
        )
    writer.add_bytes(
        "history/history.json",
        json.dumps({"case": case.registration_number, "entries": entries}, ensure_ascii=False, indent=1).encode(),
        description="История изменений (JSON) / History (JSON)",
    )
    writer.add_bytes(
        "history/history.pdf",
        pdf.history_pdf(case.registration_number, entries),
        description="История изменений / History report",
    )


def _audit_head(case: Case) -> dict:
    chain = chain_for_case(case.pk)
    head = ChainHead.objects.filter(chain=chain).values_list("seq", "hash").first() or (0, GENESIS_HASH)
    return {"chain": chain, "seq": head[0], "hash": head[1]}


def export_case(*, case_id: int, actor: User, output: BinaryIO) -> ExportResult:
    """Write the export of case ``case_id`` to ``output`` (a seekable binary file) and audit it."""
    case = exportable_case(case_id=case_id, actor=actor)
    head = _audit_head(case)
    certificate = signature.require_export_key()  # refuses before anything is written when the key is missing
    with zipfile.ZipFile(output, "w", allowZip64=True) as archive:
        writer = ExportWriter(archive)
        _signed_acts(writer, case)
        withdrawn = [entry for section in file_parts.export_sections() for entry in section.write(writer, case)]
        _history(writer, case)
        writer.add_bytes(
            "audit/head.json",
            json.dumps(
                {
                    "format": HEADS_FORMAT,
                    "exported_at": timezone.now().isoformat(),
                    "heads": {head["chain"]: {"seq": head["seq"], "hash": head["hash"]}},
                },
                indent=1,
            ).encode(),
            description="Голова цепочки аудита дела / Head of the case's audit chain",
        )
        writer.add_bytes(SIGNER, certificate, description="Сертификат ключа выгрузки / Export key certificate")
        subject, fingerprint = signature.identity(certificate)
        manifest = {
            "format": FORMAT,
            "case": {
                "id": case.pk,
                "registration_number": case.registration_number,
                "unit": case.unit.code,
                "status": case.get_status_display(),
                "registered_at": case.registered_at.isoformat(),
            },
            "exported_at": timezone.now().astimezone(UTC).isoformat(),
            "exported_by": {
                "id": actor.pk,
                "username": actor.get_username(),
                "name": actor.get_full_name(),
                "role": getattr(actor, "role", ""),
            },
            "audit_head": head,
            "signer": {"subject": subject, "fingerprint": fingerprint},
            "members": writer.members,
            "withdrawn_files": withdrawn,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        manifest_sha = hashlib.sha256(manifest_bytes).hexdigest()
        for name, data in (
            (MANIFEST, manifest_bytes),
            (SIGNATURE, signature.sign_detached(manifest_bytes)),
            (MANIFEST_PDF, signature.sign_pdf(pdf.manifest_pdf(manifest, manifest_sha))),
        ):
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED
            )
    total = sum(m["size"] for m in writer.members)
    with transaction.atomic():
        audit_record(
            actor=actor,
            event=EventType.EXPORT_MADE,
            case_id=case.pk,
            target=case,
            data={
                "manifest_sha256": manifest_sha,
                "members": len(writer.members),
                "bytes": total,
                "audit_head_seq": head["seq"],
                "withdrawn_files": len(withdrawn),
            },
        )
    return ExportResult(manifest_sha, len(writer.members), total, case.registration_number)
