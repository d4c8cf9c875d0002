"""The working files of a development checkout under ECASE_VAR_DIR, made by a command, never at import.

Importing the settings writes nothing (issue #14): a production start, a read-only container, a
test that imports the settings in a fresh interpreter and a mistyped ECASE_VAR_DIR all leave the
disk alone. What a checkout needs there — the folder itself (the SQLite file lives in it), the
static root, the folder broker's directories and the development secret key — is made by
``manage.py prepare_dirs``, which ``make migrate`` (and so ``make run``) calls
first: SQLite needs its folder before ``migrate`` can connect. Every ``migrate`` makes them again
afterwards (a post_migrate handler, ecase/apps.py), so a checkout migrated by hand on PostgreSQL
has them too. Production makes nothing here: its keys come from the environment (the settings
refuse to start without them) and its folders from the deployment (Dockerfile, collectstatic).

Other secrets of a checkout are made where they are first used: the signing passphrase
(cases/signing/passphrase.py), the blob master key (ecase/blobs.py), the export signing key
(cases/export/signature.py).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def read_secret(path: Path) -> str | None:
    """The secret kept in ``path``, or None when there is none yet (reading never creates it)."""
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        return None
    return value or None


def make_secret(path: Path, *, nbytes: int = 50) -> bool:
    """Write a new random secret to ``path`` unless one is there; True when this call made it.

    Created with O_EXCL and mode 0600 at once: the secret is never readable by others, not even
    for a moment, and two processes preparing at the same time keep the first one's secret.
    """
    if read_secret(path):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago (or left it empty: say so)
        if read_secret(path):
            return False
        raise
    with os.fdopen(fd, "w") as stream:
        stream.write(secrets.token_urlsafe(nbytes))
    return True


def lasting_secret_key() -> str:
    """The secret key to derive a development secret that outlives this process from.

    SECRET_KEY, unless this process started before the checkout had its key file and signs with
    a key of its own (settings.ECASE_SECRET_KEY_EPHEMERAL): then the key file is made now, on
    first use, and its key returned — a secret derived from a per-process key would be lost
    with the process (the export signing key's passphrase, cases/export/signature.py).
    """
    from django.conf import settings

    if not settings.ECASE_SECRET_KEY_EPHEMERAL:
        return settings.SECRET_KEY
    path = settings.ECASE_SECRET_KEY_FILE
    assert path is not None, "a per-process key is only ever used where the key file is the fallback"
    make_secret(path)
    key = read_secret(path)
    assert key is not None
    return key


def wanted_dirs(settings) -> list[Path]:
    """The folders this configuration needs before it runs: var/, the static root, SQLite's, the broker's."""
    dirs = [Path(settings.VAR_DIR), Path(settings.STATIC_ROOT)]
    database = settings.DATABASES["default"]
    name = str(database.get("NAME") or "")
    if database["ENGINE"].endswith("sqlite3") and name and name != ":memory:" and not name.startswith("file:"):
        dirs.append(Path(name).parent)
    if settings.CELERY_BROKER_URL.startswith("filesystem:"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        dirs += [Path(options[k]) for k in ("data_folder_in", "data_folder_out", "processed_folder") if k in options]
    return list(dict.fromkeys(dirs))


def prepare(settings=None) -> list[Path]:
    """Make what is missing of the checkout's folders and its development secret key; the paths made."""
    if settings is None:
        from django.conf import settings
    made = []
    for directory in wanted_dirs(settings):
        if not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)
            made.append(directory)
    key_file = getattr(settings, "ECASE_SECRET_KEY_FILE", None)
    if key_file is not None and make_secret(Path(key_file)):
        made.append(Path(key_file))
    return made
