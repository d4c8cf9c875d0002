"""The act catalogue (issue #18, item 4): at least 45 types, each named in kk and ru, with its structured
fields, its requirements and its effects, printable in both languages and draftable through the page."""

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.choices import ParticipantRole
from cases.effects import check_effects
from cases.models import ActRequirement, CriminalCodeArticle, ProceduralAct, ProceduralActType
from cases.pdf.document import render_act_pdf
from cases.reference_data import read
from cases.services.participants import participant_add
from tests.auth import verified_client
from tests.cases.decrees import suspect_in_force
from tests.cases.pdf_text import pdf_text
from tests.cases.test_act_layouts import squeeze, synthetic_snapshot
from tests.evidence.helpers import add_item
from tests.factories import person_data

ACT_TYPES = read("act_types.json")
# The 26 types shipped before issue #18, and the two its item 1 added for the decrees (printed by the
# generic layout, tests/cases/test_act_layouts.py): the catalogue's own types are the rest.
BEFORE_ISSUE_18 = {
    "completion_report",
    "prosecution_termination",
    "victim_recognition",
    "civil_plaintiff_recognition",
    "interrogation_victim",
    "interrogation_witness",
    "interrogation_suspect",
    "confrontation",
    "scene_inspection",
    "search",
    "seizure",
    "expertise_appointment",
    "evidence_recognition",
    "suspect_recognition",
    "qualification",
    "detention_protocol",
    "preventive_measure_request",
    "term_extension_request",
    "term_interruption",
    "term_resumption",
    "case_termination",
    "misdemeanour_protocol",
    "indictment",
    "investigation_completion_notice",
    "agreement_refusal",
    "term_extension",
    "additional_investigation_return",
    "termination_cancellation",
}
NEW_TYPES = [spec for spec in ACT_TYPES if spec["code"] not in BEFORE_ISSUE_18]
FIELD_TYPES = {
    "text",
    "textarea",
    "integer",
    "date",
    "datetime",
    "time",
    "choice",
    "place",
    "person_name",
    "participant",
    "participants",
    "evidence",
    "article",
}
KINDS = {"resolution", "protocol", "indictment", "notice", "prosecutor", "other"}


def effect_problems(spec: dict) -> list[str]:
    """What is wrong with a type's ``effects``: the loader's own check (cases/effects.py), plus a cited
    article where one is given ([] when nothing)."""
    try:
        check_effects(spec["code"], spec.get("effects"), spec["fields"])
    except ValidationError as error:
        return error.messages
    return [f"{spec['code']}: an effect cites an empty article" for e in spec["effects"] if e.get("article") == ""]


def test_the_catalogue_has_at_least_45_types_each_with_kk_and_ru_names_fields_requirements_and_effects():
    assert len(ACT_TYPES) >= 45
    assert len({spec["code"] for spec in ACT_TYPES}) == len(ACT_TYPES)
    problems = []
    for spec in ACT_TYPES:
        code = spec["code"]
        if not (spec["name_ru"].strip() and spec["name_kk"].strip()) or spec["name_ru"] == spec["name_kk"]:
            problems.append(f"{code}: names ru {spec['name_ru']!r} / kk {spec['name_kk']!r}")
        if spec["kind"] not in KINDS:
            problems.append(f"{code}: kind {spec['kind']!r}")
        if not spec["fields"]:
            problems.append(f"{code}: no structured fields")
        names = [f["name"] for f in spec["fields"]]
        if len(set(names)) != len(names):
            problems.append(f"{code}: a field name repeats")
        for field in spec["fields"]:
            if not (field.get("label_ru", "").strip() and field.get("label_kk", "").strip()):
                problems.append(f"{code}.{field['name']}: a label is missing")
            if field.get("type", "text") not in FIELD_TYPES:
                problems.append(f"{code}.{field['name']}: type {field.get('type')!r}")
            if field.get("type") == "choice":
                choices = field.get("choices") or []
                if not choices or not all(c["value"] and c["label_ru"] and c["label_kk"] for c in choices):
                    problems.append(f"{code}.{field['name']}: choices without a value or a label")
        if not spec.get("requirements"):
            problems.append(f"{code}: no requirements")
        for version in spec.get("requirements", []):
            if not version["author_article"].strip():
                problems.append(f"{code}: who signs is not cited")
            if version["agreement_article"] and not (version["agreement_hours"] or 0) > 0:
                problems.append(f"{code}: an agreement without its term")
            if not version["sources"] and not (version["needs_verification"] and version["note"].strip()):
                problems.append(f"{code}: neither a source nor a flagged note")
            if version["needs_verification"] and not version["note"].strip():
                problems.append(f"{code}: flagged for verification without saying what to check")
        problems += effect_problems(spec)
    assert not problems, "\n".join(problems)


def test_the_effects_check_refuses_what_is_outside_the_vocabulary():
    spec = {"code": "x", "fields": [{"name": "person", "type": "participant"}, {"name": "note", "type": "text"}]}
    assert (
        effect_problems({**spec, "effects": [{"type": "participant_role", "role": "suspect", "field": "person"}]}) == []
    )
    for wrong in (
        [{"type": "case_status", "action": "close"}],
        [{"type": "participant_role", "role": "suspect", "field": "note"}],
        [{"type": "participant_role", "role": "judge", "field": "person"}],
        [{"type": "qualification", "field": "person"}],
        [{"type": "status", "action": "start"}],
        [{"type": "case_status", "action": "start", "when": "now"}],
        [{"type": "case_status", "action": "start", "article": ""}],
    ):
        assert effect_problems({**spec, "effects": wrong}), wrong
    assert effect_problems({"code": "x", "fields": []})  # no effects key at all


