"""Signed PDFs, content-addressed under ECASE_PRIVATE_STORAGE/acts/ and never served directly.

The bytes are written (fsynced, renamed into place) before the row naming their SHA-256
commits: a crash in between leaves an unreferenced file, never a row without its file.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def _root() -> Path:
    return Path(settings.ECASE_PRIVATE_STORAGE) / "acts"


def pdf_path(sha256: str) -> Path:
    return _root() / sha256[:2] / sha256[2:4] / sha256


def pdf_store(data: bytes) -> str:
    """Store ``data`` and return its SHA-256; storing the same bytes twice keeps one file."""
    sha = hashlib.sha256(data).hexdigest()
    final = pdf_path(sha)
    if final.exists():
        return sha
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o440)
        os.replace(tmp_name, final)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return sha


def pdf_read(sha256: str) -> bytes:
    return pdf_path(sha256).read_bytes()
