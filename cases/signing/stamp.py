"""The visible signature: the signer's stamp, drawn into their role's block of the act.

pyHanko's own text stamps need fontTools and HarfBuzz to print Cyrillic and Kazakh letters;
reportlab already embeds PT Sans in every act (cases/pdf/fonts.py). So the stamp is a one-page
PDF the size of the role's frame, drawn by reportlab, and imported by pyHanko as the signature
widget's appearance (a form XObject): the letters come with their ToUnicode map, so a reader
can search and copy them like the act's own text.

The stamp prints the signer's name and position, the signing time (the configured zone,
Asia/Almaty) and the SHA-256 of the bytes being signed: the PDF as it was before this
signature, so a reader can match each signature to the revision it approved.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.html import escape
from pyhanko.pdf_utils import content, layout
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import Paragraph

from ..pdf.fonts import REGULAR, register_fonts
from ..pdf.layout import layout_labels

PADDING = 4.0
FONT_SIZE = 8.5
LEADING = 10.5


@dataclass(frozen=True)
class StampText:
    name: str
    position: str
    signed_at: datetime
    document_sha256: str  # hex, of the PDF before this signature
    language: str

    def lines(self) -> tuple[str, str]:
        labels = layout_labels(self.language)["stamp"]
        moment = timezone.localtime(self.signed_at).strftime("%d.%m.%Y %H:%M")
        return labels["signed_at"].format(moment=moment), labels["hash"].format(sha256=self.document_sha256)


def stamp_pdf(text: StampText, *, width: float, height: float) -> bytes:
    """A one-page PDF, ``width`` × ``height`` points, with the stamp's text top-down."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = pdfcanvas.Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    inner = width - 2 * PADDING
    y = height - PADDING
    # One face only: each embedded subset of PT Sans costs some 35 KB, in every signature.
    for words, size in ((text.name, FONT_SIZE + 1), (text.position, FONT_SIZE)):
        if not words:
            continue
        style = ParagraphStyle("stamp", fontName=REGULAR, fontSize=size, leading=LEADING, alignment=TA_LEFT)
        paragraph = Paragraph(escape(words), style)
        _w, used = paragraph.wrap(inner, y)
        paragraph.drawOn(canvas, PADDING, y - used)
        y -= used
    moment, digest = text.lines()
    canvas.setFont(REGULAR, FONT_SIZE)
    y -= LEADING
    canvas.drawString(PADDING, y + 2, moment)
    # The whole digest on one line: shrink the type rather than cut the hash a reader compares.
    size = min(FONT_SIZE, FONT_SIZE * inner / stringWidth(digest, REGULAR, FONT_SIZE))
    canvas.setFont(REGULAR, size)
    y -= LEADING
    canvas.drawString(PADDING, y + 2, digest)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _ImportedStamp(content.PdfContent):
    """A PDF page held in memory, imported into the signed document as a form XObject."""

    def __init__(self, data: bytes, width: float, height: float):
        super().__init__(box=layout.BoxConstraints(width=width, height=height))
        self.data = data

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.data)), page_ix=0)
        self.resources.xobject["/Stamp"] = xobject
        return b"/Stamp Do"


def stamp_style(text: StampText, *, width: float, height: float) -> StaticStampStyle:
    """pyHanko's appearance for the signature widget: the stamp, unscaled, no border of its own."""
    return StaticStampStyle(
        background=_ImportedStamp(stamp_pdf(text, width=width, height=height), width, height),
        background_opacity=1.0,
        border_width=0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(),
            inner_content_scaling=layout.InnerScaling.NO_SCALING,
        ),
    )
