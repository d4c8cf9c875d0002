"""One PAdES signature in two steps, so the key may live anywhere: ``prepare``, then ``complete``.

``prepare`` adds the role's signature field with its visible stamp and an empty placeholder to
the PDF (an incremental update, so earlier signatures stay valid) and returns the digest of
the bytes the signature will cover. Whoever holds the key — this server (server.py) or
NCALayer in the signer's browser — turns that digest into a detached CMS (its messageDigest
attribute is the digest); ``complete`` checks that the CMS is by the expected certificate and
over that digest, and writes it into the placeholder. pyHanko's interrupted signing
(``PdfSigner.async_digest_doc_for_signing``, ``PreparedByteRangeDigest.fill_with_cms``) does
the PDF work.

pyHanko's API is asynchronous; this runs it with ``asyncio.run``, so it is called from
synchronous code (views, the Celery task), never inside a running event loop (DESIGN §8).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import datetime

from asn1crypto import cms, pem
from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest

from ..pdf.document import SIGNATURE_ROLES_KEYWORD
from ..pdf.page import signature_box
from .base import SignatureRequest, SignedPdf, SigningUnavailable
from .roles import SignatureRole, signature_field
from .stamp import StampText, stamp_style

MD_ALGORITHM = "sha256"
# Room for the CMS container (one RSA certificate and signature need some 3 KB; an NCA RK
# certificate with its chain a little more). Reserving it spares pyHanko a dummy signature to
# estimate the size: half the signing time. Hex-encoded, so twice the DER size.
RESERVED_BYTES = 16384


def load_certificate(certificate_pem: str | bytes) -> asn1_x509.Certificate:
    data = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
    if pem.detect(data):
        _type, _headers, data = pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def document_roles(reader: PdfFileReader) -> list[str]:
    """The roles the act's layout reserved blocks for, as the PDF states them (cases/pdf/document.py)."""
    info = reader.trailer_view["/Info"] if "/Info" in reader.trailer_view else {}
    keywords = str(info["/Keywords"]) if "/Keywords" in info else ""
    for part in keywords.split(";"):
        part = part.strip()
        if part.startswith(SIGNATURE_ROLES_KEYWORD):
            return part[len(SIGNATURE_ROLES_KEYWORD) :].split()
    return []


def prepare(
    pdf: bytes,
    *,
    signer_certificate_pem: str,
    role: str,
    reason: str,
    location: str,
    language: str,
    signer=None,
    signed_at: datetime | None = None,
) -> SignatureRequest:
    """``pdf`` with ``role``'s field, stamp and an empty signature, and the digest to be signed.

    The stamp names the certificate's holder (its common name and title) unless ``signer``, the
    user, is given: then their current full name and position.
    """
    certificate = load_certificate(signer_certificate_pem)
    role = SignatureRole(role).value
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    roles = document_roles(writer.prev)
    if role not in roles:
        raise SigningUnavailable(f"this PDF has no signature block for the role {role!r} (it has {roles})")
    page, x1, y1, x2, y2 = signature_box(role, roles)
    subject = certificate.subject.native
    text = StampText(
        name=(signer.get_full_name() or signer.username) if signer is not None else subject.get("common_name", ""),
        position=signer.position_in(language) if signer is not None else subject.get("title", ""),
        signed_at=signed_at or timezone.now(),
        document_sha256=hashlib.sha256(pdf).hexdigest(),
        language=language,
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=signature_field(role),
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm=MD_ALGORITHM,
        reason=reason,
        location=location,
        name=text.name,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        # Stands in for the key at this step: pyHanko needs the certificate for the field and the
        # stamp, never a signature value (the CMS comes from whoever holds the key).
        signer=signers.ExternalSigner(signing_cert=certificate, cert_registry=None, signature_value=256),
        stamp_style=stamp_style(text, width=x2 - x1, height=y2 - y1),
        new_field_spec=fields.SigFieldSpec(sig_field_name=signature_field(role), on_page=page, box=(x1, y1, x2, y2)),
    )
    output = io.BytesIO()
    prepared, _tbs, _output = asyncio.run(
        pdf_signer.async_digest_doc_for_signing(writer, bytes_reserved=RESERVED_BYTES, output=output)
    )
    return SignatureRequest(
        prepared=output.getvalue(),
        document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_region_start,
        reserved_end=prepared.reserved_region_end,
        role=role,
        certificate_sha256=hashlib.sha256(certificate.dump()).hexdigest(),
        document_sha256=text.document_sha256,
    )


def complete(request: SignatureRequest, cms_der: bytes) -> SignedPdf:
    """The prepared PDF with ``cms_der`` in its placeholder, once the CMS proves to be the one asked for."""
    try:
        content = cms.ContentInfo.load(cms_der)
        signed_data = content["content"]
        signer_info = signed_data["signer_infos"][0]
        digests = [a["values"][0].native for a in signer_info["signed_attrs"] if a["type"].native == "message_digest"]
        certificates = [c.chosen for c in signed_data["certificates"]]
        serial = signer_info["sid"].chosen
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise SigningUnavailable(f"the signature container cannot be read ({type(error).__name__})") from error
    if digests != [request.document_digest]:
        raise SigningUnavailable("the signature is not over this document's digest")
    expected = [c for c in certificates if hashlib.sha256(c.dump()).hexdigest() == request.certificate_sha256]
    if not expected or not _identifies(serial, expected[0]):
        raise SigningUnavailable("the signature is not by the certificate it was prepared for")
    output = io.BytesIO(request.prepared)
    digest = PreparedByteRangeDigest(
        document_digest=request.document_digest,
        reserved_region_start=request.reserved_start,
        reserved_region_end=request.reserved_end,
    )
    try:
        digest.fill_with_cms(output, content)
    except Exception as error:  # pyHanko says the container does not fit the placeholder
        raise SigningUnavailable(f"the signature container does not fit ({error})") from error
    return SignedPdf(data=output.getvalue(), certificate_sha256=request.certificate_sha256)


def _identifies(sid, certificate: asn1_x509.Certificate) -> bool:
    """Whether the signer identifier names ``certificate`` (by issuer and serial, or key id)."""
    if isinstance(sid, cms.IssuerAndSerialNumber):
        return sid["serial_number"].native == certificate.serial_number and sid["issuer"] == certificate.issuer
    return sid.native == certificate.key_identifier
