"""Names in Russian acts are declined by case and sex (issue #16, item 5).

The declension itself is checked word by word; then acts of each kind that names a person in a
case other than the nominative are approved and rendered, and the PDF's own text is read back.
"""

from __future__ import annotations

from datetime import date

import pytest

from cases.pdf.declension import CASES, FEMALE, MALE, decline_name, declined, join_names, sex_of
from cases.pdf.document import render_act_pdf
from tests.cases.pdf_text import pdf_text
from tests.factories import make_iin

# (last, first, middle, sex) → the full name in nomn, gent, datv, accs, ablt, loct.
NAMES = {
    "male": (
        ("Иванов", "Иван", "Иванович", MALE),
        (
            "Иванов Иван Иванович",
            "Иванова Ивана Ивановича",
            "Иванову Ивану Ивановичу",
            "Иванова Ивана Ивановича",
            "Ивановым Иваном Ивановичем",
            "Иванове Иване Ивановиче",
        ),
    ),
    "female": (
        ("Иванова", "Мария", "Петровна", FEMALE),
        (
            "Иванова Мария Петровна",
            "Ивановой Марии Петровны",
            "Ивановой Марии Петровне",
            "Иванову Марию Петровну",
            "Ивановой Марией Петровной",
            "Ивановой Марии Петровне",
        ),
    ),
    "hyphenated male": (
        ("Нурланов-Сидоров", "Нурлан", "Бақытұлы", MALE),
        (
            "Нурланов-Сидоров Нурлан Бақытұлы",
            "Нурланова-Сидорова Нурлана Бақытұлы",
            "Нурланову-Сидорову Нурлану Бақытұлы",
            "Нурланова-Сидорова Нурлана Бақытұлы",
            "Нурлановым-Сидоровым Нурланом Бақытұлы",
            "Нурланове-Сидорове Нурлане Бақытұлы",
        ),
    ),
    "hyphenated female": (
        ("Петрова-Водкина", "Анна", "Сергеевна", FEMALE),
        (
            "Петрова-Водкина Анна Сергеевна",
            "Петровой-Водкиной Анны Сергеевны",
            "Петровой-Водкиной Анне Сергеевне",
            "Петрову-Водкину Анну Сергеевну",
            "Петровой-Водкиной Анной Сергеевной",
            "Петровой-Водкиной Анне Сергеевне",
        ),
    ),
    "kazakh female": (
        ("Қасымова", "Ақбота", "Ерланқызы", FEMALE),
        (
            "Қасымова Ақбота Ерланқызы",
            "Қасымовой Ақботы Ерланқызы",
            "Қасымовой Ақботе Ерланқызы",
            "Қасымову Ақботу Ерланқызы",
            "Қасымовой Ақботой Ерланқызы",
            "Қасымовой Ақботе Ерланқызы",
        ),
    ),
    "kazakh male": (
        ("Сәрсенбаев", "Әділ", "", MALE),
        (
            "Сәрсенбаев Әділ",
            "Сәрсенбаева Әділа",
            "Сәрсенбаеву Әділу",
            "Сәрсенбаева Әділа",
            "Сәрсенбаевым Әділом",
            "Сәрсенбаеве Әділе",
        ),
    ),
    # A woman's surname and first name ending in a consonant do not decline; the patronymic does.
    "female, indeclinable": (
        ("Ким", "Айгерим", "Нурлановна", FEMALE),
        (
            "Ким Айгерим Нурлановна",
            "Ким Айгерим Нурлановны",
            "Ким Айгерим Нурлановне",
            "Ким Айгерим Нурлановну",
            "Ким Айгерим Нурлановной",
            "Ким Айгерим Нурлановне",
        ),
    ),
    "male, adjectival": (
        ("Достоевский", "Лев", "Ильич", MALE),
        (
            "Достоевский Лев Ильич",
            "Достоевского Льва Ильича",
            "Достоевскому Льву Ильичу",
            "Достоевского Льва Ильича",
            "Достоевским Львом Ильичем",
            "Достоевском Льве Ильиче",
        ),
    ),
    "female, adjectival": (
        ("Жуковская", "Любовь", "Андреевна", FEMALE),
        (
            "Жуковская Любовь Андреевна",
            "Жуковской Любови Андреевны",
            "Жуковской Любови Андреевне",
            "Жуковскую Любовь Андреевну",
            "Жуковской Любовью Андреевной",
            "Жуковской Любови Андреевне",
        ),
    ),
}


@pytest.mark.parametrize("who", NAMES)
@pytest.mark.parametrize("case", CASES)
def test_a_full_name_in_every_case(who, case):
    (last, first, middle, sex), forms = NAMES[who]
    assert decline_name(last, first, middle, case=case, sex=sex) == forms[CASES.index(case)]


