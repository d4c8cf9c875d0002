"""Make the web fonts: PT Sans Regular and Bold subset to the letters the pages use, as WOFF2.

    make fonts   # runs this with fonttools from uv's tool cache (no project dependency)

The subset covers Latin, Cyrillic with every Kazakh letter (ә ғ қ ң ө ұ ү һ і are in U+0400–04FF)
and common punctuation, without hinting: ~18 KB a face instead of ~440 KB of TTF (issue #16).
The ParaType Free Font License allows modified copies only under another name, together with
the licence: so the subsets are named "Ecase Sans" inside and out, and the licence file is copied
beside them. The unmodified TTFs stay in cases/pdf/fonts for the PDFs.
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
SOURCE, TARGET = ROOT / "cases" / "pdf" / "fonts", ROOT / "static" / "fonts"
UNICODES = "U+0020-007E,U+00A0-00FF,U+0400-04FF,U+2010-2027,U+2030-203A,U+2116,U+2122,U+20AC,U+2190-2193,U+2212"
FACES = {"Regular": "ecase-sans-regular.woff2", "Bold": "ecase-sans-bold.woff2"}
FAMILY = "Ecase Sans"
NOTICE = "Ecase Sans: a subset of PT Sans, Copyright 2009 ParaType Ltd., ParaType Free Font License"


def build(face: str, output: Path) -> int:
    options = subset.Options()
    options.flavor, options.hinting, options.layout_features = "woff2", False, ["kern", "liga"]
    font = TTFont(SOURCE / f"PTSans-{face}.ttf")
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(UNICODES))
    subsetter.subset(font)
    names = font["name"]
    # Family, full, PostScript and typographic names carry the new name; copyright and licence stay.
    for name_id, value in (
        (1, FAMILY),
        (3, f"{FAMILY} {face}"),
        (4, f"{FAMILY} {face}"),
        (6, f"EcaseSans-{face}"),
        (16, FAMILY),
        (17, face),
        (10, NOTICE),
    ):
        names.removeNames(nameID=name_id)
        names.setName(value, name_id, 3, 1, 0x409)
    font.flavor = "woff2"
    font.save(output)
    return output.stat().st_size


def main() -> None:
    TARGET.mkdir(exist_ok=True)
    for face, filename in FACES.items():
        print(f"{filename}: {build(face, TARGET / filename):,} bytes")
    licence = (SOURCE / "PTSans-LICENSE.txt").read_text(encoding="utf-8")
    (TARGET / "LICENSE.txt").write_text(
        f"{', '.join(FACES.values())}: subsets of PT Sans Regular and Bold (cases/pdf/fonts), renamed\n"
        f"{FAMILY} as the licence requires of modified versions; made by bin/web_fonts.py.\n"
        "Copyright: 2009, ParaType Ltd. All Rights Reserved.\n\n" + licence[licence.index("License:") :],
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
