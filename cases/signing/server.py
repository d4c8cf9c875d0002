"""Signing with keys the server keeps: the approver's PKCS#12 from the built-in CA.

pyHanko's synchronous API runs its own event loop (asyncio.run), so this is called from the
Celery task or other synchronous code, never inside a running loop (DESIGN §8). The
signature is invisible: the visible stamp is drawn by the layout in the embedded PT Sans,
which pyHanko's own stamp would garble in Cyrillic without extra font tooling (DESIGN §8).
"""

from __future__ import annotations

import hashlib
import io
import threading

from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from ..models import SigningCertificate
from .base import SignedPdf, SigningUnavailable
from .passphrase import signing_passphrase

FIELD_NAME = "ApproverSignature"
# Room for the CMS container (one RSA certificate and signature need some 3 KB). Reserving it
# spares pyHanko a dummy signature to estimate the size: half the signing time.
RESERVED_BYTES = 8192


# Opened keys, one per certificate and passphrase, for the life of the worker process. Opening a
# PKCS#12 runs its key derivation (~50 ms, a third of a signing task, issue #15); the decrypted
# key stays in this process' memory only — it is never written anywhere. A certificate is
# immutable once issued (a renewal is a new serial), so its digest is a safe key; the
# passphrase's digest is part of the key so a changed passphrase is never served a stale key.
_opened: dict[tuple[str, str], signers.SimpleSigner] = {}
_opening = threading.Lock()


def opened_signer(certificate: SigningCertificate) -> signers.SimpleSigner:
    """The certificate's signer, its key decrypted once per process."""
    passphrase = signing_passphrase()
    key = (certificate.sha256, hashlib.sha256(passphrase).hexdigest())
    with _opening:
        if key not in _opened:
            try:
                _opened[key] = signers.SimpleSigner.load_pkcs12_data(
                    bytes(certificate.pkcs12), other_certs=[], passphrase=passphrase
                )
            except ValueError as error:
                raise SigningUnavailable(
                    f"the signing key of certificate {certificate.serial} cannot be opened "
                    f"(is ECASE_SIGNING_PASSPHRASE the one it was issued under?)"
                ) from error
        return _opened[key]


class ServerKeySigner:
    def can_sign(self, user) -> str | None:
        if SigningCertificate.objects.usable().filter(user=user).exists():
            return None
        return _(
            "%(user)s has no valid signing certificate: an administrator issues one with "
            "“manage.py issue_certificate %(username)s”."
        ) % {"user": user, "username": user.username}

    def sign(self, pdf: bytes, *, signer, role: str, reason: str, location: str, language: str) -> SignedPdf:  # TEMP
        approver = signer
        certificate = SigningCertificate.objects.usable().filter(user=approver).first()
        if certificate is None:
            raise SigningUnavailable(self.can_sign(approver))
        signer = opened_signer(certificate)
        metadata = signers.PdfSignatureMetadata(
            field_name=f"Signature-{role}",
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location,
            name=approver.get_full_name() or approver.username,
        )
        signed = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)), metadata, signer=signer, bytes_reserved=RESERVED_BYTES
        )
        return SignedPdf(data=signed.getvalue(), certificate_sha256=certificate.sha256)
