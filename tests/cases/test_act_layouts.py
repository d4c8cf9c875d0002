"""Act layouts are data (templates/acts/) and the render is a function of the snapshot."""

import io
import json
import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from pyhanko.pdf_utils.reader import PdfFileReader

from cases.pdf.declension import CASES
from cases.pdf.document import render_act_pdf
from cases.pdf.layout import layout_engine, layout_markup, layout_template_name
from cases.pdf.markup import parse
from cases.pdf.snapshot import act_snapshot
from cases.reference_data import read
from tests.cases.pdf_text import page_texts, pdf_text
from tests.cases.signing_helpers import KAZAKH_LETTERS, drafted_act

ACT_TYPES = read("act_types.json")
LAYOUTS = Path(settings.BASE_DIR) / "templates" / "acts"
INVALID = "@@MISSING %s@@"
HEADINGS = {
    "ru": ("Документ подготовил и подписал", "Документ утвердил", "Документ согласовал"),
    "kk": ("Құжатты дайындады және қол қойды", "Құжатты бекітті", "Құжатты келісті"),
}


def squeeze(text: str) -> str:
    return " ".join(text.split())


def synthetic_snapshot(spec: dict, language: str) -> dict:
    """A snapshot whose every value is recognisable in the output."""
    fields = {f["name"]: f"⟦{f['name']}⟧" for f in spec["fields"]}
    people = {
        f["name"]: dict.fromkeys(CASES, f"⟦{f['name']}⟧") | {"female": False, "many": False}
        for f in spec["fields"]
        if f.get("type") in ("participant", "participants")
    }
    return {
        "schema": 3,
        "language": language,
        "act": {
            "number": 7,
            "version": 3,
            "type_code": spec["code"],
            "type_name": spec[f"name_{language}"],
            "cpc_article": spec["cpc_article"],
            "place": "⟦place⟧",
            "date": "⟦date⟧",
            "body": "⟦body⟧",
            "token": "t0k3n",
            "verification_url": "https://ecase.example.kz/verify/t0k3n/",
            "supersedes": 6,
        },
        "case": {
            "registration_number": "26AST000123",
            "registered_on": "01.11.2026",
            "articles": ["⟦article⟧"],
            "unit": "⟦unit⟧",
        },
        "author": {"name": "⟦author⟧", "short": "⟦author short⟧", "position": "⟦author position⟧"},
        "signature_roles": ["author", "approver", "prosecutor"],
        "participants": [{"name": "⟦participant⟧", "role": "⟦role⟧"}],
        "fields": fields,
        "field_list": [{"label": f[f"label_{language}"], "value": fields[f["name"]]} for f in spec["fields"]],
        "people": people,
    }


def test_at_least_fifteen_act_types_each_with_its_own_layout_in_kazakh_and_russian():
    assert len(ACT_TYPES) >= 15
    for spec in ACT_TYPES:
        for language in ("kk", "ru"):
            assert layout_template_name(spec["code"], language) == f"{spec['code']}.{language}.txt"


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("spec", ACT_TYPES, ids=lambda s: s["code"])
def test_every_layout_prints_what_every_act_carries_and_its_required_fields(spec, language):
    markup = layout_markup(synthetic_snapshot(spec, language), engine=layout_engine(INVALID))
    assert "@@MISSING" not in markup, "the layout names a value the snapshot does not have"
    text = squeeze(markup)
    for needed in (
        "26AST000123",
        "7",
        "⟦place⟧",
        "⟦date⟧",
        "⟦author⟧",
        "⟦author position⟧",
        *HEADINGS[language],
        "⟦participant⟧",
        "⟦role⟧",
        "⟦body⟧",
        "https://ecase.example.kz/verify/t0k3n/",
    ):
        assert needed in text, f"{spec['code']}.{language} does not print {needed}"
    for field in spec["fields"]:
        if field.get("required"):
            assert f"⟦{field['name']}⟧" in text, f"{spec['code']}.{language} omits the required {field['name']}"


