"""The human-readable PDFs of an export: the manifest and the history report (reportlab).

Every style uses PT Sans (``cases.pdf.fonts``, shipped with the app): reportlab's standard fonts
have no Cyrillic, and the acts use the same face.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer

from cases.pdf.fonts import BOLD, REGULAR, register_fonts


def fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered with reportlab."""
    register_fonts()
    return REGULAR, BOLD


def _styles():
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=13, leading=16, spaceAfter=6),
        "text": ParagraphStyle("text", fontName=regular, fontSize=9, leading=11.5),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7.5, leading=9),
        "hash": ParagraphStyle("hash", fontName=regular, fontSize=6.3, leading=8),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _table(rows, widths, styles, hash_column: int | None = None) -> LongTable:
    head, *body = rows
    data = [[_p(c, styles["head"]) for c in head]]
    for row in body:
        data.append([_p(c, styles["hash"] if i == hash_column else styles["cell"]) for i, c in enumerate(row)])
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
        ]
    )
    return table


def _document(story, *, title: str, subject: str, pagesize=A4) -> bytes:
    buffer = io.BytesIO()
    # invariant=1: no creation date or random id, so the same content renders to the same bytes.
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=title,
        subject=subject,
        author="ecase",
        creator="ecase",
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()


def manifest_pdf(manifest: dict, manifest_sha256: str) -> bytes:
    """The manifest for people: the case, every member with its size and SHA-256, the audit head."""
    s = _styles()
    case = manifest["case"]
    story = [
        _p(
            f"Опись материалов уголовного дела № {case['registration_number']} / "
            f"Қылмыстық іс материалдарының тізімдемесі / Case-file export manifest",
            s["title"],
        ),
        _p(
            f"Подразделение / Unit: {case['unit']}    Статус / Status: {case['status']}    "
            f"Зарегистрировано / Registered: {case['registered_at']}",
            s["text"],
        ),
        _p(
            f"Выгрузил / Exported by: {manifest['exported_by']['name']} ({manifest['exported_by']['username']}, "
            f"{manifest['exported_by']['role']})    Время (UTC) / Time (UTC): {manifest['exported_at']}",
            s["text"],
        ),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[str | int]] = [["№", "Файл / Member", "Содержание / Content", "Байт / Bytes", "SHA-256"]]
    for n, member in enumerate(manifest["members"], 1):
        rows.append(
            [
                n,
                member["name"],
                member.get("description", ""),
                f"{member['size']:,}".replace(",", " "),
                member["sha256"],
            ]
        )
    story.append(_table(rows, [7 * mm, 45 * mm, 40 * mm, 16 * mm, 74 * mm], s, hash_column=4))
    if manifest.get("withdrawn_files"):
        story += [
            Spacer(1, 3 * mm),
            _p("Изъятые из дела файлы (без содержимого) / Withdrawn files (not included)", s["text"]),
        ]
        rows = [["Файл / File", "Причина / Reason", "SHA-256"]]
        rows += [[w["name"], w["reason"], w["sha256"]] for w in manifest["withdrawn_files"]]
        story.append(_table(rows, [50 * mm, 58 * mm, 74 * mm], s, hash_column=2))
    head = manifest["audit_head"]
    story += [
        Spacer(1, 4 * mm),
        _p(f"Журнал аудита / Audit chain «{head['chain']}»: seq {head['seq']}, hash {head['hash']}", s["text"]),
        _p(f"SHA-256 файла manifest.json: {manifest_sha256}", s["text"]),
        _p(
            f"Подпись / Signature: manifest.json.p7s (CMS), этот PDF (PAdES); сертификат / certificate: "
            f"{manifest['signer']['subject']}, SHA-256 {manifest['signer']['fingerprint']}",
            s["text"],
        ),
        _p("Проверка / Verification: python manage.py verify_export FILE.zip", s["text"]),
    ]
    return _document(
        story, title=f"Manifest {case['registration_number']}", subject=f"manifest.json sha256 {manifest_sha256}"
    )


def history_pdf(case_number: str, entries: list[dict]) -> bytes:
    """The case's history report: every change, who, when, what from → to, and why."""
    s = _styles()
    story = [_p(f"История изменений дела № {case_number} / Іс өзгерістерінің тарихы / History of the case", s["title"])]
    rows = [["Когда (UTC) / When", "Кто / Who", "Что / What", "Было → стало / From → to", "Основание / Why"]]
    for e in entries:
        changes = "\n".join(f"{c['field']}: {c['old']} → {c['new']}" for c in e["changes"])
        rows.append([e["when"], e["who"], f"{e['what']}\n{e['subject']}".strip(), changes, e["why"]])
    story.append(_table(rows, [30 * mm, 42 * mm, 45 * mm, 100 * mm, 50 * mm], s))
    return _document(story, title=f"History {case_number}", subject="ecase history report", pagesize=landscape(A4))
