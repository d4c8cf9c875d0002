"""Signing with keys the server keeps: each person's PKCS#12 from the built-in CA.

Every signature goes the two-step way a browser signer would (pades.py): ``prepare`` makes the
field, the stamp and the digest, this module computes the CMS over that digest with the
signer's own key, and ``complete`` embeds it. So the path an NCALayer signer takes is the path
every server signature takes too.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading

from django.utils.translation import gettext as _
from pyhanko.sign import signers

from ..models import SigningCertificate
from .base import SignedPdf, SigningUnavailable
from .pades import MD_ALGORITHM, complete, prepare
from .passphrase import signing_passphrase

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


def server_cms(certificate: SigningCertificate, document_digest: bytes) -> bytes:
    """The detached PAdES CMS over ``document_digest`` by ``certificate``'s key (DER)."""
    signer = opened_signer(certificate)
    content = asyncio.run(signer.async_sign(document_digest, MD_ALGORITHM, use_pades=True))
    return content.dump()


class ServerKeySigner:
    def can_sign(self, user) -> str | None:
        if SigningCertificate.objects.usable().filter(user=user).exists():
            return None
        return _(
            "%(user)s has no valid signing certificate: an administrator issues one with "
            "“manage.py issue_certificate %(username)s”."
        ) % {"user": user, "username": user.username}

    def sign(self, pdf: bytes, *, signer, role: str, reason: str, location: str, language: str) -> SignedPdf:
        certificate = SigningCertificate.objects.usable().filter(user=signer).first()
        if certificate is None:
            raise SigningUnavailable(self.can_sign(signer))
        request = prepare(
            pdf,
            signer_certificate_pem=certificate.certificate_pem,
            role=role,
            reason=reason,
            location=location,
            language=language,
            signer=signer,
        )
        return complete(request, server_cms(certificate, request.document_digest))