def test_a_type_without_a_layout_falls_back_to_the_generic_one_listing_its_fields():
    spec = {
        "code": "admin_added_type",
        "name_ru": "Справка",
        "name_kk": "Анықтама",
        "cpc_article": "",
        "fields": [{"name": "summary", "type": "text", "label_ru": "Итог", "label_kk": "Қорытынды"}],
    }
    assert layout_template_name(spec["code"], "ru") == "_generic.ru.txt"
    markup = squeeze(layout_markup(synthetic_snapshot(spec, "ru"), engine=layout_engine(INVALID)))
    assert "Итог: ⟦summary⟧" in markup.replace("<b>", "").replace("</b>", "") and "@@MISSING" not in markup


def test_values_are_escaped_and_cannot_open_a_layout_line():
    spec = next(s for s in ACT_TYPES if s["code"] == "victim_recognition")
    snapshot = synthetic_snapshot(spec, "ru")
    snapshot["act"]["body"] = "<title>ПОДДЕЛКА\n<box>внутри рамки & <b>жирный</b>"
    blocks = parse(layout_markup(snapshot))
    assert not any(b.text.startswith("ПОДДЕЛКА") for b in blocks if b.kind == "title")
    assert any(b.kind == "plain" and b.text == "&lt;title&gt;ПОДДЕЛКА" for b in blocks)
    text = squeeze(pdf_text(render_act_pdf(snapshot)))
    assert "ПОДДЕЛКА" in text and "внутри рамки &" in text and "<b>жирный</b>" in text.replace(" ", "")


def test_the_same_snapshot_gives_the_same_bytes_and_another_snapshot_other_bytes():
    spec = next(s for s in ACT_TYPES if s["code"] == "qualification")
    snapshot = synthetic_snapshot(spec, "kk")
    first = render_act_pdf(snapshot)
    assert render_act_pdf(json.loads(json.dumps(snapshot))) == first
    snapshot["act"]["number"] = 8
    assert render_act_pdf(snapshot) != first


def test_labels_exist_for_every_language_and_role():
    from cases.choices import ParticipantRole

    labels = json.loads((LAYOUTS / "labels.json").read_text(encoding="utf-8"))
    for language in ("kk", "ru"):
        assert set(labels[language]["roles"]) == set(ParticipantRole.values)
        assert len(labels[language]["months"]) == 12


def author_snapshot(act, roles=("author", "approver")) -> dict:
    """The snapshot the author's signature freezes (a real act's, through JSON as it is stored)."""
    from django.utils import timezone

    return json.loads(json.dumps(act_snapshot(act, signature_roles=list(roles), signed_at=timezone.now())))


def test_a_kazakh_act_prints_every_kazakh_letter_its_number_and_page_x_of_y(case, investigator):
    act = drafted_act(case, investigator, language="kk")
    snapshot = author_snapshot(act)
    pdf = render_act_pdf(snapshot)
    text = squeeze(pdf_text(pdf))
    for letter in KAZAKH_LETTERS.replace(" ", ""):
        assert letter in text
    assert case.registration_number in text
    assert f"№ {act.number} акт" in text and "ЖӘБІРЛЕНУШІ ДЕП ТАНУ ТУРАЛЫ" not in text  # the layout's own title
    assert "ҚАУЛЫ" in text and "жәбірленуші деп тану туралы" in text
    assert investigator.position in text and "Құжатты дайындады және қол қойды" in text and "Құжатты бекітті" in text
    assert "Құжатты келісті" not in text  # no block for a role that does not sign this act
    assert "Сәрсенбаев Әділ" in text
    assert snapshot["act"]["verification_url"] in text
    assert "1 беттің 1-беті" in text
    assert b"PTSans" in pdf and b"Helvetica" not in pdf


def test_a_two_page_act_numbers_its_pages_page_x_of_y(case, investigator):
    body = "\n".join(f"{n}. Куәның айғақтары бойынша анықталған мән-жайлар сипатталды." * 3 for n in range(1, 30))
    act = drafted_act(case, investigator, language="ru", code="interrogation_witness", body=body)
    pages = page_texts(render_act_pdf(author_snapshot(act)))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Страница {number} из {len(pages)}" in squeeze(page)
        assert f"ЕРДР № {case.registration_number} · акт № {act.number}" in squeeze(page)


