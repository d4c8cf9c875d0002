"""The line markup the act layouts write, and its reportlab flowables.

One line is one block. A line that starts with one of the markers below is that block; any
other non-empty line is a justified paragraph with a first-line indent; empty lines are
ignored (templates may space their tags freely). Inside a line reportlab's paragraph markup
applies (<b>, <i>, <br/>). Values reach the markup HTML-escaped, so a value can never start a
marker: only the template's own text can.

    <title>ҚАУЛЫ              centred, bold, large
    <subtitle>...              centred, bold
    <center>...                centred
    <right>...                 right-aligned (the approval block)
    <section>АНЫҚТАДЫ:         a bold heading
    <noindent>...              a paragraph without indent
    <row>left<|>right          two cells on one line (place | date, position | name)
    <box>...                   consecutive lines framed together (the electronic-signature note)
    <signature>role<|>heading  one signature block (consecutive lines: the act's signature area)
    <space>                    vertical space

The signature area stands at the foot of the act's last page, one block per role: the
role's heading and an empty frame that the role's signer fills with a visible signature
(cases/pdf/page.py says where, for the layout and the signer alike).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from .fonts import BOLD, REGULAR
from .page import HEADING_WIDTH, signature_area_height, signature_box

MARKER = re.compile(r"^<(title|subtitle|center|right|section|noindent|row|box|signature|space)>")
CELL = "<|>"


@dataclass(frozen=True)
class Block:
    kind: str
    text: str


def parse(markup: str) -> list[Block]:
    blocks = []
    for line in markup.splitlines():
        line = line.strip()
        if not line:
            continue
        match = MARKER.match(line)
        blocks.append(Block(match.group(1), line[match.end() :].strip()) if match else Block("plain", line))
    return blocks


def styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "act", fontName=REGULAR, fontSize=12, leading=15.5, alignment=TA_JUSTIFY, firstLineIndent=10 * mm, spaceAfter=3
    )
    flat = {"firstLineIndent": 0}
    return {
        "plain": base,
        "noindent": ParagraphStyle("noindent", base, **flat),
        "title": ParagraphStyle(
            "title", base, fontName=BOLD, fontSize=14, leading=18, alignment=TA_CENTER, spaceBefore=6, **flat
        ),
        "subtitle": ParagraphStyle("subtitle", base, fontName=BOLD, alignment=TA_CENTER, spaceAfter=8, **flat),
        "center": ParagraphStyle("center", base, alignment=TA_CENTER, **flat),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT, spaceAfter=0, **flat),
        "section": ParagraphStyle("section", base, fontName=BOLD, alignment=TA_LEFT, spaceBefore=6, **flat),
        "cell_left": ParagraphStyle("cell_left", base, alignment=TA_LEFT, spaceAfter=0, **flat),
        "cell_right": ParagraphStyle("cell_right", base, alignment=TA_RIGHT, spaceAfter=0, **flat),
        "box": ParagraphStyle("box", base, fontSize=10, leading=13, alignment=TA_LEFT, spaceAfter=1, **flat),
        "signature": ParagraphStyle(
            "signature", base, fontName=BOLD, fontSize=10, leading=12.5, alignment=TA_LEFT, spaceAfter=0, **flat
        ),
    }


def _row(text: str, style: dict, width: float) -> Table:
    left, _, right = text.partition(CELL)
    table = Table(
        [[Paragraph(left, style["cell_left"]), Paragraph(right, style["cell_right"])]],
        colWidths=[width * 0.6, width * 0.4],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _box(lines: list[str], style: dict, width: float) -> Flowable:
    table = Table([[Paragraph(line, style["box"])] for line in lines], colWidths=[width])
    # Tables fall back to Helvetica, which has no Cyrillic: name the family for every cell.
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR),
                ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#1f3a93")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return KeepTogether([Spacer(1, 4 * mm), table])


STAMP_FRAME = colors.HexColor("#1f3a93")


class SignatureArea(Flowable):
    """The signature blocks, at the foot of the frame they end up in (always the act's last page).

    It takes all the height left in the frame, or moves to a fresh page when its blocks do not
    fit, and draws every block where ``signature_box`` says the signer will put the stamp.
    """

    def __init__(self, blocks: list[tuple[str, str]], style: ParagraphStyle):
        super().__init__()
        self.blocks, self.style = blocks, style
        self.roles = [role for role, _heading in blocks]

    def wrap(self, availWidth, availHeight):
        self.width, self.height = availWidth, max(signature_area_height(len(self.blocks)), availHeight)
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        # Absolute page coordinates, the ones the signer uses, whatever the frame's rounding.
        origin_x, origin_y = canvas.absolutePosition(0, 0)
        for role, heading in self.blocks:
            _page, x1, y1, x2, y2 = signature_box(role, self.roles)
            canvas.saveState()
            canvas.setStrokeColor(STAMP_FRAME)
            canvas.setLineWidth(0.8)
            canvas.rect(x1 - origin_x, y1 - origin_y, x2 - x1, y2 - y1, stroke=1, fill=0)
            canvas.restoreState()
            paragraph = Paragraph(heading, self.style)
            _w, height = paragraph.wrap(HEADING_WIDTH - 3 * mm, y2 - y1)
            paragraph.drawOn(canvas, x1 - HEADING_WIDTH - origin_x, y2 - height - origin_y)


def _signatures(lines: list[str], style: dict) -> Flowable:
    blocks = []
    for line in lines:
        role, _sep, heading = line.partition(CELL)
        blocks.append((role.strip(), heading.strip()))
    return SignatureArea(blocks, style["signature"])


def flowables(markup: str, *, width: float) -> list[Flowable]:
    """Flowables for ``markup`` laid out in a frame ``width`` points wide."""
    style, result = styles(), []
    box: list[str] = []
    signatures: list[str] = []
    for block in parse(markup) + [Block("end", "")]:
        if block.kind != "box" and box:
            result.append(_box(box, style, width))
            box = []
        if block.kind != "signature" and signatures:
            result.append(_signatures(signatures, style))
            signatures = []
        if block.kind == "box":
            box.append(block.text)
        elif block.kind == "signature":
            signatures.append(block.text)
        elif block.kind == "space":
            result.append(Spacer(1, 5 * mm))
        elif block.kind == "row":
            result.append(_row(block.text, style, width))
        elif block.kind != "end":
            result.append(Paragraph(block.text, style[block.kind]))
    return result
