"""The built-in certificate authority: a self-signed root, and the user certificates it issues.

A pilot needs signatures that verify without a national CA; the authority gives them. Its
root is the default trust root (cases/signing/trust.py); configuring the NCA RK roots
instead makes only national certificates count. Keys are RSA (what NCA RK issues besides
GOST), the root's 3072 bits, a user's 2048; every key is stored encrypted (passphrase.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone

from ..models import SigningAuthority
from .base import SigningUnavailable
from .passphrase import signing_passphrase

BUILTIN = "builtin"
ROOT_VALIDITY = timedelta(days=20 * 365)
BACKDATE = timedelta(minutes=5)  # tolerate clocks a little behind ours
PKCS12_KDF_ROUNDS = 100_000
NAME_LIMIT = 64  # X.520 upper bound of CN, OU, title


@dataclass(frozen=True)
class IssuedCertificate:
    serial: str
    subject: str
    sha256: str
    not_before: datetime
    not_after: datetime
    certificate_pem: str
    pkcs12: bytes


def _name(*pairs: tuple) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value[:NAME_LIMIT]) for oid, value in pairs if value])


def root_material(passphrase: bytes) -> tuple[str, str]:
    """A fresh self-signed root: its certificate and its key encrypted under ``passphrase`` (both PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = _name(
        (NameOID.COUNTRY_NAME, "KZ"),
        (NameOID.ORGANIZATION_NAME, settings.ECASE_SIGNING_ORGANISATION),
        (NameOID.COMMON_NAME, f"{settings.ECASE_SIGNING_ORGANISATION} root CA"),
    )
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(passphrase)
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def builtin_authority() -> tuple[SigningAuthority, bool]:
    """The built-in CA, created with a fresh root on first use; returns (authority, created)."""
    existing = SigningAuthority.objects.filter(name=BUILTIN).first()
    if existing is not None:
        return existing, False
    certificate_pem, key_pem = root_material(signing_passphrase())
    # Two processes may create it at once: the unique name keeps the first, both read that one.
    SigningAuthority.objects.bulk_create(
        [SigningAuthority(name=BUILTIN, certificate_pem=certificate_pem, private_key_pem=key_pem)],
        ignore_conflicts=True,
    )
    return SigningAuthority.objects.get(name=BUILTIN), True


def issue_user_certificate(authority: SigningAuthority, *, user, days: int) -> IssuedCertificate:
    """A signing certificate for ``user`` (digital signature and non-repudiation) with its key."""
    passphrase = signing_passphrase()
    try:
        ca_key = serialization.load_pem_private_key(authority.private_key_pem.encode(), passphrase)
    except ValueError as error:  # the passphrase is not the one the CA's key was stored under
        raise SigningUnavailable(
            f"the key of the certificate authority {authority.name!r} cannot be opened "
            "(is ECASE_SIGNING_PASSPHRASE the one it was created under?)"
        ) from error
    ca_cert = x509.load_pem_x509_certificate(authority.certificate_pem.encode())
    ca_public_key = ca_cert.public_key()
    # The authority's key pair is the RSA one root_material made (any PEM would load as another type).
    assert isinstance(ca_key, rsa.RSAPrivateKey) and isinstance(ca_public_key, rsa.RSAPublicKey)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = _name(
        (NameOID.COUNTRY_NAME, "KZ"),
        (NameOID.ORGANIZATION_NAME, settings.ECASE_SIGNING_ORGANISATION),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, user.unit.name_ru if user.unit_id else ""),
        (NameOID.TITLE, user.position),
        (NameOID.COMMON_NAME, user.get_full_name() or user.username),
        (NameOID.USER_ID, user.username),
    )
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public_key), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(PKCS12_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )
    # The root stays out of the bundle, hence out of every signature: verifiers hold it as their
    # trust anchor, and a copy inside the file would be unsigned bytes nobody checks.
    bundle = pkcs12.serialize_key_and_certificates(user.username.encode(), key, certificate, None, encryption)
    return IssuedCertificate(
        serial=format(certificate.serial_number, "x"),
        subject=certificate.subject.rfc4514_string(),
        sha256=hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        pkcs12=bundle,
    )
