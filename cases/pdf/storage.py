"""Signed PDFs in the one blob store (ecase/blobs.py): a thin wrapper kept for its callers' words.

The bytes are written (encrypted, fsynced on the filesystem backend) before the row naming their
SHA-256 commits: a crash in between leaves an unreferenced blob (``blob_orphans`` finds it), never
a row without its file.
"""

from __future__ import annotations

from ecase import blobs


def pdf_store(data: bytes) -> str:
    """Store ``data`` and return its SHA-256; storing the same bytes twice keeps one blob."""
    return blobs.put_bytes(data).sha256


def pdf_read(sha256: str) -> bytes:
    return blobs.read_bytes(sha256)
