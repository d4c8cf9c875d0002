"""Small real files for demo evidence, made at run time (no binary file lives in the repository)."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from django.conf import settings

FONT_CANDIDATES = ("PTSans-Regular.ttf", "PT_Sans-Web-Regular.ttf", "DejaVuSans.ttf", "NotoSans-Regular.ttf")
SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))


def png_bytes(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    """An RGB PNG (a colour gradient with a grid) built with zlib and struct only."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type 0 for every scanline
        for x in range(width):
            grid = (x % 16 == 0) or (y % 16 == 0)
            r, g, b = (40, 40, 40) if grid else ((x * 255 // width + seed * 37) % 256, y * 255 // height, (seed * 91) % 256)
            row += bytes((r, g, b))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _cyrillic_font() -> str | None:
    """Register a TTF with Cyrillic and Kazakh letters for reportlab; None when none is installed."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    dirs = [Path(p) for p in getattr(settings, "STATICFILES_DIRS", [])]
    dirs = [d / "fonts" for d in dirs] + list(SYSTEM_FONT_DIRS)
    for directory in dirs:
        for name in FONT_CANDIDATES:
            path = directory / name
            if path.is_file():
                try:
                    pdfmetrics.registerFont(TTFont("DemoSans", str(path)))
                except Exception:  # a broken font file: try the next one
                    continue
                return "DemoSans"
    return None


def pdf_bytes(title: str, lines: list[str]) -> bytes:
    """A one-page PDF (reportlab) with a title and lines of text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _cyrillic_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title if font else "Demo document")
    width, height = A4
    y = height - 72
    for i, text in enumerate([title, ""] + lines):
        if not font:  # the standard fonts have no Cyrillic: say so rather than print boxes
            text = text.encode("ascii", "replace").decode() if text.isascii() else "(Cyrillic font not installed)"
        pdf.setFont(font or "Helvetica", 14 if i == 0 else 11)
        pdf.drawString(56, y, text)
        y -= 20 if i == 0 else 15
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def txt_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")
