"""The one blob store: content-addressed, encrypted at rest, on Django's storage API (issue #19).

Evidence files, signed PDFs and everything the case-file export reads are stored here under the
SHA-256 of their *plaintext*. The backend (``ECASE_BLOB_STORAGE``: ``filesystem`` or ``s3``) only
ever sees ciphertext. Each blob is two objects (docs/STORAGE.md has the byte layout):

    blobs/ab/cd/<sha256>   the body: a header, then AES-256-GCM segments (STREAM construction)
    keys/ab/cd/<sha256>    the key envelope: the blob's data key wrapped by a master key

The envelope is separate so that rotating master keys rewrites a few hundred bytes per blob and
never the body (an S3 object cannot be edited in place). The envelope is written last: it is the
commit point, so ``exists`` is true only for a blob that is complete.

Writing streams in segments through an encrypted spool file (the name — the plaintext hash — is
known only at the end, and an object store wants the name before the bytes); the spool holds
ciphertext only, so plaintext never touches a disk. The filesystem backend fsyncs and renames
into place; both are done before the caller's row naming the blob commits.

This module knows no app: it is infrastructure (imports flow ``ecase`` ← apps are wired here).
"""

from __future__ import annotations

import base64
import binascii
import builtins
import hashlib
import io
import json
import os
import secrets
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage

if TYPE_CHECKING:
    from storages.backends.s3 import S3Storage

MAGIC = b"ECB1"
HEADER = struct.Struct(">4s7sI")  # magic, nonce prefix, segment size
TAG = 16
ENVELOPE_FORMAT = "ecase-blob-key/1"
_ENVELOPE_AAD = b"ecase-blob-key/1:"
_HEX = frozenset("0123456789abcdef")


class BlobError(Exception):
    """The store cannot do what was asked (a missing blob, a key it does not hold)."""


class BlobMissing(BlobError, FileNotFoundError):
    pass


class BlobCorrupt(BlobError, IOError):
    """A blob failed its integrity check: a segment's tag, its order or end, or the plaintext hash."""


class MasterKeyMissing(ImproperlyConfigured):
    pass


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


class Readable(Protocol):
    """What the store reads from: an open binary file, an upload, an object store's body, a filter."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Body(Readable, Protocol):
    def close(self) -> None: ...


# --- master keys -----------------------------------------------------------------------------


def _parse_keys(text: str, source: str) -> list[tuple[str, bytes]]:
    keys = []
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        kid, sep, encoded = part.partition(":")
        try:
            key = base64.urlsafe_b64decode(encoded.strip() + "==") if sep else b""
        except (binascii.Error, ValueError):
            key = b""
        if not kid.strip() or len(key) != 32:
            raise ImproperlyConfigured(
                f"{source}: each master key is 'id:<32 bytes, url-safe base64>', "
                f"separated by commas (bad entry {kid.strip() or part[:8]!r})"
            )
        keys.append((kid.strip(), key))
    return keys


def new_master_key_line(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip('=')}"


def master_keys() -> list[tuple[str, bytes]]:
    """The master keys, the first used for new blobs; from ECASE_BLOB_MASTER_KEYS or the dev key file.

    In development the key file under var/ is created on first use, like the secret key — but
    only while the store holds no blob: a missing key file next to existing blobs means they can
    no longer be read, and silently making a new key would hide that until someone needs them.
    """
    configured = getattr(settings, "ECASE_BLOB_MASTER_KEYS", "")
    if configured:
        keys = _parse_keys(configured, "ECASE_BLOB_MASTER_KEYS")
        if keys:
            return keys
    if getattr(settings, "PRODUCTION", False):
        raise MasterKeyMissing(
            "ECASE_BLOB_MASTER_KEYS is required when ECASE_ENV=production (see docs/STORAGE.md, 'Keys')"
        )
    path = Path(settings.ECASE_BLOB_MASTER_KEY_FILE)
    if path.exists():
        keys = _parse_keys(path.read_text(), str(path))
        if keys:
            return keys
    if any(True for _ in _iter_names(storage(), "keys/")):
        raise MasterKeyMissing(
            f"The blob master key file {path} is missing but the blob store holds encrypted blobs: they cannot be "
            "read without it. Restore the key file (or set ECASE_BLOB_MASTER_KEYS); a new key is not made while "
            "blobs exist."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return _parse_keys(path.read_text(), str(path))
    with os.fdopen(fd, "w") as stream:
        stream.write(new_master_key_line("dev1") + "\n")
        stream.flush()
        os.fsync(stream.fileno())
    return _parse_keys(path.read_text(), str(path))


def _wrap(sha256: str, data_key: bytes, keys: list[tuple[str, bytes]]) -> bytes:
    kid, master = keys[0]
    nonce = secrets.token_bytes(12)
    # The address is bound into the wrapping: an envelope copied onto another blob does not open.
    wrapped = AESGCM(master).encrypt(nonce, data_key, _ENVELOPE_AAD + sha256.encode())
    return json.dumps(
        {
            "format": ENVELOPE_FORMAT,
            "kid": kid,
            "nonce": base64.b64encode(nonce).decode(),
            "wrapped": base64.b64encode(wrapped).decode(),
        }
    ).encode()


def _unwrap(sha256: str, envelope: bytes, keys: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    try:
        doc = json.loads(envelope)
        kid, nonce, wrapped = doc["kid"], base64.b64decode(doc["nonce"]), base64.b64decode(doc["wrapped"])
    except (ValueError, KeyError, TypeError) as error:
        raise BlobCorrupt(f"blob {sha256}: unreadable key envelope") from error
    master = dict(keys).get(kid)
    if master is None:
        raise MasterKeyMissing(
            f"blob {sha256} is wrapped with master key {kid!r}, which is not configured "
            f"(configured: {', '.join(k for k, _ in keys)})"
        )
    try:
        return kid, AESGCM(master).decrypt(nonce, wrapped, _ENVELOPE_AAD + sha256.encode())
    except InvalidTag as error:
        raise BlobCorrupt(f"blob {sha256}: the key envelope does not open with master key {kid!r}") from error


# --- backends --------------------------------------------------------------------------------


class DurableFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that fsyncs and renames into place; a name is replaced, never suffixed.

    Content-addressed names mean the same name is the same content, and a key envelope is
    rewritten in place by rotation; Django's default would write ``name_abc123`` instead.
    """

    def get_available_name(self, name, max_length=None):
        return name

    def _save(self, name, content):
        final = Path(self.path(name))
        final.parent.mkdir(parents=True, exist_ok=True)
        spooled = getattr(content, "temporary_file_path", None)
        if spooled is not None and os.stat(spooled()).st_dev == os.stat(final.parent).st_dev:
            tmp_name = spooled()  # already written and fsynced by the caller: a rename suffices
        else:
            fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as tmp:
                for chunk in content.chunks():
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o440)
        os.replace(tmp_name, final)
        _fsync_dir(final.parent)
        return name


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_storages: dict[tuple, Storage] = {}