def test_the_iins_sex_digit_decides_before_the_recorded_sex_and_the_patronymic():
    woman_iin, man_iin = make_iin(date(1990, 5, 1), "F"), make_iin(date(1990, 5, 1), "M")
    assert sex_of(iin=woman_iin, sex=MALE, middle_name="Иванович") == FEMALE
    assert sex_of(iin=man_iin, sex=FEMALE, middle_name="Ивановна") == MALE
    assert decline_name("Жанова", "Саша", "", case="accs", iin=woman_iin) == "Жанову Сашу"
    assert decline_name("Жанов", "Саша", "", case="accs", iin=man_iin) == "Жанова Сашу"


@pytest.mark.parametrize(
    ("middle", "expected"),
    [("Петровна", FEMALE), ("Ильинична", FEMALE), ("Ерланқызы", FEMALE), ("Петрович", MALE), ("Бақытұлы", MALE)],
)
def test_without_iin_or_recorded_sex_the_patronymic_decides(middle, expected):
    assert sex_of(first_name="Саша", middle_name=middle) == expected


def test_without_anything_else_the_dictionarys_first_name_decides():
    assert sex_of(first_name="Мария") == FEMALE and sex_of(first_name="Павел") == MALE


def test_several_persons_are_joined_with_and():
    assert join_names(["А"]) == "А"
    assert join_names(["А", "Б"]) == "А и Б"
    assert join_names(["А", "Б", "В"]) == "А, Б и В"


def test_declined_reports_the_sex_it_declined_for():
    assert declined("Иванова", "Мария", "Петровна", sex=FEMALE).female
    assert not declined("Иванов", "Иван", "", iin=make_iin(date(1980, 1, 2), "M"), sex=FEMALE).female


# ---- in rendered acts ----------------------------------------------------------------------------

PERSONS = ["male", "female", "hyphenated female"]


def squeeze(text: str) -> str:
    return " ".join(text.split())


def add_person(case, actor, who: str, role: str, *, born=date(1985, 3, 14)):
    from cases.services.participants import participant_add
    from tests.factories import person_data

    (last, first, middle, sex), _ = NAMES[who]
    data = person_data(born=born, sex=sex, last_name=last, first_name=first, middle_name=middle)
    if role == "suspect":  # only a decree in force makes a suspect (issue #18)
        from tests.cases.decrees import suspect_in_force

        return suspect_in_force(case, actor, born=born, sex=sex, last_name=last, first_name=first, middle_name=middle)
    return participant_add(case_id=case.pk, actor=actor, role=role, person_data=data)


def rendered(case, author, approver, code: str, named: dict, *, language: str = "ru") -> str:
    """Sign (and approve, where required) an act of ``code`` whose participant fields name ``named``; its PDF's text."""
    from cases.act_transitions import ActAction
    from cases.models import ProceduralActType
    from cases.services.act_workflow import act_transition
    from cases.services.acts import act_create
    from tests.cases.signing_helpers import filled_fields

    act_type = ProceduralActType.objects.get(code=code)
    fields, _ = filled_fields(act_type, case, author)
    ids = []
    for name, value in named.items():
        fields[name] = [p.pk for p in value] if isinstance(value, list) else value.pk
        ids += [p.pk for p in value] if isinstance(value, list) else [value.pk]
    act = act_create(
        case_id=case.pk,
        actor=author,
        act_type=act_type,
        language=language,
        place="Астана қ.",
        fields=fields,
        participant_ids=ids,
        body="Текст.",
    )
    act = act_transition(act_id=act.pk, action=ActAction.SIGN, actor=author)
    if act.requirements().needs_approval:
        act = act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=approver)
    # The PDF is rendered from the snapshot frozen at the author's signature (the round's first).
    return squeeze(pdf_text(render_act_pdf(act.renderings.get(step=1).snapshot)))


def form(who: str, case: str) -> str:
    return NAMES[who][1][CASES.index(case)]


def female(who: str) -> bool:
    return NAMES[who][0][3] == FEMALE


@pytest.mark.parametrize("who", PERSONS)
def test_victim_recognition_declines_the_victim_and_agrees_with_her(who, case, investigator, supervisor):
    victim = add_person(case, investigator, who, "victim")
    text = rendered(case, investigator, supervisor, "victim_recognition", {"participant": victim})
    adjective = "потерпевшей" if female(who) else "потерпевшим"
    assert f"{form(who, 'datv')} причинён вред" in text
    assert f"Признать {form(who, 'accs')} {adjective} по уголовному делу" in text
    assert f"Разъяснить {'потерпевшей' if female(who) else 'потерпевшему'} права" in text
    assert f"{form(who, 'nomn')} — {'потерпевшая' if female(who) else 'потерпевший'}" in text  # the participants block
    assert f"Признать {form(who, 'nomn')}" not in text


