"""The signature of an export's manifest: a detached CMS (PKCS#7) over manifest.json and a PAdES
signature on manifest.pdf, both by the system's export key.

Until issue #5's signer interface serves exports (see ``export_signer``), the key is the
system's own: an EC P-256 key and a self-signed certificate ("ecase case-file export"),
generated on first use under ``ECASE_EXPORT_SIGNING_DIR`` (default ``var/export_signing/``),
the key encrypted (PKCS#8, AES-256) with ``ECASE_EXPORT_SIGNING_PASSPHRASE``. The certificate is
what a recipient trusts: it is published with the export (``signer.pem``) and must be compared
with the one the police publish — a certificate found inside the ZIP proves nothing by itself.
``verify_export`` trusts the certificates given with ``--trust`` and only those; without one, the
local installation's export certificate (never one made up on the spot).

The key is made only while no export has ever been made (issue #20): after that, a missing or
unopenable key means a restore forgot it, and a new key would sign exports that recipients who
trust the published certificate reject. ``ExportKeyUnavailable`` says so instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from ecase.local_files import lasting_secret_key

SUBJECT = "ecase case-file export (system)"


class ExportKeyUnavailable(RuntimeError):
    """The export signing key is missing or cannot be opened: nothing can be exported until it is restored."""


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    intact: bool  # the signed content hashes to the digest the signature carries
    trusted: bool
    signer: str
    fingerprint: str
    problem: str = ""
    valid: bool = False  # the signature value is right for what it signs

    @property
    def content_changed(self) -> bool:
        """The signature itself is sound, but the content it covers is not what was signed."""
        return self.valid and not self.intact


def _signing_dir() -> Path:
    return Path(getattr(settings, "ECASE_EXPORT_SIGNING_DIR", Path(settings.VAR_DIR) / "export_signing"))


def _passphrase() -> bytes:
    configured = getattr(settings, "ECASE_EXPORT_SIGNING_PASSPHRASE", "")
    if configured:
        return configured.encode()
    if settings.PRODUCTION:
        raise ExportKeyUnavailable("ECASE_EXPORT_SIGNING_PASSPHRASE is not set: the export signing key stays locked")
    # Development default: derived from the checkout's secret key (production sets the passphrase, docs/AUDIT.md).
    return hashlib.sha256(b"ecase-export-signing:" + lasting_secret_key().encode()).hexdigest().encode()


def _create_key(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, SUBJECT), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ecase")]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
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
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )
    key_path, cert_path = directory / "key.pem", directory / "cert.pem"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(key_pem)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _exports_made() -> bool:
    from audit.choices import EventType
    from audit.models import AuditEvent

    return AuditEvent.objects.filter(event=EventType.EXPORT_MADE).exists()


def local_certificate_pem() -> bytes | None:
    """This installation's export certificate, or None when it has none (nothing is created)."""
    try:
        return (_signing_dir() / "cert.pem").read_bytes()
    except FileNotFoundError:
        return None


def system_certificate_pem() -> bytes:
    """The export certificate; the key and certificate are made only in an installation that never exported."""
    directory = _signing_dir()
    key_path, cert_path = directory / "key.pem", directory / "cert.pem"
    if not key_path.exists() and not cert_path.exists():
        if _exports_made():
            raise ExportKeyUnavailable(
                f"the export signing key is missing from {directory} although exports were made with it: "
                "restore key.pem and cert.pem (and the passphrase) from the backup (docs/OPERATIONS.md); "
                "a new key would sign exports that recipients trusting the published certificate reject"
            )
        try:
            _create_key(directory)
        except FileExistsError:  # another process created it meanwhile
            pass
    if not (key_path.exists() and cert_path.exists()):
        missing = "key.pem" if not key_path.exists() else "cert.pem"
        raise ExportKeyUnavailable(
            f"the export signing {missing} is missing from {directory}: restore it from the backup"
        )
    return cert_path.read_bytes()


def _private_key():
    try:
        key_pem = (_signing_dir() / "key.pem").read_bytes()
    except OSError as error:
        raise ExportKeyUnavailable(f"the export signing key cannot be read ({error})") from error
    try:
        return serialization.load_pem_private_key(key_pem, password=_passphrase())
    except (ValueError, TypeError) as error:
        raise ExportKeyUnavailable(
            "the export signing key cannot be opened: ECASE_EXPORT_SIGNING_PASSPHRASE (in development: "
            "derived from the secret key, var/secret_key) is not the one it was made under"
        ) from error


