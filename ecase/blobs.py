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
import contextlib
import hashlib
import hmac
import io
import json
import os
import secrets
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from rehashes import PySha256

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


def _wrap(sha256: str, data_key: bytes, keys: list[tuple[str, bytes]], aad: bytes = _ENVELOPE_AAD) -> bytes:
    kid, master = keys[0]
    nonce = secrets.token_bytes(12)
    # The address is bound into the wrapping: an envelope copied onto another blob does not open.
    wrapped = AESGCM(master).encrypt(nonce, data_key, aad + sha256.encode())
    return json.dumps(
        {
            "format": ENVELOPE_FORMAT,
            "kid": kid,
            "nonce": base64.b64encode(nonce).decode(),
            "wrapped": base64.b64encode(wrapped).decode(),
        }
    ).encode()


def _unwrap(
    sha256: str, envelope: bytes, keys: list[tuple[str, bytes]], aad: bytes = _ENVELOPE_AAD
) -> tuple[str, bytes]:
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
        return kid, AESGCM(master).decrypt(nonce, wrapped, aad + sha256.encode())
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


# --- staged writes: one blob written in pieces, by any node (resumable uploads) -------------
#
# A tus upload (evidence/uploads.py) arrives in pieces, over hours, each piece perhaps at another
# web node; nothing may wait on one node's disk. So the pieces are sealed as they arrive, in the
# final body's own format (the segments of the blob-to-be, under its data key, with their final
# counters), and stored as *part* objects in the blob backend itself; the SHA-256 of the plaintext
# is carried from piece to piece as a serialised hash state (rehashes: a maintained hasher whose
# state can be saved, which hashlib's cannot). The caller persists the ``Stage`` (the database row
# of the upload) after every part; the last piece completes the hash, and ``stage_finish`` writes
# the body (header ‖ parts, copied in order without decrypting) and its envelope under the address.
#
#     uploads/<token>/<start>              a part: the segments from plaintext offset <start>
#     uploads/<token>/tail-<base>-<length> bytes after the last whole segment, kept until more arrive
#
# The hash state is saved only at segment boundaries (a multiple of 64 bytes), so it holds no
# buffered plaintext. A part's nonces are fixed by its offset: a part written but never recorded
# (the process stopped in between) is adopted as it is, never sealed again over other bytes.

_STAGE_KEY_AAD = b"ecase-blob-stage/1:"
_STAGE_TAIL_AAD = b"ecase-blob-tail/1:"
STAGE_PREFIX = "uploads/"


class StageConflict(BlobError):
    """The stage is not where the caller thought (another process moved it on, or its tail was lost)."""


@dataclass
class Stage:
    """Where a staged blob stands; persisted by the caller after every ``commit``."""

    token: str
    length: int
    key_envelope: bytes
    nonce_prefix: bytes
    segment: int
    sealed: int = 0  # plaintext bytes [0, sealed) are in parts
    tail: int = 0  # bytes [sealed, sealed + tail) are in the tail object
    hash_state: bytes = b""  # SHA-256 state after the first ``sealed`` bytes
    parts: list[int] = field(default_factory=list)

    @property
    def offset(self) -> int:
        return self.sealed + self.tail

    @property
    def complete(self) -> bool:
        return self.sealed == self.length


def _stage_token(token: str) -> str:
    if not token or not set(token) <= _HEX | {"-"}:
        raise BlobError(f"not a stage token: {token!r}")
    return token


def part_name(token: str, start: int) -> str:
    return f"{STAGE_PREFIX}{_stage_token(token)}/{start:015d}"


def _tail_name(token: str, base: int, length: int) -> str:
    return f"{STAGE_PREFIX}{_stage_token(token)}/tail-{base:015d}-{length}"


def stage_begin(token: str, length: int) -> Stage:
    """A new stage for ``length`` bytes, with a data key of its own wrapped by the current master key."""
    if length <= 0:
        raise BlobError("a staged blob has at least one byte")
    data_key = AESGCM.generate_key(256)
    return Stage(
        token=_stage_token(token),
        length=length,
        key_envelope=_wrap(token, data_key, master_keys(), _STAGE_KEY_AAD),
        nonce_prefix=secrets.token_bytes(7),
        segment=settings.ECASE_BLOB_SEGMENT_BYTES,
        hash_state=PySha256().serialize(),
    )


