"""manage.py encrypt_legacy_blobs: move files of the two stores before issue #19 into the encrypted blob store.

Before the blob store, evidence bytes lay in plain text at ``ECASE_PRIVATE_STORAGE/ab/cd/<sha256>``
and signed PDFs at ``ECASE_PRIVATE_STORAGE/acts/ab/cd/<sha256>``. Each such file is stored again
through ``ecase.blobs`` (encrypted, under the same address, which is checked), and the plain file
is removed only once the blob is durable. Run once after upgrading; running it again finds nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ecase import blobs

_ADDRESS = re.compile(r"[0-9a-f]{64}")


def legacy_files(root: Path) -> list[Path]:
    found = []
    for base in (root, root / "acts"):
        for path in base.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
            if (
                path.is_file()
                and _ADDRESS.fullmatch(path.name)
                and path.parts[-3:-1] == (path.name[:2], path.name[2:4])
            ):
                found.append(path)
    return sorted(found)


class Command(BaseCommand):
    help = "Encrypt the plain evidence files and signed PDFs of the stores before the blob store into it."

    def handle(self, *args, **options):
        moved = 0
        for path in legacy_files(Path(settings.ECASE_PRIVATE_STORAGE)):
            with open(path, "rb") as stream:
                blob = blobs.put(stream)
            if blob.sha256 != path.name:
                raise CommandError(f"{path} hashes to {blob.sha256}, not to its name: left in place, check it")
            os.chmod(path, 0o600)
            path.unlink()
            moved += 1
        self.stdout.write(f"encrypted {moved} legacy file(s) into the blob store")
