"""Is a PDF a validly signed act? Every signature intact, trusted, and the file unchanged since.

Used by the public verification page and ``manage.py verify_act``. Revocation is not
checked: the built-in CA publishes no CRL or OCSP (docs/SIGNING.md, known limits).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .trust import trust_roots

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatedAct:
    """Which act a PDF says it is, in its own words: the title (act type and number) and the subject
    (the case's registration number and the act's number) that the renderer writes into every act's
    document information (cases/pdf/document.py). Read from the file, never from the database."""

    title: str
    subject: str


@dataclass(frozen=True)
class Verification:
    valid: bool
    signer: str = ""
    signing_time: datetime | None = None
    problems: tuple[str, ...] = ()
    # Only for a valid file: its last signature then covers the whole file, document information included.
    stated: StatedAct | None = None


def stated_act(data: bytes) -> StatedAct | None:
    """The act ``data`` states it is, or None when it does not say (or is not a readable PDF)."""
    try:
        trailer = PdfFileReader(io.BytesIO(data), strict=False).trailer_view
        info = trailer["/Info"] if "/Info" in trailer else {}
        title, subject = (str(info[key]).strip() if key in info else "" for key in ("/Title", "/Subject"))
    except Exception:  # an unreadable file states nothing
        logger.info("no document information", exc_info=True)
        return None
    return StatedAct(title=title, subject=subject) if title or subject else None


def _signer_name(certificate) -> str:
    subject = certificate.subject.native
    parts = [subject.get("common_name", ""), subject.get("title", "")]
    return ", ".join(p for p in parts if p) or certificate.subject.human_friendly


_CONTAINER = re.compile(rb"<(?:[0-9A-F]*|[0-9a-f]*)>")


def _container_problem(embedded, data: bytes) -> str | None:
    """The signature container lies outside the signed bytes: it must be written canonically.

    One DER structure, zero padding, hex digits in one case, the signer's digest algorithm
    the one declared, the versions RFC 5652 prescribes: otherwise a changed byte of the
    container's unsigned parts would leave a file that differs from the signed act and
    still "verifies".
    """
    signer_info, signed_data = embedded.signer_info, embedded.signed_data
    used = signer_info["digest_algorithm"]["algorithm"].native
    declared = {algorithm["algorithm"].native for algorithm in signed_data["digest_algorithms"]}
    # RFC 5652 §5.1, §5.3: the versions follow from how the signer is identified.
    version = "v1" if signer_info["sid"].name == "issuer_and_serial_number" else "v3"
    versions = (signed_data["version"].native, signer_info["version"].native)
    start, length, end, _ = (int(n) for n in embedded.sig_object["/ByteRange"])
    raw = embedded.pkcs7_content
    der = cms.ContentInfo.load(raw).dump(force=True)
    if (
        not _CONTAINER.fullmatch(data[start + length : end])
        or raw[: len(der)] != der
        or raw[len(der) :].strip(b"\x00")
        or declared != {used}
        or versions != (version, version)
    ):
        return f"signature {embedded.field_name}: the signature container was altered"
    return None


def verify_pdf(data: bytes, *, roots=None) -> Verification:
    """Check every signature of ``data`` against the trust roots (the configured ones by default)."""
    roots = trust_roots() if roots is None else roots
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception as error:  # any parse failure means "not a signed act", never a crash
        return Verification(valid=False, problems=(f"not a readable PDF ({type(error).__name__})",))
    if not signatures:
        return Verification(valid=False, problems=("the PDF carries no signature",))
    if not roots:
        return Verification(valid=False, problems=("no trust root is configured",))
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    problems, statuses = [], []
    for embedded in signatures:
        try:
            status = validate_pdf_signature(embedded, context)
            container = _container_problem(embedded, data)
        except Exception as error:  # a damaged signature is an invalid one, whatever broke in parsing it
            logger.info("signature validation failed", exc_info=True)
            problems.append(f"signature {embedded.field_name} cannot be validated ({type(error).__name__})")
            continue
        statuses.append(status)
        if container:
            problems.append(container)
        if not status.intact:
            problems.append(f"signature {embedded.field_name}: the signed bytes were changed")
        elif not status.valid:
            problems.append(f"signature {embedded.field_name}: cryptographically invalid")
        if not status.trusted:
            problems.append(f"signature {embedded.field_name}: the signer's certificate is not trusted")
    if statuses and statuses[-1].coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("the file was changed after it was signed")
    first = statuses[0] if statuses else None
    return Verification(
        valid=not problems,
        problems=tuple(problems),
        signer=_signer_name(first.signing_cert) if first else "",
        signing_time=first.signer_reported_dt if first else None,
        stated=None if problems else stated_act(data),
    )
