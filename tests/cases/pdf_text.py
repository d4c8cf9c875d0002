"""Text of a PDF, read back through its fonts' ToUnicode maps (what a PDF reader's search sees).

No text-extraction library is among the dependencies; reportlab's output is simple enough:
literal strings shown with Tj/TJ in fonts whose ToUnicode maps give each code its character.
"""

from __future__ import annotations

import io
import re

from pyhanko.pdf_utils.reader import PdfFileReader

_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|/[^\s/\[\]()<>]+|\[|\]|[A-Za-z*']+|-?[\d.]+")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        ch = literal[i : i + 1]
        if ch != b"\\":
            out += ch
            i += 1
            continue
        nxt = literal[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def _cmap(font) -> dict[int, str]:
    if "/ToUnicode" not in font:
        return {}
    data = font["/ToUnicode"].get_object().data
    sections = re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S)
    return {
        int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
        for section in sections
        for code, text in _BFCHAR.findall(section)
    }


def page_texts(pdf: bytes) -> list[str]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    texts = []
    for page_number in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(page_number)[0].get_object()
        fonts = {name: _cmap(ref.get_object()) for name, ref in page["/Resources"]["/Font"].items()}
        contents = page["/Contents"]
        streams = [c.get_object() for c in contents] if isinstance(contents, list) else [contents.get_object()]
        texts.append(_show(b"\n".join(s.data for s in streams), fonts))
    return texts


def _show(content: bytes, fonts: dict[str, dict[int, str]]) -> str:
    out, cmap, operands = [], {}, []
    for token in _TOKEN.findall(content):
        if token.startswith((b"(", b"/")) or token in (b"[", b"]") or token[:1] in b"-0123456789.":
            operands.append(token)
            continue
        if token == b"Tf" and len(operands) >= 2:
            cmap = fonts.get(operands[-2].decode(), {})
        elif token in (b"Tj", b"TJ", b"'"):
            for operand in operands:
                if operand.startswith(b"("):
                    out.append("".join(cmap.get(b, chr(b)) for b in _unescape(operand[1:-1])))
            out.append(" ")
        elif token in (b"ET", b"T*", b"Td", b"TD", b"Tm"):
            out.append("\n" if token in (b"ET", b"T*") else "")
        operands = []
    return "".join(out)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page_texts(pdf))


def _resolved(value):
    return value.get_object() if hasattr(value, "get_object") else value


def _form_text(xobject) -> str:
    """The text a form XObject shows, its nested form XObjects' included (a stamp imported as a page)."""
    resources = _resolved(xobject.get("/Resources", {}))
    fonts = {name: _cmap(ref.get_object()) for name, ref in _resolved(resources.get("/Font", {})).items()}
    parts = [_show(xobject.data, fonts)]
    for ref in _resolved(resources.get("/XObject", {})).values():
        nested = ref.get_object()
        if nested.get("/Subtype") == "/Form":
            parts.append(_form_text(nested))
    return " ".join(part for part in parts if part.strip())


def signature_appearance_texts(pdf: bytes) -> dict[str, str]:
    """The visible text of each signature field's appearance (its stamp), by field name."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    texts = {}
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/FT") == "/Sig" and "/AP" in field:
            texts[str(field["/T"])] = _form_text(field["/AP"]["/N"].get_object())
    return texts
