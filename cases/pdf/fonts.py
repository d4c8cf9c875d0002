"""PT Sans, embedded in every act: it has every Kazakh letter (ә ғ қ ң ө ұ ү һ і) and 1000 units/em.

reportlab's standard fonts have no Cyrillic at all (DESIGN §8), so every style names these.
The TTFs ship in cases/pdf/fonts/ with their licence (ParaType Free Font License); the pages
use WOFF2 subsets of the same faces (static/fonts, `make fonts`).
"""

from __future__ import annotations

from django.conf import settings
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR, BOLD, ITALIC = "PTSans", "PTSans-Bold", "PTSans-Italic"
FILES = {REGULAR: "PTSans-Regular.ttf", BOLD: "PTSans-Bold.ttf", ITALIC: "PTSans-Italic.ttf"}


def register_fonts() -> None:
    """Register the family once per process (reportlab keeps a global registry)."""
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    directory = settings.BASE_DIR / "cases" / "pdf" / "fonts"
    for name, filename in FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(directory / filename)))
    # <b>, <i> and <b><i> in the markup map onto the family; there is no bold italic face.
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, ITALIC)
    addMapping(REGULAR, 1, 1, BOLD)