def test_text_is_normalised_to_nfc(case, investigator):
    decomposed = "Каи\u0306рат е\u0308ж"  # "Қайрат" typed with a combining breve, "ё" with a combining diaeresis
    act = drafted_act(case, investigator, language="ru", body=decomposed)
    snapshot = author_snapshot(act)
    assert snapshot["act"]["body"] == unicodedata.normalize("NFC", decomposed) == "Кайрат ёж"
    assert "Кайрат ёж" in squeeze(pdf_text(render_act_pdf(snapshot)))


def test_the_snapshot_resolves_references_only_inside_the_case(case, investigator, outsider):
    from cases.choices import ParticipantRole
    from cases.services.participants import participant_add
    from tests.factories import person_data, register

    foreign_case = register(actor=outsider)
    foreign = participant_add(
        case_id=foreign_case.pk,
        actor=outsider,
        role=ParticipantRole.WITNESS,
        person_data=person_data(last_name="Бөтен", first_name="Адам"),
    )
    act = drafted_act(case, investigator, language="ru")
    act.fields["participant"] = foreign.pk
    assert "Бөтен" not in json.dumps(author_snapshot(act), ensure_ascii=False)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_signature_blocks_stand_where_the_signer_will_put_the_stamps_on_the_last_page(language):
    from cases.pdf.page import BOTTOM, LEFT, signature_box

    spec = next(s for s in ACT_TYPES if s["code"] == "interrogation_witness")
    snapshot = synthetic_snapshot(spec, language)
    snapshot["act"]["body"] = "\n".join(["⟦долгий текст⟧ " * 60] * 12)  # several pages
    pdf = render_act_pdf(snapshot)
    pages = page_texts(pdf)
    assert len(pages) >= 2
    for heading in HEADINGS[language]:
        assert heading in squeeze(pages[-1]) and all(heading not in squeeze(p) for p in pages[:-1])
    boxes = [signature_box(role, snapshot["signature_roles"]) for role in snapshot["signature_roles"]]
    assert [b[0] for b in boxes] == [-1, -1, -1]
    assert all(b[1] > LEFT and b[2] >= BOTTOM for b in boxes)
    assert all(upper[2] >= lower[4] for upper, lower in zip(boxes, boxes[1:], strict=False))  # no overlap
    # each frame is drawn exactly where the stamp will go (the flowable draws in its own translated space)
    reader = PdfFileReader(io.BytesIO(pdf))
    last = reader.find_page_for_modification(len(pages) - 1)[0].get_object()
    contents = last["/Contents"]
    data = b"".join(c.get_object().data for c in contents) if isinstance(contents, list) else contents.get_object().data
    number = rb"(-?[\d.]+)"
    shifts = [tuple(map(float, m)) for m in re.findall(rb"1 0 0 1 " + number + b" " + number + b" cm", data)]
    rects = [tuple(map(float, m)) for m in re.findall(b" ".join([number] * 4) + b" re", data)]
    drawn = {
        (round(x + dx, 2), round(y + dy, 2), round(x + dx + w, 2), round(y + dy + h, 2))
        for x, y, w, h in rects
        for dx, dy in shifts
    }
    for _page, x1, y1, x2, y2 in boxes:
        assert (x1, y1, x2, y2) in drawn


def test_a_snapshot_frozen_before_roles_still_renders_with_the_approvers_block():
    """A requeued rendering of schema 2: "approver" in the snapshot, no "signature_roles"."""
    spec = next(s for s in ACT_TYPES if s["code"] == "victim_recognition")
    snapshot = synthetic_snapshot(spec, "ru")
    del snapshot["signature_roles"]
    snapshot["schema"] = 2
    snapshot["approver"] = {"name": "⟦approver⟧", "short": "⟦approver short⟧", "position": "⟦approver position⟧"}
    markup = layout_markup(snapshot, engine=layout_engine(INVALID))
    assert "@@MISSING" not in markup
    assert [b.text for b in parse(markup) if b.kind == "signature"] == ["approver<|>Документ утвердил"]
    text = squeeze(pdf_text(render_act_pdf(snapshot)))
    assert "Документ утвердил" in text and "Документ подготовил" not in text
