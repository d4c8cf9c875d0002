"""Builders shared by the evidence tests: items through the service, real file bytes, the storage tree."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from evidence.choices import EvidenceKind
from evidence.services import evidence_add


def add_item(case, actor, **fields):
    """An evidence item entered through the service, with plausible defaults."""
    values = {
        "kind": EvidenceKind.PHYSICAL,
        "description": "Мобильный телефон Samsung Galaxy A52, чёрный, IMEI 356789104512345",
        "seized_at": timezone.now() - timedelta(hours=3),
        "seized_place": "г. Астана, ул. Кенесары, 40, кв. 12",
    }
    values.update(fields)
    return evidence_add(case_id=case.pk, actor=actor, **values)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width: int = 1, height: int = 1, shade: int = 0) -> bytes:
    """A real, decodable greyscale PNG of ``width`` × ``height`` pixels, all of ``shade``."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def padded_png(total_size: int) -> bytes:
    """A valid PNG followed by filler, exactly ``total_size`` bytes long."""
    image = png_bytes()
    assert total_size >= len(image)
    return image + b"\x00" * (total_size - len(image))


def pdf_bytes(text: str = "Протокол осмотра места происшествия") -> bytes:
    """A real one-page PDF rendered by reportlab in memory."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text.encode("ascii", "replace").decode())
    page.showPage()
    page.save()
    return buffer.getvalue()


def storage_tree(root: Path) -> tuple[list[Path], list[Path]]:
    """(files, non-empty-tmp directories) under the storage root, relative to it."""
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    dirs = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_dir() and p.relative_to(root) != Path("tmp"))
    return files, dirs


class CountingStream:
    """A binary stream that records how it is read."""

    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)
        self.calls = 0
        self.largest_request = 0
        self.unbounded_reads = 0

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if size is None or size < 0:
            self.unbounded_reads += 1
        else:
            self.largest_request = max(self.largest_request, size)
        return self._inner.read(size)
