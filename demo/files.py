"""Small real files for demo evidence, made at run time (no binary file lives in the repository)."""

from __future__ import annotations

import io
import struct
import zlib


def png_bytes(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    """An RGB PNG (a colour gradient with a grid) built with zlib and struct only."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type 0 for every scanline
        for x in range(width):
            grid = (x % 16 == 0) or (y % 16 == 0)
            r, g, b = (
                (40, 40, 40) if grid else ((x * 255 // width + seed * 37) % 256, y * 255 // height, (seed * 91) % 256)
            )
            row += bytes((r, g, b))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(title: str, lines: list[str]) -> bytes:
    """A one-page PDF (reportlab) with a title and lines of text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from cases.pdf.fonts import REGULAR, register_fonts

    register_fonts()  # PT Sans ships with the app: Cyrillic and Kazakh letters
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    width, height = A4
    y = height - 72
    for i, text in enumerate([title, ""] + lines):
        pdf.setFont(REGULAR, 14 if i == 0 else 11)
        pdf.drawString(56, y, text)
        y -= 20 if i == 0 else 15
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def txt_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")