class _Sealer:
    def __init__(self, stage: Stage):
        self.stage = stage
        _kid, data_key = _unwrap(stage.token, stage.key_envelope, master_keys(), _STAGE_KEY_AAD)
        self.data_key = data_key
        self.aead = AESGCM(data_key)
        self.header = HEADER.pack(MAGIC, stage.nonce_prefix, stage.segment)
        # The tail is sealed under a key of its own (random nonces never meet the segments' counters).
        self.tail_aead = AESGCM(hmac.new(data_key, b"ecase-blob-tail", hashlib.sha256).digest())

    def seal(self, start: int, data: bytes) -> bytes:
        stage, out = self.stage, []
        for at in range(0, len(data), stage.segment):
            piece = data[at : at + stage.segment]
            position = start + at
            last = position + len(piece) == stage.length
            nonce = _segment_nonce(stage.nonce_prefix, position // stage.segment, last)
            out.append(self.aead.encrypt(nonce, piece, self.header))
        return b"".join(out)

    def open(self, start: int, sealed: bytes) -> bytes:
        stage, out, at, position = self.stage, [], 0, start
        while at < len(sealed):
            piece = sealed[at : at + stage.segment + TAG]
            last = position + len(piece) - TAG == stage.length
            nonce = _segment_nonce(stage.nonce_prefix, position // stage.segment, last)
            try:
                out.append(self.aead.decrypt(nonce, piece, self.header))
            except InvalidTag as error:
                raise BlobCorrupt(f"stage {stage.token}: the part at {start} fails its check") from error
            at += len(piece)
            position += len(piece) - TAG
        return b"".join(out)

    def tail_aad(self, base: int, length: int) -> bytes:
        return _STAGE_TAIL_AAD + f"{self.stage.token}:{base}:{length}".encode()


def _read_object(backend: Storage, name: str) -> bytes | None:
    try:
        stream = _open_body(backend, name)
        try:
            return stream.read()
        finally:
            stream.close()
    except FileNotFoundError:
        return None
    except Exception as error:
        if _is_not_found(error):
            return None
        raise


def stage_append(
    stage: Stage,
    stream: BinaryIO,
    *,
    count: int,
    commit: Callable[[Stage], None],
    inspect: Callable[[bytes], None] | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> int:
    """Read up to ``count`` bytes of ``stream`` as the bytes at ``stage.offset``; returns how many arrived.

    Whole parts (``ECASE_UPLOAD_PART_SEGMENTS`` segments) are sealed, stored and committed as they
    fill, so a connection cut mid-body keeps everything up to the last part; when the stream ends
    (or breaks) what arrived is kept too, the sub-segment rest as the tail. ``commit`` persists the
    stage and raises to stop (another process moved it on). ``inspect`` sees the first part's first
    bytes before anything of it is stored, and raises to refuse the blob (a wrong type).
    ``heartbeat`` is called after every chunk read (the caller renews its hold on the stage).
    """
    backend, sealer = storage(), _Sealer(stage)
    expected = stage.offset
    _adopt_orphans(stage, backend, sealer, commit)
    if stage.offset != expected:  # the bytes in hand were meant for the old offset: the sender must ask again
        raise StageConflict(f"stage {stage.token}: a stored part was taken in; resume at {stage.offset}")
    old_tail = _tail_name(stage.token, stage.sealed, stage.tail) if stage.tail else None
    buffer = bytearray()
    if old_tail is not None:
        kept = _read_object(backend, old_tail) or b""
        try:
            buffer += sealer.tail_aead.decrypt(kept[:12], kept[12:], sealer.tail_aad(stage.sealed, stage.tail))
        except (ValueError, InvalidTag):  # lost or not the recorded one: those bytes must be sent again
            stage.tail = 0
            commit(stage)
            raise StageConflict(f"stage {stage.token}: the kept tail is gone; resume at {stage.offset}") from None
    part_bytes = max(1, settings.ECASE_UPLOAD_PART_SEGMENTS) * stage.segment
    remaining, received = min(count, stage.length - stage.offset), 0
    while remaining > 0:
        try:
            chunk = stream.read(min(1024 * 1024, remaining))
        except Exception:  # the client went away mid-body (each server reports it its own way): keep what came
            chunk = b""
        if not chunk:
            break
        buffer += chunk
        received += len(chunk)
        remaining -= len(chunk)
        if heartbeat is not None:
            heartbeat()
        while len(buffer) >= part_bytes:
            _write_part(stage, backend, sealer, bytes(buffer[:part_bytes]), commit, inspect)
            del buffer[:part_bytes]
    if stage.sealed + len(buffer) == stage.length:
        whole = len(buffer)
    else:
        whole = len(buffer) // stage.segment * stage.segment
    if whole:
        _write_part(stage, backend, sealer, bytes(buffer[:whole]), commit, inspect)
        del buffer[:whole]
    new_tail = None
    if buffer:
        new_tail = _tail_name(stage.token, stage.sealed, len(buffer))
        nonce = secrets.token_bytes(12)
        sealed = nonce + sealer.tail_aead.encrypt(nonce, bytes(buffer), sealer.tail_aad(stage.sealed, len(buffer)))
        backend.save(new_tail, File(io.BytesIO(sealed)))
    stage.tail = len(buffer)
    commit(stage)
    if old_tail is not None and old_tail != new_tail:
        backend.delete(old_tail)
    return received


def _write_part(stage: Stage, backend: Storage, sealer: _Sealer, data: bytes, commit, inspect) -> None:
    if stage.sealed == 0 and inspect is not None:
        inspect(data[:65536])
    start = stage.sealed
    hasher = PySha256.deserialize(stage.hash_state)
    hasher.update(data)
    backend.save(part_name(stage.token, start), File(io.BytesIO(sealer.seal(start, data))))
    stage.sealed, stage.tail, stage.hash_state = start + len(data), 0, hasher.serialize()
    stage.parts.append(start)
    commit(stage)


def _adopt_orphans(stage: Stage, backend: Storage, sealer: _Sealer, commit) -> None:
    """Take in a part that was stored but never committed (its process stopped in between).

    Its segments carry this stage's nonces for its offsets; sealing other bytes there again would
    reuse them, which AES-GCM must never do. So it is checked, hashed and recorded as it is.
    """
    while stage.sealed < stage.length and stage.sealed not in stage.parts:
        sealed = _read_object(backend, part_name(stage.token, stage.sealed))
        if sealed is None:
            return
        plain = sealer.open(stage.sealed, sealed)
        hasher = PySha256.deserialize(stage.hash_state)
        hasher.update(plain)
        stage.parts.append(stage.sealed)
        stage.sealed, stage.tail, stage.hash_state = stage.sealed + len(plain), 0, hasher.serialize()
        commit(stage)


class _StagedBody(io.RawIOBase):
    """header ‖ every part's sealed segments, in order: the final body, copied without decrypting."""

    def __init__(self, backend: Storage, stage: Stage, header: bytes):
        self._backend, self._stage = backend, stage
        starts = sorted(stage.parts)
        if not starts or starts[0] != 0:
            raise BlobCorrupt(f"stage {stage.token}: no part at offset 0")
        ends = [*starts[1:], stage.length]
        self._pending = list(zip(starts, ends, strict=True))
        self._buffer, self._left = header, 0
        self._current: _Body | None = None

    def readable(self):
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            if self._current is not None:
                chunk = self._current.read(min(len(target), 1024 * 1024))
                if chunk:
                    self._left -= len(chunk)
                    if self._left < 0:
                        raise BlobCorrupt(f"stage {self._stage.token}: a part is longer than its place")
                    self._buffer = chunk
                    break
                self._current.close()
                if self._left:
                    raise BlobCorrupt(f"stage {self._stage.token}: a part is shorter than its place")
                self._current = None
            if not self._pending:
                return 0
            start, end = self._pending.pop(0)
            segments = -(-(end - start) // self._stage.segment)
            self._left = end - start + segments * TAG
            self._current = _open_body(self._backend, part_name(self._stage.token, start))
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


def stage_finish(stage: Stage) -> StoredBlob:
    """Store the complete stage as a blob under its address (once: identical bytes are stored once)."""
    if not stage.complete:
        raise BlobError(f"stage {stage.token}: {stage.sealed} of {stage.length} bytes sealed")
    sha256 = PySha256.deserialize(stage.hash_state).finalize()
    backend, sealer = storage(), _Sealer(stage)
    if not _exists(backend, sha256):
        body = io.BufferedReader(_StagedBody(backend, stage, sealer.header), buffer_size=1024 * 1024)
        backend.save(body_name(sha256), File(body))
        backend.save(key_name(sha256), File(io.BytesIO(_wrap(sha256, sealer.data_key, master_keys()))))
    return StoredBlob(sha256=sha256, size=stage.length)


def stage_discard(token: str) -> int:
    """Remove every object of a stage (finished, terminated or expired); returns how many."""
    backend = storage()
    names = [name for name, _modified in _iter_names(backend, f"{STAGE_PREFIX}{_stage_token(token)}/")]
    for name in names:
        backend.delete(name)
    if settings.ECASE_BLOB_STORAGE == "filesystem":
        with contextlib.suppress(OSError):
            os.rmdir(Path(settings.ECASE_PRIVATE_STORAGE) / STAGE_PREFIX / token)
    return len(names)