def storage() -> Storage:
    """The configured backend; settings are read on each call so tests may point it elsewhere."""
    backend = settings.ECASE_BLOB_STORAGE
    cache_key: tuple
    if backend == "filesystem":
        cache_key = (backend, str(settings.ECASE_PRIVATE_STORAGE))
        if cache_key not in _storages:
            _storages[cache_key] = DurableFileSystemStorage(
                location=settings.ECASE_PRIVATE_STORAGE, file_permissions_mode=0o440
            )
    elif backend == "s3":
        options = dict(settings.ECASE_BLOB_S3)
        cache_key = (backend, tuple(sorted(options.items())))
        if cache_key not in _storages:
            from storages.backends.s3 import S3Storage

            _storages[cache_key] = S3Storage(
                **{
                    "addressing_style": "path",
                    "signature_version": "s3v4",
                    "file_overwrite": True,
                    "default_acl": None,
                    "querystring_auth": False,
                    **options,
                }
            )
    else:
        raise ImproperlyConfigured(f"ECASE_BLOB_STORAGE must be 'filesystem' or 's3', not {backend!r}")
    return _storages[cache_key]


def body_name(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def key_name(sha256: str) -> str:
    return f"keys/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _check_address(sha256: str) -> str:
    if len(sha256) != 64 or not set(sha256) <= _HEX:
        raise BlobMissing(f"not a blob address: {sha256!r}")
    return sha256


def _s3(backend: Storage) -> S3Storage:
    """``backend`` as what it is when ``ECASE_BLOB_STORAGE`` is "s3" (see ``storage``)."""
    from storages.backends.s3 import S3Storage

    assert isinstance(backend, S3Storage)
    return backend


def _iter_names(backend: Storage, prefix: str) -> Iterator[tuple[str, datetime]]:
    """(name, last modified) of every object under ``prefix``; a bucket is listed flat, not per folder."""
    bucket = getattr(backend, "bucket", None) if settings.ECASE_BLOB_STORAGE == "s3" else None
    if bucket is not None:
        location = _s3(backend).location
        base = location.strip("/") + "/" if location else ""
        for obj in bucket.objects.filter(Prefix=base + prefix):
            yield obj.key[len(base) :], obj.last_modified
        return
    assert isinstance(backend, FileSystemStorage)  # the one other backend ``storage`` makes
    root = Path(backend.location)
    for dirpath, _dirs, filenames in os.walk(root / prefix):
        for filename in filenames:
            if filename.startswith(".tmp-"):
                continue
            path = Path(dirpath) / filename
            yield (path.relative_to(root).as_posix(), datetime.fromtimestamp(path.stat().st_mtime, tz=UTC))


# --- writing ---------------------------------------------------------------------------------


def _segment_nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    # STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015): 7-byte prefix ‖ 32-bit counter ‖ last-flag.
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def _read_full(stream: Readable, size: int) -> bytes:
    """Up to ``size`` bytes; fewer only at the end (a stream may return short reads)."""
    parts, wanted = [], size
    while wanted:
        chunk = stream.read(wanted)
        if not chunk:
            break
        parts.append(chunk)
        wanted -= len(chunk)
    return b"".join(parts)


def put(stream: Readable, *, validate: Callable[[StoredBlob], None] | None = None) -> StoredBlob:
    """Encrypt and store ``stream``; return its address. Reads it once, one segment at a time.

    ``validate`` is called once the whole stream was read and before anything reaches the
    backend: what it raises leaves nothing stored (evidence checks type and size there).
    """
    keys = master_keys()
    segment = settings.ECASE_BLOB_SEGMENT_BYTES
    spool_dir = Path(settings.ECASE_PRIVATE_STORAGE) / "tmp"
    spool_dir.mkdir(parents=True, exist_ok=True)
    data_key, prefix = AESGCM.generate_key(256), secrets.token_bytes(7)
    aead, header = AESGCM(data_key), HEADER.pack(MAGIC, prefix, segment)
    digest, size, counter = hashlib.sha256(), 0, 0
    fd, spool_name = tempfile.mkstemp(dir=spool_dir, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as spool:
            spool.write(header)
            current = _read_full(stream, segment)
            while True:
                following = _read_full(stream, segment) if len(current) == segment else b""
                last = not following
                digest.update(current)
                size += len(current)
                spool.write(aead.encrypt(_segment_nonce(prefix, counter, last), current, header))
                if last:
                    break
                counter, current = counter + 1, following
            spool.flush()
            os.fsync(spool.fileno())
        blob = StoredBlob(sha256=digest.hexdigest(), size=size)
        if validate is not None:
            validate(blob)
        backend = storage()
        if not _exists(backend, blob.sha256):  # identical content is stored once
            with builtins.open(spool_name, "rb") as body:
                backend.save(body_name(blob.sha256), _SpooledFile(body, spool_name))
            backend.save(key_name(blob.sha256), File(io.BytesIO(_wrap(blob.sha256, data_key, keys))))
        return blob
    finally:
        if os.path.exists(spool_name):
            os.unlink(spool_name)


class _SpooledFile(File):
    """The spool, written and fsynced already: its path lets the filesystem backend rename it into place."""

    def __init__(self, file: BinaryIO, path: str):
        super().__init__(file)
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path


def put_bytes(data: bytes) -> StoredBlob:
    return put(io.BytesIO(data))


def _exists(backend: Storage, sha256: str) -> bool:
    return backend.exists(key_name(sha256)) and backend.exists(body_name(sha256))


def exists(sha256: str) -> bool:
    return _exists(storage(), _check_address(sha256))


# --- reading ---------------------------------------------------------------------------------


class BlobReader(io.RawIOBase):
    """The plaintext of one blob, decrypted a segment at a time.

    Every segment's tag is checked before its bytes are handed out; the last segment must carry
    the last-flag (truncation at a segment boundary fails) and nothing may follow it; at the end
    the plaintext's SHA-256 must equal the address. Any failure raises :class:`BlobCorrupt`.
    """

    def __init__(self, sha256: str, body: _Body, data_key: bytes):
        self.sha256, self._body = sha256, body
        head = _read_full(body, HEADER.size)
        try:
            magic, self._prefix, self._segment = HEADER.unpack(head)
        except struct.error as error:
            raise BlobCorrupt(f"blob {sha256}: no header") from error
        if magic != MAGIC or not 0 < self._segment <= 64 * 1024 * 1024:
            raise BlobCorrupt(f"blob {sha256}: not an ecase blob (format {magic!r})")
        self._header, self._aead = head, AESGCM(data_key)
        self._counter, self._digest, self._buffer, self._done = 0, hashlib.sha256(), b"", False
        self._pending = _read_full(body, self._segment + TAG)
        self.size = 0

    def readable(self):
        return True

    def _next_segment(self) -> bytes:
        current = self._pending
        self._pending = _read_full(self._body, self._segment + TAG) if len(current) == self._segment + TAG else b""
        last = not self._pending
        try:
            plain = self._aead.decrypt(_segment_nonce(self._prefix, self._counter, last), current, self._header)
        except InvalidTag as error:
            raise BlobCorrupt(
                f"blob {self.sha256}: segment {self._counter} fails its check (altered, reordered or truncated)"
            ) from error
        self._counter += 1
        self._digest.update(plain)
        self.size += len(plain)
        if last:
            self._done = True
            if self._digest.hexdigest() != self.sha256:
                raise BlobCorrupt(f"blob {self.sha256}: the plaintext hashes to {self._digest.hexdigest()}")
        return plain

    def readinto(self, target) -> int:
        while not self._buffer and not self._done:
            self._buffer = self._next_segment()
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def close(self):
        if not self.closed:
            self._body.close()
        super().close()


def open(sha256: str) -> BinaryIO:
    """A buffered readable stream of the blob's plaintext (see :class:`BlobReader` for the checks)."""
    _check_address(sha256)
    keys = master_keys()
    backend = storage()
    try:
        envelope = backend.open(key_name(sha256), "rb").read()
        body = _open_body(backend, body_name(sha256))
    except (FileNotFoundError, OSError) as error:
        raise BlobMissing(f"blob {sha256} is not in the store") from error
    except Exception as error:  # botocore reports a missing key as ClientError (404)
        if _is_not_found(error):
            raise BlobMissing(f"blob {sha256} is not in the store") from error
        raise
    _kid, data_key = _unwrap(sha256, envelope, keys)
    return io.BufferedReader(BlobReader(sha256, body, data_key), buffer_size=settings.ECASE_BLOB_SEGMENT_BYTES)


def _open_body(backend: Storage, name: str) -> _Body:
    if settings.ECASE_BLOB_STORAGE == "s3":
        # S3Storage.open downloads the whole object to a temporary file before the first byte is
        # read; a 20 GB video would wait for (and fill a disk with) all of it. get_object streams.
        s3 = _s3(backend)
        return s3.connection.meta.client.get_object(Bucket=s3.bucket_name, Key=s3._normalize_name(name))["Body"]
    return backend.open(name, "rb")


def _is_not_found(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404 or response.get("Error", {}).get(
        "Code"
    ) in {"404", "NoSuchKey"}


def read_bytes(sha256: str) -> bytes:
    """The whole plaintext: only for small blobs (signed PDFs), never for evidence."""
    with open(sha256) as stream:
        return stream.read()


def chunks(sha256: str, size: int = 1024 * 1024) -> Iterator[bytes]:
    with open(sha256) as stream:
        while chunk := stream.read(size):
            yield chunk


# --- maintenance -----------------------------------------------------------------------------


def iter_blobs() -> Iterator[tuple[str, datetime]]:
    """(address, stored at) of every blob whose key envelope exists, and of bodies without one."""
    backend = storage()
    seen: dict[str, datetime] = {}
    for prefix in ("keys/", "blobs/"):
        for name, modified in _iter_names(backend, prefix):
            sha = name.rsplit("/", 1)[-1]
            if len(sha) == 64 and set(sha) <= _HEX:
                seen[sha] = max(seen.get(sha, modified), modified)
    return iter(sorted(seen.items()))


def delete(sha256: str) -> None:
    """Remove a blob. Only for orphans (no row names it): nothing of a case is ever deleted."""
    backend = storage()
    _check_address(sha256)
    backend.delete(key_name(sha256))  # the commit point goes first: a half-deleted blob no longer "exists"
    backend.delete(body_name(sha256))


def rotate(*, dry_run: bool = False) -> dict[str, int]:
    """Re-wrap every data key not under the first master key with it; bodies are not touched."""
    keys = master_keys()
    current = keys[0][0]
    backend = storage()
    counts = {"rewrapped": 0, "current": 0}
    for name, _modified in list(_iter_names(backend, "keys/")):
        sha = name.rsplit("/", 1)[-1]
        with backend.open(name, "rb") as stream:
            envelope = stream.read()
        kid, data_key = _unwrap(sha, envelope, keys)
        if kid == current:
            counts["current"] += 1
            continue
        if not dry_run:
            backend.save(name, File(io.BytesIO(_wrap(sha, data_key, keys))))
        counts["rewrapped"] += 1
    return counts
