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

from django.conf import settings

from ecase.local_files import make_secret, read_secret

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
    text = read_secret(path)
    if text is None:
        if _keys_stored():
            raise SigningUnavailable(
                f"the signing passphrase file {path} is missing (or empty) but the database holds signing keys "
                "encrypted under it: restore it from the backup, or set ECASE_SIGNING_PASSPHRASE "
                "(docs/OPERATIONS.md); a new passphrase would open none of them"
            )
        try:
            make_secret(path, nbytes=32)  # on first use; the settings never write var/ (ecase/local_files.py)
        except FileExistsError:  # another process left it empty
            raise SigningUnavailable(f"the signing passphrase file {path} is empty") from None
        text = read_secret(path)
    assert text is not None
    return text.encode()