def test_accepting_the_case_starts_it_and_merging_splitting_and_transfer_say_why_they_have_no_effect():
    by_code = {spec["code"]: spec for spec in ACT_TYPES}
    assert by_code["case_acceptance"]["effects"] == [{"type": "case_status", "action": "start", "article": "ст. 185"}]
    for code in ("cases_merging", "case_splitting", "jurisdiction_transfer"):
        assert by_code[code]["effects"] == []
        assert "не моделируется" in by_code[code]["requirements"][0]["note"]


def test_every_type_and_its_requirements_are_in_the_database(reference_data):
    stored = dict(ProceduralActType.objects.values_list("code", "name_kk"))
    assert {spec["code"]: spec["name_kk"] for spec in ACT_TYPES} == stored
    with_requirements = set(ActRequirement.objects.values_list("act_type__code", flat=True))
    assert with_requirements == set(stored)


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("spec", NEW_TYPES, ids=lambda s: s["code"])
def test_every_new_type_renders_to_a_pdf_in_both_languages(spec, language):
    # The layout tests' snapshot, its markers in quotes the PDF's font has (it has no ⟦ ⟧).
    marked = json.dumps(synthetic_snapshot(spec, language), ensure_ascii=False)
    snapshot = json.loads(marked.replace("⟦", "«").replace("⟧", "»"))
    text = squeeze(pdf_text(render_act_pdf(snapshot)))
    assert "26AST000123" in text and "«author»" in text and "\x00" not in text
    for field in spec["fields"]:
        if field.get("required"):
            assert f"«{field['name']}»" in text, f"{spec['code']}.{language} omits {field['name']}"
    assert "@@" not in text and "{{" not in text and "{%" not in text


def posted_value(field: dict, people: list, item, article) -> object:
    """A value for one structured field as the drafting page's browser sends it."""
    kind = field.get("type", "text")
    return {
        "participant": str(people[0].pk),
        "participants": [str(p.pk) for p in people],
        "evidence": str(item.pk),
        "article": str(article.pk),
        "choice": field.get("choices", [{}])[-1].get("value"),
        "date": "2026-12-01",
        "datetime": "2026-12-01T10:30",
        "time": "10:30",
        "integer": "3",
    }.get(kind, f"Значение поля {field['name']}")


def stored_value(field: dict, people: list, item, article) -> object:
    """What the act stores for ``posted_value`` (ids for references, the code for an article, ISO dates)."""
    kind = field.get("type", "text")
    if kind == "datetime":
        return "2026-12-01T10:30:00+05:00"
    if kind == "time":
        return "10:30:00"
    return {
        "participant": people[0].pk,
        "participants": [p.pk for p in people],
        "evidence": item.pk,
        "article": article.code,
        "integer": 3,
    }.get(kind, posted_value(field, people, item, article))


def test_every_new_type_is_drafted_through_the_page_with_each_of_its_fields(
    case, investigator, prosecutor, signing, django_assert_max_num_queries
):
    people = [
        suspect_in_force(case, investigator, prosecutor=prosecutor, sex="M"),
        participant_add(
            case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data(sex="F")
        ),
    ]
    item = add_item(case, investigator)
    article = CriminalCodeArticle.objects.get(article="188", part="1")
    client = verified_client(investigator)
    url = reverse("cases:act-create", args=[case.pk])
    # The page lists every draftable type in its select: its queries do not grow with the catalogue.
    with django_assert_max_num_queries(16):
        listing = client.get(url)
    select = re.search(r'<select name="act_type".*?</select>', listing.content.decode(), re.S).group(0)
    assert select.count("<option") == ProceduralActType.draftable().count() + 1
    for n, spec in enumerate(NEW_TYPES):
        act_type = ProceduralActType.objects.get(code=spec["code"])
        page = client.get(url, {"act_type": act_type.pk}).content.decode()
        for field in spec["fields"]:
            assert f'name="f_{field["name"]}"' in page, f"{spec['code']}: no control for {field['name']}"
        language = ("ru", "kk")[n % 2]
        data = {
            "act_type": act_type.pk,
            "language": language,
            "place": "Астана",
            "body": "Текст акта",
            "participants": [str(people[0].pk)],
        }
        for field in spec["fields"]:
            data[f"f_{field['name']}"] = posted_value(field, people, item, article)
        response = client.post(url, data)
        assert response.status_code == 302, f"{spec['code']}: {response.content.decode()[:2000]}"
        act = ProceduralAct.objects.filter(case=case, act_type=act_type).get()
        assert act.language == language
        expected = {f["name"]: stored_value(f, people, item, article) for f in spec["fields"]}
        assert act.fields == expected, spec["code"]


def test_a_bad_value_in_a_new_type_is_refused_and_nothing_is_drafted(case, investigator):
    act_type = ProceduralActType.objects.get(code="motion_decision")
    client = verified_client(investigator)
    url = reverse("cases:act-create", args=[case.pk])
    response = client.post(
        url,
        {"act_type": act_type.pk, "language": "ru", "place": "Астана", "f_decision": "maybe", "f_filed_on": "31.02"},
    )
    assert response.status_code == 400
    assert not ProceduralAct.objects.filter(case=case).exists()
