"""The trust roots signatures are judged against: configurable, so NCA RK can replace ours.

ECASE_SIGNING_TRUST_ROOTS lists PEM/DER files; the word ``builtin`` stands for the built-in
authority's root (the default). Keep ``builtin`` in the list while acts signed under it must
still verify.
"""

from __future__ import annotations

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from pyhanko.keys import load_certs_from_pemder, load_certs_from_pemder_data

from ..models import SigningAuthority
from .authority import BUILTIN


def trust_roots() -> list[asn1_x509.Certificate]:
    roots: list[asn1_x509.Certificate] = []
    for entry in settings.ECASE_SIGNING_TRUST_ROOTS:
        if entry == BUILTIN:
            authority = SigningAuthority.objects.filter(name=BUILTIN).first()
            if authority is not None:
                roots.extend(load_certs_from_pemder_data(authority.certificate_pem.encode()))
        else:
            roots.extend(load_certs_from_pemder([entry]))
    return roots


def trust_roots_pem() -> str:
    """The configured roots as one PEM text, for anyone who verifies an act elsewhere."""
    return "".join(pem.armor("CERTIFICATE", root.dump()).decode() for root in trust_roots())
