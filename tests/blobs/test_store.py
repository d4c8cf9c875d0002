"""The blob store (ecase/blobs.py) on both backends: round trips, encryption at rest, integrity, keys."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from ecase import blobs

MIB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ShortReads(io.RawIOBase):
    """A stream that hands out at most 1000 bytes per read, as a socket may."""

    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)
        self.largest = 0

    def readable(self):
        return True

    def readinto(self, target):
        self.largest = max(self.largest, len(target))
        chunk = self._inner.read(min(len(target), 1000))
        target[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("size", [0, 1, MIB - 1, MIB, MIB + 1, 5 * MIB])
def test_round_trip_keeps_bytes_and_address(backend, size):
    data = os.urandom(size)
    blob = blobs.put(io.BytesIO(data))
    assert (blob.sha256, blob.size) == (sha(data), size)
    assert blobs.exists(blob.sha256)
    with blobs.open(blob.sha256) as stream:
        back = b"".join(iter(lambda: stream.read(300_000), b""))
    assert sha(back) == blob.sha256 and back == data
    assert backend.names() == [blobs.body_name(blob.sha256), blobs.key_name(blob.sha256)]


def test_a_stream_of_short_reads_is_stored_whole(backend):
    data = os.urandom(MIB + 12345)
    source = ShortReads(data)
    blob = blobs.put(source)
    assert blob.sha256 == sha(data) and blobs.read_bytes(blob.sha256) == data
    assert source.largest <= MIB  # read a segment at a time, never the whole stream


def test_identical_content_is_stored_once(backend):
    data = os.urandom(3000)
    first, second = blobs.put_bytes(data), blobs.put_bytes(data)
    assert first == second
    assert len(backend.names()) == 2


def test_no_stored_object_contains_the_plaintext_nor_its_first_4_kb(backend):
    # Text that compresses and repeats, so any plain copy would be found.
    data = ("Протокол допроса свидетеля. " * 200_000).encode()[: 5 * MIB + 7]
    blob = blobs.put_bytes(data)
    raw = {name: backend.read(name) for name in backend.names()}
    assert set(raw) == {blobs.body_name(blob.sha256), blobs.key_name(blob.sha256)}
    for name, stored in raw.items():
        assert data[:4096] not in stored, name
        assert data[1000:1064] not in stored, name
    assert len(raw[blobs.body_name(blob.sha256)]) == len(data) + 15 + 16 * 6  # header + one tag per segment


def test_a_failed_validation_stores_nothing(backend):
    def refuse(blob):
        raise ValueError("no")

    with pytest.raises(ValueError):
        blobs.put(io.BytesIO(b"x" * 5000), validate=refuse)
    assert backend.names() == []
    assert not any(backend.root.joinpath("tmp").iterdir())


def segments(raw: bytes) -> tuple[bytes, list[bytes]]:
    size = blobs.HEADER.size
    body = raw[size:]
    step = MIB + blobs.TAG
    return raw[:size], [body[i : i + step] for i in range(0, len(body), step)]


def read_all(address: str) -> bytes:
    with blobs.open(address) as stream:
        return stream.read()


def test_truncation_at_a_segment_boundary_is_detected(backend):
    data = os.urandom(3 * MIB)
    blob = blobs.put_bytes(data)
    name = blobs.body_name(blob.sha256)
    header, parts = segments(backend.read(name))
    assert len(parts) == 3
    backend.write(name, header + b"".join(parts[:2]))
    with pytest.raises(blobs.BlobCorrupt, match="segment 1"):
        read_all(blob.sha256)


def test_truncation_inside_a_segment_and_appended_bytes_are_detected(backend):
    blob = blobs.put_bytes(os.urandom(2 * MIB))
    name = blobs.body_name(blob.sha256)
    raw = backend.read(name)
    backend.write(name, raw[:-10])
    with pytest.raises(blobs.BlobCorrupt):
        read_all(blob.sha256)
    backend.write(name, raw + raw[-(MIB + blobs.TAG) :])
    with pytest.raises(blobs.BlobCorrupt):
        read_all(blob.sha256)


def test_reordered_segments_are_detected(backend):
    blob = blobs.put_bytes(os.urandom(3 * MIB + 5))
    name = blobs.body_name(blob.sha256)
    header, parts = segments(backend.read(name))
    backend.write(name, header + parts[1] + parts[0] + parts[2] + parts[3])
    with pytest.raises(blobs.BlobCorrupt, match="segment 0"):
        read_all(blob.sha256)


@pytest.mark.parametrize("offset", [5, blobs.HEADER.size + 10, -3])  # the nonce prefix, a body byte, a tag byte
def test_a_flipped_byte_is_detected(backend, offset):
    blob = blobs.put_bytes(os.urandom(MIB + 100))
    name = blobs.body_name(blob.sha256)
    raw = bytearray(backend.read(name))
    raw[offset] ^= 0x01
    backend.write(name, bytes(raw))
    with pytest.raises(blobs.BlobCorrupt):
        read_all(blob.sha256)


def test_a_body_under_another_address_is_refused(backend):
    """Bodies and envelopes swapped between two addresses: the hash check or the envelope binding fails."""
    one, two = blobs.put_bytes(b"one" * 1000), blobs.put_bytes(b"two" * 1000)
    backend.write(blobs.body_name(two.sha256), backend.read(blobs.body_name(one.sha256)))
    with pytest.raises(blobs.BlobCorrupt):
        read_all(two.sha256)
    backend.write(blobs.key_name(two.sha256), backend.read(blobs.key_name(one.sha256)))
    with pytest.raises(blobs.BlobCorrupt, match="key envelope"):
        read_all(two.sha256)


def test_a_missing_blob_is_reported_as_missing(backend):
    with pytest.raises(blobs.BlobMissing):
        blobs.open("0" * 64)
    with pytest.raises(blobs.BlobMissing):
        blobs.open("../../etc/passwd")
    assert not blobs.exists("0" * 64)


def test_rotation_rewraps_keys_and_leaves_bodies_unchanged(backend, settings):
    old_key = settings.ECASE_BLOB_MASTER_KEYS
    stored = [blobs.put_bytes(os.urandom(n)) for n in (10, MIB + 1)]
    bodies = {b.sha256: backend.read(blobs.body_name(b.sha256)) for b in stored}
    envelopes = {b.sha256: backend.read(blobs.key_name(b.sha256)) for b in stored}
    new_key = blobs.new_master_key_line("k2")

    settings.ECASE_BLOB_MASTER_KEYS = new_key  # before rotation the new key alone opens nothing
    with pytest.raises(ImproperlyConfigured, match="'k1'"):
        blobs.open(stored[0].sha256)

    settings.ECASE_BLOB_MASTER_KEYS = f"{new_key},{old_key}"
    assert blobs.rotate() == {"rewrapped": 2, "current": 0}
    assert blobs.rotate() == {"rewrapped": 0, "current": 2}

    settings.ECASE_BLOB_MASTER_KEYS = new_key
    for blob in stored:
        assert backend.read(blobs.body_name(blob.sha256)) == bodies[blob.sha256]
        assert backend.read(blobs.key_name(blob.sha256)) != envelopes[blob.sha256]
        assert sha(read_all(blob.sha256)) == blob.sha256


def test_a_missing_master_key_file_is_not_replaced_while_blobs_exist(backend, settings, tmp_path):
    settings.ECASE_BLOB_MASTER_KEYS = ""
    settings.ECASE_BLOB_MASTER_KEY_FILE = tmp_path / "var" / "blob_master_keys"
    blob = blobs.put_bytes(b"first blob, made with a fresh development key")  # first use: the key file is made
    assert settings.ECASE_BLOB_MASTER_KEY_FILE.stat().st_mode & 0o077 == 0
    assert blobs.read_bytes(blob.sha256).startswith(b"first blob")

    settings.ECASE_BLOB_MASTER_KEY_FILE.unlink()
    for attempt in (lambda: blobs.put_bytes(b"second"), lambda: blobs.open(blob.sha256)):
        with pytest.raises(blobs.MasterKeyMissing, match="missing but the blob store holds encrypted blobs"):
            attempt()
    assert not settings.ECASE_BLOB_MASTER_KEY_FILE.exists()


def test_production_refuses_to_work_without_master_keys(settings, tmp_path):
    settings.ECASE_BLOB_STORAGE, settings.ECASE_PRIVATE_STORAGE = "filesystem", tmp_path
    settings.ECASE_BLOB_MASTER_KEYS, settings.PRODUCTION = "", True
    with pytest.raises(blobs.MasterKeyMissing, match="ECASE_BLOB_MASTER_KEYS is required"):
        blobs.put_bytes(b"x")


@pytest.mark.parametrize("value", ["k1", "k1:c2hvcnQ", ":" + "A" * 43])
def test_a_malformed_master_key_is_refused_clearly(settings, tmp_path, value):
    settings.ECASE_BLOB_STORAGE, settings.ECASE_PRIVATE_STORAGE = "filesystem", tmp_path
    settings.ECASE_BLOB_MASTER_KEYS = value
    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        blobs.put_bytes(b"x")
