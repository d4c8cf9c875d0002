"""The page every act is printed on: A4, its margins, and the band where the signatures go.

The layout and the signer both read this: the layout prints one block per signing role at the
foot of the act's last page (heading and an empty frame), and each signer later places their
visible signature exactly into their role's frame (``signature_box``), as an incremental update
that leaves the pages themselves untouched.
"""

from __future__ import annotations

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 25 * mm, 15 * mm, 20 * mm, 34 * mm
FRAME_WIDTH = PAGE_WIDTH - LEFT - RIGHT

# One signature block: the role's heading on the left, the frame for the stamp on the right.
HEADING_WIDTH = 52 * mm
STAMP_HEIGHT = 21 * mm
BLOCK_GAP = 2 * mm
BLOCK_HEIGHT = STAMP_HEIGHT + BLOCK_GAP
AREA_GAP = 6 * mm  # between the act's text and the first block
LAST_PAGE = -1  # the blocks are always on the last page, whatever its number


def signature_area_height(count: int) -> float:
    return AREA_GAP + count * BLOCK_HEIGHT


def signature_box(role: str, roles: list[str]) -> tuple[int, int, int, int, int]:
    """Where ``role``'s stamp goes when the act is signed by ``roles`` (in order):
    (page index, x1, y1, x2, y2) in PDF points, the page counted from the end (-1: the last).

    The blocks stand at the bottom of the last page's frame, the first role's on top, so the
    position follows from the roles alone and not from how long the act's text is.
    """
    index = roles.index(role)
    top = BOTTOM + (len(roles) - index) * BLOCK_HEIGHT
    # Whole points: pyHanko's field rectangle and the stamp's page size are then exactly the frame.
    return LAST_PAGE, round(LEFT + HEADING_WIDTH), round(top - STAMP_HEIGHT), round(PAGE_WIDTH - RIGHT), round(top)
