"""The signing interface the workflow depends on, and nothing more.

Each signing step of an act (its author, then the approver and the prosecutor where the act
needs them) hands the PDF as it stands and the signing person to ``act_signer().sign(...)``
and stores what comes back: the same PDF with one more PAdES signature, added as an
incremental update in that role's field and block. Today that is ``ServerKeySigner`` (keys
issued by the built-in CA and kept encrypted on the server). A browser-side signer — NCALayer
with the person's own NCA RK key — uses the two-step form in ``pades`` (``prepare`` sends a
digest to the browser, ``complete`` embeds the CMS it returns); docs/SIGNING.md describes it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SigningUnavailable(Exception):
    """The person cannot sign now (no usable certificate, no key passphrase): retrying will not help."""


@dataclass(frozen=True)
class SignedPdf:
    data: bytes
    certificate_sha256: str  # SHA-256 of the signer's certificate (DER), recorded with the rendering


@dataclass(frozen=True)
class SignatureRequest:
    """One signature prepared and waiting for its CMS (``pades.prepare`` → ``pades.complete``).

    Everything in it is plain data, so it can be kept between two HTTP requests (in the
    database or the session) while the browser signs.
    """

    prepared: bytes  # the PDF with the new field, its stamp and a zeroed /Contents placeholder
    document_digest: bytes  # SHA-256 of the /ByteRange: the CMS's messageDigest must be exactly this
    reserved_start: int  # where the /Contents placeholder lies in ``prepared`` (its "<" … ">")
    reserved_end: int
    role: str
    certificate_sha256: str  # only this certificate's CMS is accepted
    document_sha256: str  # of the PDF before this signature, as the stamp prints it

    @property
    def digest_base64(self) -> str:
        """The digest as NCALayer takes it (base64)."""
        return base64.b64encode(self.document_digest).decode()


class ActSigner(Protocol):
    def can_sign(self, user) -> str | None:
        """None when ``user`` can sign now, otherwise the reason why not (shown to people)."""

    def sign(self, pdf: bytes, *, signer, role: str, reason: str, location: str, language: str) -> SignedPdf:
        """``pdf`` with one more PAdES signature, by ``signer``'s own certificate, in ``role``'s block.

        An incremental update: every earlier signature stays valid. Raises SigningUnavailable
        when ``signer`` cannot sign or the PDF has no block for ``role``.
        """


def act_signer() -> ActSigner:
    return import_string(settings.ECASE_ACT_SIGNER)()