@pytest.mark.parametrize("who", PERSONS)
@pytest.mark.parametrize(
    ("code", "role", "as_whom"),
    [
        ("interrogation_witness", "witness", ("свидетеля", "свидетеля")),
        ("interrogation_victim", "victim", ("потерпевшего", "потерпевшей")),
        ("interrogation_suspect", "suspect", ("подозреваемого", "подозреваемой")),
    ],
)
def test_an_interrogation_names_the_person_in_the_accusative(
    signing, who, code, role, as_whom, case, investigator, supervisor
):
    person = add_person(case, investigator, who, role)
    text = rendered(case, investigator, supervisor, code, {"interrogated": person})
    assert f"допросил(а) в качестве {as_whom[female(who)]} {form(who, 'accs')}." in text
    assert f"ПО СУЩЕСТВУ ДЕЛА {'ПОКАЗАЛА' if female(who) else 'ПОКАЗАЛ'}:" in text
    if code != "interrogation_suspect":
        assert ("Предупреждена" if female(who) else "Предупреждён ") in text


@pytest.mark.parametrize("who", PERSONS)
def test_the_defence_counsel_and_the_suspects_deed_take_the_genitive(signing, who, case, investigator, supervisor):
    suspect = add_person(case, investigator, who, "suspect")
    counsel = add_person(case, investigator, "hyphenated male", "defence_counsel", born=date(1970, 1, 1))
    text = rendered(
        case, investigator, supervisor, "interrogation_suspect", {"interrogated": suspect, "defence_counsel": counsel}
    )
    assert f"с участием защитника {form('hyphenated male', 'gent')}." in text
    text = rendered(case, investigator, supervisor, "qualification", {"suspect": suspect})
    assert f"деяние {'подозреваемой' if female(who) else 'подозреваемого'} {form(who, 'gent')} по" in text
    text = rendered(case, investigator, supervisor, "case_termination", {"person": suspect})
    assert f"в отношении {form(who, 'gent')}" in text


@pytest.mark.parametrize("who", PERSONS)
def test_a_misdemeanour_protocol_names_the_offender_in_the_instrumental(signing, who, case, investigator, supervisor):
    offender = add_person(case, investigator, who, "suspect")
    text = rendered(case, investigator, supervisor, "misdemeanour_protocol", {"offender": offender})
    assert f"{form(who, 'ablt')} совершён уголовный проступок" in text


def test_several_persons_in_one_sentence(signing, case, investigator, supervisor):
    man = add_person(case, investigator, "male", "witness")
    woman = add_person(case, investigator, "hyphenated female", "victim", born=date(1990, 2, 2))
    text = rendered(case, investigator, supervisor, "confrontation", {"confronted": [man, woman]})
    assert f"очную ставку между {form('male', 'ablt')} и {form('hyphenated female', 'ablt')}." in text
    owner = add_person(case, investigator, "female", "suspect", born=date(1991, 3, 3))
    text = rendered(case, investigator, supervisor, "search", {"owner": owner, "attesting_witnesses": [man, woman]})
    assert f"у {form('female', 'gent')}." in text
    assert f"С участием понятых {form('male', 'gent')} и {form('hyphenated female', 'gent')}." in text
    text = rendered(case, investigator, supervisor, "investigation_completion_notice", {"recipients": [man, owner]})
    assert f"уведомляет {form('male', 'accs')} и {form('female', 'accs')} об окончании" in text


def test_a_kazakh_act_names_persons_in_the_nominative_its_constructions_need(case, investigator, supervisor):
    victim = add_person(case, investigator, "female", "victim")
    text = rendered(case, investigator, supervisor, "victim_recognition", {"participant": victim}, language="kk")
    assert f"жәбірленушіге ({form('female', 'nomn')}) зиян келтірілді" in text
    assert f"1. {form('female', 'nomn')} № {case.registration_number}" in text
    assert "Ивановой" not in text and "Иванову" not in text
    # Reference data in Kazakh too: the article's title, the act type (issue #16, item 4).
    assert "«Ұрлық»" in text and "Кража" not in text and "Постановление" not in text


def test_a_snapshot_from_before_declension_still_renders_its_names():
    """Snapshots frozen before ``people`` existed fall back to the names as they stored them."""
    from tests.cases.test_act_layouts import ACT_TYPES, synthetic_snapshot

    spec = next(s for s in ACT_TYPES if s["code"] == "interrogation_witness")
    snapshot = synthetic_snapshot(spec, "ru")
    del snapshot["people"]
    snapshot["fields"]["interrogated"] = "Иванова Мария Петровна (свидетель)"
    text = squeeze(pdf_text(render_act_pdf(snapshot)))
    assert "в качестве свидетеля Иванова Мария Петровна (свидетель)." in text
    assert "Предупреждён(а)" in text and "ПОКАЗАЛ(А)" in text
