"""The signing interface the workflow depends on, and nothing more.

The rendering task hands the unsigned PDF and the approver to ``act_signer().sign(...)`` and
stores what comes back. Today that is ``ServerKeySigner`` (keys issued by the built-in CA and
kept encrypted on the server). A browser-side signer — NCALayer with the approver's own
NCA RK key — implements the same two methods; docs/SIGNING.md describes how it slots in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SigningUnavailable(Exception):
    """The approver cannot sign now (no usable certificate, no key passphrase): retrying will not help."""


@dataclass(frozen=True)
class SignedPdf:
    data: bytes
    certificate_sha256: str  # SHA-256 of the signer's certificate (DER), recorded with the rendering


class ActSigner(Protocol):
    def can_sign(self, user) -> str | None:
        """None when ``user`` can sign now, otherwise the reason why not (shown to people)."""

    def sign(self, pdf: bytes, *, approver, reason: str, location: str) -> SignedPdf:
        """A PAdES signature of ``pdf`` by ``approver``; raises SigningUnavailable when impossible."""


def act_signer() -> ActSigner:
    return import_string(settings.ECASE_ACT_SIGNER)()
