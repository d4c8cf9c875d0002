"""Evidence file bytes: what is about evidence — type from content, safe names, size limits.

The bytes go to the one blob store (ecase/blobs.py: content-addressed, encrypted, streamed in
chunks, never read whole into memory). Nothing there is reachable by URL: downloads go through
a view that checks the case permission.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

import filetype
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ecase import blobs

CHUNK = 1024 * 1024
SNIFF_BYTES = 8192

# Allowed content, by detected MIME type, with the name endings each may carry.
ALLOWED: dict[str, set[str]] = {
    "image/jpeg": {"jpg", "jpeg", "jpe"},
    "image/png": {"png"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "image/tiff": {"tif", "tiff"},
    "image/bmp": {"bmp"},
    "image/heic": {"heic", "heif"},
    "application/pdf": {"pdf"},
    "application/msword": {"doc"},
    "application/vnd.ms-excel": {"xls"},
    "application/vnd.ms-powerpoint": {"ppt"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {"pptx"},
    "application/vnd.oasis.opendocument.text": {"odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
    "application/rtf": {"rtf"},
    "audio/mpeg": {"mp3"},
    "audio/mp4": {"m4a"},
    "audio/ogg": {"ogg", "oga", "opus"},
    "audio/x-flac": {"flac"},
    "audio/x-wav": {"wav"},
    "audio/amr": {"amr"},
    "audio/aac": {"aac"},
    "video/mp4": {"mp4", "m4v"},
    "video/3gpp": {"3gp"},
    "video/x-matroska": {"mkv"},
    "video/quicktime": {"mov"},
    "video/x-msvideo": {"avi"},
    "video/webm": {"webm"},
    "video/mpeg": {"mpg", "mpeg"},
    "video/x-ms-wmv": {"wmv"},
    "application/zip": {"zip"},
    "application/x-7z-compressed": {"7z"},
    "application/x-rar-compressed": {"rar"},
    "application/gzip": {"gz", "tgz"},
    "application/x-tar": {"tar"},
    "text/plain": {"txt", "csv", "log"},
}
# Programs, whatever their name: the refusal says so in plain words (issue #16), not as a MIME code.
PROGRAMS = {
    "application/x-msdownload",
    "application/x-executable",
    "application/x-mach-binary",
    "application/x-sharedlib",
    "application/x-dosexec",
    "application/wasm",
    "application/x-deb",
    "application/x-rpm",
    "application/x-google-chrome-extension",
    "application/x-shockwave-flash",
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
# Unicode controls (C1), format characters (bidi overrides such as U+202E, zero-width), surrogates
# and line/paragraph separators: invisible or reordering in a displayed name.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def sanitise_name(name: str) -> str:
    """A display name with no path, no control characters and no leading dots; never empty."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join("\x00" if unicodedata.category(ch) in _INVISIBLE_CATEGORIES else ch for ch in name)  # → "_" below
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" ._")
    name = re.sub(r"\.{2,}", ".", name)
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "file"


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def detect_type(head: bytes, name: str) -> str:
    """The MIME type decided from the first bytes; the name's ending must agree with it."""
    kind = filetype.guess(head)
    ext = _extension(name)
    if kind is None:
        if ext in ALLOWED["text/plain"] and b"\x00" not in head and _is_utf8_prefix(head):
            return "text/plain"
        raise ValidationError(
            _(
                "This kind of file is not accepted: its content is not a known document, image, "
                "audio, video or archive."
            ),
            code="file_type",
        )
    mime = kind.mime
    if mime in PROGRAMS:
        raise ValidationError(_("This is a program file, not a document."), code="file_type")
    if mime not in ALLOWED:
        raise ValidationError(_("This file type is not accepted (%(type)s).") % {"type": mime}, code="file_type")
    if ext not in ALLOWED[mime]:
        raise ValidationError(
            _("The file's content (%(type)s) does not match its name “.%(ext)s”.") % {"type": mime, "ext": ext},
            code="file_mismatch",
        )
    return mime


def refuse_unaccepted_name(name: str) -> None:
    """Before any byte arrives: a name whose ending no accepted type carries is refused (the content decides later)."""
    ext = _extension(sanitise_name(name))
    if not any(ext in endings for endings in ALLOWED.values()):
        raise ValidationError(
            _(
                "This kind of file is not accepted: its content is not a known document, image, "
                "audio, video or archive."
            ),
            code="file_type",
        )


def _is_utf8_prefix(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a character cut at the sniffing boundary
    return True


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


class _Inspected:
    """Reads through to ``stream``, refusing past ``max_bytes`` and keeping the first bytes for typing."""

    def __init__(self, stream: BinaryIO, max_bytes: int):
        self._stream, self._max, self.size, self.head = stream, max_bytes, 0, b""

    def read(self, size: int = CHUNK) -> bytes:
        chunk = self._stream.read(min(size, CHUNK) if size and size > 0 else CHUNK)
        self.size += len(chunk)
        if self.size > self._max:  # stop reading at once: a 20 GB upload is not read to its end to be refused
            raise ValidationError(
                _("The file is larger than the limit of %(limit)s.") % {"limit": filesizeformat(self._max)},
                code="file_too_large",
            )
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        return chunk


def store_stream(stream: BinaryIO, *, name: str, max_bytes: int) -> StoredFile:
    """Validate and store ``stream`` in the blob store; refuse empty, oversized and mistyped files,
    leaving nothing behind (the checks run before the encrypted bytes reach the backend)."""
    inspected = _Inspected(stream, max_bytes)
    found: dict[str, str] = {}

    def validate(blob: blobs.StoredBlob) -> None:
        if blob.size == 0:
            raise ValidationError(_("The file is empty."), code="file_empty")
        found["content_type"] = detect_type(inspected.head, name)

    blob = blobs.put(inspected, validate=validate)
    return StoredFile(sha256=blob.sha256, size=blob.size, content_type=found["content_type"])
