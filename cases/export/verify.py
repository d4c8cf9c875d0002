"""Checking a case-file export: every member's SHA-256 and size, the manifest's two signatures.

Needs no database: whoever holds the ZIP and the export certificate can run it. The verdict
is VALID only when every check passes; otherwise each problem names the member it concerns.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import signature
from .builder import FORMAT, MANIFEST, MANIFEST_PDF, SIGNATURE

CHUNK = 1024 * 1024
FRAME = {MANIFEST, SIGNATURE, MANIFEST_PDF}


@dataclass
class ExportCheck:
    problems: list[tuple[str, str]] = field(default_factory=list)
    members: int = 0
    case_number: str = ""
    signer: str = ""
    fingerprint: str = ""

    @property
    def valid(self) -> bool:
        return not self.problems

    def problem(self, member: str, message: str) -> None:
        self.problems.append((member, message))


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as stream:
        return stream.read()


def _digest(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _pdf_subject(pdf: bytes) -> str:
    from pyhanko.pdf_utils.reader import PdfFileReader

    info = PdfFileReader(io.BytesIO(pdf), strict=False).trailer_view.get("/Info")
    if info is None:
        return ""
    info = info.get_object()
    return str(info.get("/Subject", ""))


def verify_export(path: str | Path, *, trusted: list[bytes] | None = None) -> ExportCheck:
    """Check the export at ``path`` against ``trusted`` certificates (PEM/DER) and only those.

    Without any, the local installation's export certificate is the one trusted; an installation
    without one trusts nothing (the signatures then fail), it never makes a key to check with.
    """
    check = ExportCheck()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        check.problem(str(path), f"not a readable ZIP archive ({error})")
        return check
    with archive:
        names = archive.namelist()
        if len(names) != len(set(names)):
            check.problem(str(path), "the archive holds two members of the same name")
        for name in (MANIFEST, SIGNATURE, MANIFEST_PDF):
            if name not in names:
                check.problem(name, "missing")
        if check.problems:
            return check
        try:
            manifest_bytes = _read(archive, MANIFEST)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            check.problem(MANIFEST, f"corrupt in the archive ({error})")
            return check
        try:
            p7s = _read(archive, SIGNATURE)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            check.problem(SIGNATURE, f"corrupt in the archive ({error})")
            p7s = b""
        if p7s:
            signed = signature.verify_detached(manifest_bytes, p7s, trusted=trusted)
            check.signer, check.fingerprint = signed.signer, signed.fingerprint
            if not signed.ok:
                member = MANIFEST if signed.content_changed else SIGNATURE
                check.problem(
                    member,
                    f"does not verify against {SIGNATURE}: {signed.problem}"
                    if member == MANIFEST
                    else signed.problem
                    + (f" (certificate SHA-256 {signed.fingerprint})" if signed.fingerprint else ""),
                )
        try:
            manifest = json.loads(manifest_bytes)
            listed = {m["name"]: m for m in manifest["members"]}
            assert manifest.get("format") == FORMAT
        except (ValueError, KeyError, TypeError, AssertionError):
            check.problem(MANIFEST, "not a manifest of this format")
            return check
        check.case_number = str(manifest.get("case", {}).get("registration_number", ""))
        manifest_sha = hashlib.sha256(manifest_bytes).hexdigest()
        try:
            manifest_pdf = _read(archive, MANIFEST_PDF)
            pdf_check = signature.verify_pdf(manifest_pdf, trusted=trusted)
            if not pdf_check.ok:
                check.problem(MANIFEST_PDF, f"its signature does not verify: {pdf_check.problem}")
            elif manifest_sha not in _pdf_subject(manifest_pdf):
                check.problem(MANIFEST_PDF, f"describes another manifest.json (expected SHA-256 {manifest_sha})")
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            check.problem(MANIFEST_PDF, f"corrupt in the archive ({error})")
        for name, member in listed.items():
            check.members += 1
            if name not in names:
                check.problem(name, "listed in the manifest but missing from the archive")
                continue
            try:
                sha, size = _digest(archive, name)
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                check.problem(name, f"corrupt in the archive ({error})")
                continue
            if sha != member["sha256"] or size != member["size"]:
                check.problem(
                    name,
                    f"SHA-256 {sha} ({size} bytes) differs from the manifest's "
                    f"{member['sha256']} ({member['size']} bytes)",
                )
        for name in names:
            if name not in listed and name not in FRAME:
                check.problem(name, "in the archive but not in the manifest")
    return check
