"""Is a PDF a validly signed act? Every signature intact, trusted, and the file unchanged since.

An act carries one signature per role (author, approver, prosecutor), each an incremental
update over the previous ones. Each signature is checked on its own (``SignatureCheck``), in
signing order, and named by its role, read from its field's name: a changed byte is reported
against the revision it lies in, since the first signature that no longer matches its bytes is
the one whose revision (or an earlier one) was altered. The file is valid only if every
signature is intact and trusted, nothing but signatures was added after each of them, and the
last one covers the whole file.

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

from .roles import field_role, role_label
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
class SignatureCheck:
    """One signature of the file, as checked: who signed in which role, and what is wrong with it."""

    role: str  # from the field name: "author", "approver", "prosecutor", or "" for a foreign field
    field: str
    signer: str  # the certificate's common name
    position: str | None  # the certificate's title
    signed_at: datetime | None
    intact: bool  # the bytes it signed are unchanged
    trusted: bool  # its certificate chains to a configured trust root
    revision: int  # the file revision the signature was added in (0 is the unsigned render)
    covers_whole_file: bool
    problems: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return role_label(self.role)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Verification:
    valid: bool
    signer: str = ""  # the first signature's (the author's, for an act signed by roles)
    signing_time: datetime | None = None
    problems: tuple[str, ...] = ()
    # Only for a valid file: its last signature then covers the whole file, document information included.
    stated: StatedAct | None = None
    signatures: tuple[SignatureCheck, ...] = ()  # in signing order
    missing_roles: tuple[str, ...] = ()  # of the expected roles, those the file does not carry

    @property
    def first_broken(self) -> SignatureCheck | None:
        """The earliest signature whose signed bytes changed: the change lies in its revision or before."""
        return next((check for check in self.signatures if not check.intact), None)


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
        return "the signature container was altered"
    return None


@dataclass(frozen=True)
class SignatureEntry:
    """A signature as the file states it (role, signer, time), read without checking it."""

    role: str
    signer: str
    position: str | None
    signed_at: datetime | None

    @property
    def label(self) -> str:
        return role_label(self.role)


def signature_entries(data: bytes) -> tuple[SignatureEntry, ...]:
    """The signatures a file carries, in signing order, for showing who signed a recorded act.

    No cryptography: for a PDF this system recorded as signed (its signatures were checked
    when made); an uploaded copy goes through ``verify_pdf``.
    """
    entries = []
    try:
        for embedded in PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures:
            subject = embedded.signer_cert.subject.native
            entries.append(
                SignatureEntry(
                    role=field_role(embedded.field_name),
                    signer=subject.get("common_name", ""),
                    position=subject.get("title") or None,
                    signed_at=embedded.self_reported_timestamp,
                )
            )
    except Exception:  # an unreadable file lists nothing
        logger.info("signatures cannot be listed", exc_info=True)
        return ()
    return tuple(entries)


def _name_of(embedded) -> str:
    role = field_role(embedded.field_name)
    label = f"{role_label(role)} signature" if role else "signature"
    return f"{label} {embedded.field_name} (revision {embedded.signed_revision})"


def _check(embedded, data: bytes, context: ValidationContext) -> SignatureCheck:
    """One signature checked; a signature that cannot even be parsed is reported, never raised."""
    role, name = field_role(embedded.field_name), _name_of(embedded)
    base = {"role": role, "field": embedded.field_name or "", "revision": embedded.signed_revision}
    try:
        status = validate_pdf_signature(embedded, context)
        container = _container_problem(embedded, data)
    except Exception as error:  # a damaged signature is an invalid one, whatever broke in parsing it
        logger.info("signature validation failed", exc_info=True)
        return SignatureCheck(
            **base,
            signer="",
            position=None,
            signed_at=None,
            intact=False,
            trusted=False,
            covers_whole_file=False,
            problems=(f"{name} cannot be validated ({type(error).__name__})",),
        )
    problems = []
    if container:
        problems.append(f"{name}: {container}")
    if not status.intact:
        problems.append(f"{name}: the signed bytes were changed")
    elif not status.valid:
        problems.append(f"{name}: cryptographically invalid")
    if not status.trusted:
        problems.append(f"{name}: the signer's certificate is not trusted")
    if status.intact and status.docmdp_ok is False:
        problems.append(f"{name}: the file was changed after it by more than adding signatures")
    subject = status.signing_cert.subject.native
    return SignatureCheck(
        **base,
        signer=subject.get("common_name", "") or status.signing_cert.subject.human_friendly,
        position=subject.get("title") or None,
        signed_at=status.signer_reported_dt or embedded.self_reported_timestamp,
        intact=status.intact,
        trusted=status.trusted,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        problems=tuple(problems),
    )


def _role_problems(checks: list[SignatureCheck], expected_roles) -> tuple[list[str], tuple[str, ...]]:
    """What differs between the roles the file is signed in and the roles the caller expects."""
    present = [check.role for check in checks]
    missing = tuple(role for role in expected_roles if role not in present)
    problems = [f"the {role_label(role)} signature ({role}) is missing" for role in missing]
    unexpected = [role or "?" for role in present if role not in expected_roles]
    if unexpected:
        problems.append(f"signatures in roles that were not expected: {', '.join(unexpected)}")
    elif not missing and present != list(expected_roles):
        problems.append(f"the signatures are not in the expected order: {', '.join(present)}")
    return problems, missing


def verify_pdf(data: bytes, *, roots=None, expected_roles: list[str] | None = None) -> Verification:
    """Check every signature of ``data`` against the trust roots (the configured ones by default).

    With ``expected_roles`` (in signing order) the file must also carry exactly those roles'
    signatures: a file cut back to an earlier revision is then reported as missing a role.
    """
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
    checks = [_check(embedded, data, context) for embedded in signatures]
    problems = [problem for check in checks for problem in check.problems]
    if not checks[-1].covers_whole_file:
        problems.append("the file was changed after it was signed")
    missing: tuple[str, ...] = ()
    if expected_roles is not None:
        role_problems, missing = _role_problems(checks, expected_roles)
        problems += role_problems
    first = checks[0]
    return Verification(
        valid=not problems,
        problems=tuple(problems),
        signer=", ".join(p for p in (first.signer, first.position) if p),
        signing_time=first.signed_at,
        stated=None if problems else stated_act(data),
        signatures=tuple(checks),
        missing_roles=missing,
    )
