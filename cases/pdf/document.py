"""Laying out an act: the type's markup in the page chrome every act carries.

Every page shows the registration number and the act's number at the top, and at the
bottom the QR code of the verification page, its address and "page X of Y". The total is
known only at the end, so the canvas keeps the pages and draws the chrome when it saves.
``invariant`` fixes the PDF's creation date and document id: the same snapshot gives the
same bytes, which the signatures then cover.

The act's last page ends with one signature block per signing role (cases/pdf/page.py);
the roles are also stated in the document information's keywords ("ecase-signatures: author
approver"), which is how each signer finds their block in the file alone.
"""

from __future__ import annotations

import io
from functools import partial

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from .fonts import REGULAR, register_fonts
from .layout import layout_labels, layout_markup, signature_roles_of
from .markup import flowables
from .page import BOTTOM, LEFT, PAGE_HEIGHT, PAGE_WIDTH, RIGHT, TOP
from .qr import draw_qr

QR_SIZE = 22 * mm
SIGNATURE_ROLES_KEYWORD = "ecase-signatures:"  # read back by cases/signing/pades.py
GREY = HexColor("#555555")


class _ChromedCanvas(pdfcanvas.Canvas):
    """Holds every page back until the end, then draws the header and footer with the page count."""

    def __init__(self, *args, chrome: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self._chrome = chrome
        self._held: list[dict] = []

    def showPage(self):
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self._draw_chrome(number, total)
            super().showPage()
        super().save()

    def _draw_chrome(self, number: int, total: int) -> None:
        chrome = self._chrome
        self.saveState()
        self.setFillColor(GREY)
        self.setFont(REGULAR, 8.5)
        self.drawRightString(PAGE_WIDTH - RIGHT, PAGE_HEIGHT - 12 * mm, chrome["header"])
        draw_qr(self, chrome["url"], x=LEFT, y=8 * mm, size=QR_SIZE)
        text_x = LEFT + QR_SIZE + 4 * mm
        self.drawString(text_x, 8 * mm + QR_SIZE - 9, chrome["verify"])
        self.drawString(text_x, 8 * mm + QR_SIZE - 20, chrome["url"])
        self.setFont(REGULAR, 9.5)
        self.drawRightString(PAGE_WIDTH - RIGHT, 8 * mm, chrome["page"].format(page=number, pages=total))
        self.restoreState()


def render_act_pdf(snapshot: dict) -> bytes:
    """The unsigned PDF of the act described by ``snapshot`` (see cases.pdf.snapshot)."""
    register_fonts()
    labels, act, case = layout_labels(snapshot["language"]), snapshot["act"], snapshot["case"]
    chrome = {
        "header": labels["header"].format(registration_number=case["registration_number"], number=act["number"]),
        "verify": labels["verify"],
        "url": act["verification_url"],
        "page": labels["page"],
    }
    buffer = io.BytesIO()
    width, height = PAGE_WIDTH - LEFT - RIGHT, PAGE_HEIGHT - TOP - BOTTOM
    frame = Frame(LEFT, BOTTOM, width, height, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=[PageTemplate("act", frames=[frame])],
        invariant=1,
        initialFontName=REGULAR,
        lang=labels["lang"],
        creator="ecase",
        producer="ecase",
        title=f"{act['type_name']} № {act['number']}",
        author=snapshot["author"]["name"],
        subject=labels["header"].format(registration_number=case["registration_number"], number=act["number"]),
        keywords=SIGNATURE_ROLES_KEYWORD + " " + " ".join(signature_roles_of(snapshot)),
    )
    story = flowables(layout_markup(snapshot), width=width)
    document.build(story, canvasmaker=partial(_ChromedCanvas, chrome=chrome))
    return buffer.getvalue()
