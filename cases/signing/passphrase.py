"""The passphrase that encrypts every signing key at rest (the CA's and the users').

It comes from ECASE_SIGNING_PASSPHRASE and never from the database, so a copy of the
database signs nothing. Outside production a per-checkout passphrase is kept in
``var/signing_passphrase`` (like the secret key), so ``make run`` needs no setup. Production
never falls back to that file: the settings refuse to start without the variable
(ecase/settings.py, ``require_for_production``), and this refuses too if it is emptied later.

The file is made only while the database holds no key encrypted under a passphrase: a restore
that forgot it (docs/OPERATIONS.md) must fail loudly, not mint a passphrase that opens nothing
and leave every approved act to fail one by one (issue #20).
"""

from __future__ import annotations

import os
import secrets

from django.conf import settings

from .base import SigningUnavailable


def _keys_stored() -> bool:
    from ..models import SigningAuthority, SigningCertificate

    return SigningAuthority.objects.exists() or SigningCertificate.objects.exists()


def signing_passphrase() -> bytes:
    configured = settings.ECASE_SIGNING_PASSPHRASE
    if configured:
        return configured.encode()
    if settings.PRODUCTION:
        raise SigningUnavailable("ECASE_SIGNING_PASSPHRASE is not set: signing keys cannot be opened")
    path = settings.VAR_DIR / "signing_passphrase"
    if path.exists() and (text := path.read_text().strip()):
        return text.encode()
    if _keys_stored():
        raise SigningUnavailable(
            f"the signing passphrase file {path} is missing (or empty) but the database holds signing keys "
            "encrypted under it: restore it from the backup, or set ECASE_SIGNING_PASSPHRASE "
            "(docs/OPERATIONS.md); a new passphrase would open none of them"
        )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago (or an empty file is in the way)
        text = path.read_text().strip()
        if not text:
            raise SigningUnavailable(f"the signing passphrase file {path} is empty") from None
        return text.encode()
    with os.fdopen(fd, "w") as stream:
        stream.write(secrets.token_urlsafe(32))
        stream.flush()
        os.fsync(stream.fileno())
    return path.read_text().strip().encode()