def require_export_key() -> bytes:
    """The export certificate, once the key is known to open: checked before an export is built."""
    certificate_pem = system_certificate_pem()
    _private_key()
    return certificate_pem


def _load_certificate(pem_bytes: bytes) -> asn1_x509.Certificate:
    if asn1_pem.detect(pem_bytes):
        _, _, pem_bytes = asn1_pem.unarmor(pem_bytes)
    return asn1_x509.Certificate.load(pem_bytes)


def fingerprint(certificate: asn1_x509.Certificate) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def identity(certificate_pem: bytes) -> tuple[str, str]:
    """(subject, SHA-256 fingerprint of the DER) of a certificate."""
    certificate = _load_certificate(certificate_pem)
    return certificate.subject.human_friendly, fingerprint(certificate)


def export_signer():
    """The pyHanko signer of exports: the system export key (see the module's docstring)."""
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificate_pem = system_certificate_pem()
    key = _private_key()
    key_info = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    certificate = _load_certificate(certificate_pem)
    return signers.SimpleSigner(
        signing_cert=certificate, signing_key=key_info, cert_registry=SimpleCertificateStore.from_certs([certificate])
    )


def sign_detached(data: bytes) -> bytes:
    """DER of a detached CMS SignedData over ``data`` (SHA-256)."""
    signer = export_signer()
    content_info = asyncio.run(signer.async_sign_general_data(io.BytesIO(data), "sha256", detached=True))
    return content_info.dump()


def sign_pdf(pdf: bytes) -> bytes:
    """``pdf`` with an invisible PAdES signature of the export key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    output = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(
            field_name="ManifestSignature", md_algorithm="sha256", reason="ecase case-file export manifest"
        ),
        signer=export_signer(),
        output=output,
    )
    return output.getvalue()


def _validation_context(trusted: list[bytes]):
    from pyhanko_certvalidator import ValidationContext

    roots = [_load_certificate(pem) for pem in trusted]
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


NO_TRUST = (
    "no certificate to trust: this installation has no export certificate; "
    "give the sender's published certificate (--trust CERT)"
)


def _trusted_pems(given: list[bytes] | None) -> list[bytes]:
    """What a signature must chain to: the certificates given, else the local one (none: nothing is trusted)."""
    if given:
        return list(given)
    local = local_certificate_pem()
    return [local] if local else []


def verify_detached(data: bytes, signature: bytes, *, trusted: list[bytes] | None = None) -> SignatureCheck:
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    roots = _trusted_pems(trusted)
    if not roots:
        return SignatureCheck(False, False, False, "", "", problem=NO_TRUST)
    try:
        signed_data = cms.ContentInfo.load(signature)["content"]
        status = asyncio.run(
            async_validate_detached_cms(
                io.BytesIO(data), signed_data, signer_validation_context=_validation_context(roots)
            )
        )
    except Exception as error:
        return SignatureCheck(False, False, False, "", "", problem=f"unreadable signature ({type(error).__name__})")
    return _check(status)


def verify_pdf(pdf: bytes, *, trusted: list[bytes] | None = None) -> SignatureCheck:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    roots = _trusted_pems(trusted)
    if not roots:
        return SignatureCheck(False, False, False, "", "", problem=NO_TRUST)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        if len(signatures) != 1:
            return SignatureCheck(False, False, False, "", "", problem=f"{len(signatures)} signatures, expected 1")
        status = validate_pdf_signature(signatures[0], signer_validation_context=_validation_context(roots))
        from pyhanko.sign.validation.status import SignatureCoverageLevel

        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return SignatureCheck(
                False,
                status.intact,
                status.trusted,
                _subject(status),
                _print(status),
                problem="the signature does not cover the whole file",
            )
    except Exception as error:
        return SignatureCheck(False, False, False, "", "", problem=f"unreadable PDF signature ({type(error).__name__})")
    return _check(status)


def _subject(status) -> str:
    cert = getattr(status, "signing_cert", None)
    return cert.subject.human_friendly if cert is not None else ""


def _print(status) -> str:
    cert = getattr(status, "signing_cert", None)
    return fingerprint(cert) if cert is not None else ""


def _check(status) -> SignatureCheck:
    intact, valid, trusted = bool(status.intact), bool(status.valid), bool(status.trusted)
    problem = (
        ""
        if intact and valid and trusted
        else (
            "the signed content was changed"
            if not intact
            else "the signature value is wrong"
            if not valid
            else "the signer is not trusted"
        )
    )
    return SignatureCheck(
        intact and valid and trusted, intact, trusted, _subject(status), _print(status), problem, valid=valid
    )
