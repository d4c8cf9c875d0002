"""The passphrase that encrypts every signing key at rest (the CA's and the users').

It comes from ECASE_SIGNING_PASSPHRASE and never from the database, so a copy of the
database signs nothing. Outside production a per-checkout passphrase is kept in
``var/signing_passphrase`` (like the secret key), so ``make run`` needs no setup. Production
never falls back to that file: the settings refuse to start without the variable
(ecase/settings.py, ``require_for_production``), and this refuses too if it is emptied later.
"""

from __future__ import annotations

from django.conf import settings

from ecase.local_files import make_secret

from .base import SigningUnavailable


def signing_passphrase() -> bytes:
    configured = settings.ECASE_SIGNING_PASSPHRASE
    if configured:
        return configured.encode()
    if settings.PRODUCTION:
        raise SigningUnavailable("ECASE_SIGNING_PASSPHRASE is not set: signing keys cannot be opened")
    path = settings.VAR_DIR / "signing_passphrase"
    make_secret(path, nbytes=32)  # on first use; the settings never write var/ (ecase/local_files.py)
    return path.read_text().strip().encode()
