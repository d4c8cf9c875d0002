"""encrypt_legacy_blobs: the plain files of the stores before issue #19 become encrypted blobs."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ecase import blobs


def legacy(root, data: bytes, *, acts: bool = False, name: str | None = None):
    sha = name or hashlib.sha256(data).hexdigest()
    path = (root / "acts" if acts else root) / sha[:2] / sha[2:4] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o440)
    return sha, path


def test_plain_files_become_blobs_and_leave_no_plain_copy(backend, settings):
    root = settings.ECASE_PRIVATE_STORAGE
    evidence, evidence_path = legacy(root, b"plain evidence bytes " * 100)
    pdf, pdf_path = legacy(root, b"%PDF-1.7 signed act", acts=True)
    out = io.StringIO()
    call_command("encrypt_legacy_blobs", stdout=out)
    assert "encrypted 2 legacy file(s)" in out.getvalue()
    assert not evidence_path.exists() and not pdf_path.exists()
    assert blobs.read_bytes(evidence) == b"plain evidence bytes " * 100
    assert blobs.read_bytes(pdf) == b"%PDF-1.7 signed act"
    call_command("encrypt_legacy_blobs", stdout=out)
    assert out.getvalue().endswith("encrypted 0 legacy file(s) into the blob store\n")


def test_a_file_whose_bytes_do_not_match_its_name_is_left_in_place(backend, settings):
    _sha, path = legacy(settings.ECASE_PRIVATE_STORAGE, b"altered", name="ab" * 32)
    with pytest.raises(CommandError, match="hashes to"):
        call_command("encrypt_legacy_blobs", stdout=io.StringIO())
    assert path.read_bytes() == b"altered"
