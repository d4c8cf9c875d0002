"""Search folds Cyrillic the same on PostgreSQL and on the embedded SQLite (issue #13 item 2).

Case-insensitive, ё read as е, the Kazakh letters ә ғ қ ң ө ұ ү һ і kept as letters of their own.
Runs in both pytest invocations of `make test` (the SQLite one selects this file).
"""

from datetime import date

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from cases.choices import ParticipantRole
from cases.models import Person
from cases.search_text import fold
from cases.selectors import CaseFilters, case_list
from cases.services.participants import participant_add, person_update
from tests.auth import verified_client
from tests.factories import make_iin, person_data, register


def found(user, q):
    return set(case_list(user=user, filters=CaseFilters(q=q)))


def suspect(case, actor, last_name, born):
    return participant_add(
        case_id=case.pk,
        actor=actor,
        role=ParticipantRole.WITNESS,
        person_data=person_data(born=born, last_name=last_name, iin=make_iin(born, "M")),
    )


@pytest.fixture
def cases(investigator, outsider):
    theft = register(actor=investigator, plot="Кража велосипеда из подъезда дома.")
    fraud = register(actor=investigator, plot="Мошенничество: завладел деньгами потерпевшей.")
    foreign = register(actor=outsider, plot="Кража велосипеда.")
    suspect(theft, investigator, "Ёлкин", date(1980, 1, 2))
    suspect(fraud, investigator, "Елкина", date(1981, 2, 3))
    kazakh = register(actor=investigator, plot="Угон автомобиля.")
    suspect(kazakh, investigator, "Қасымов", date(1982, 3, 4))
    russian = register(actor=investigator, plot="Угон мотоцикла.")
    suspect(russian, investigator, "Касымов", date(1983, 4, 5))
    suspect(foreign, outsider, "Ёлкин", date(1984, 5, 6))
    return {"theft": theft, "fraud": fraud, "foreign": foreign, "kazakh": kazakh, "russian": russian}


def test_fold_lowercases_reads_yo_as_ye_and_keeps_kazakh_letters():
    assert fold("  ЁЛКИН  Пётр ") == "елкин петр"
    assert fold("ӘҒҚҢӨҰҮҺІ") == "әғқңөұүһі"
    assert fold("Е\u0308лкин") == "елкин"  # a decomposed ё (е + combining diaeresis) too
    assert fold("Қасымов") != fold("Касымов")


def test_a_lower_case_plot_word_finds_the_capitalised_one(investigator, cases):
    assert found(investigator, "кража") == {cases["theft"]}
    assert found(investigator, "КРАЖА") == {cases["theft"]}


def test_yo_and_ye_find_each_other_in_surnames(investigator, cases):
    assert found(investigator, "ёлкин") == {cases["theft"], cases["fraud"]}
    assert found(investigator, "ЕЛКИН") == {cases["theft"], cases["fraud"]}
    assert found(investigator, "Ёлкина") == {cases["fraud"]}


def test_a_kazakh_surname_is_found_by_its_own_letters_only(investigator, cases):
    assert found(investigator, "қасым") == {cases["kazakh"]}
    assert found(investigator, "ҚАСЫМОВ") == {cases["kazakh"]}
    assert found(investigator, "касым") == {cases["russian"]}


def test_surname_then_first_name_narrows_the_match(investigator, cases):
    # person_data's first name is Ерлан: "last first middle" is compared by prefix.
    assert found(investigator, "елкин ерл") == {cases["theft"]}
    assert found(investigator, "елкин ахмет") == set()


def test_search_stays_within_visible_cases(outsider, cases):
    assert found(outsider, "ёлкин") == {cases["foreign"]}
    assert found(outsider, "кража") == {cases["foreign"]}


def test_the_case_list_page_finds_by_a_lower_case_word(investigator, cases):
    page = verified_client(investigator).get(reverse("cases:list"), {"q": "кража"}).content.decode()
    assert cases["theft"].registration_number in page
    assert cases["fraud"].registration_number not in page


def test_a_corrected_name_is_found_under_the_new_name_only(investigator, cases):
    person = Person.objects.get(last_name="Касымов")
    person_update(person_id=person.pk, actor=investigator, reason="Опечатка в фамилии", last_name="Қасымбеков")
    assert found(investigator, "қасымбек") == {cases["russian"]}
    assert found(investigator, "касымов") == set()
    # The folded column is derived data: the history page shows the name, never the column.
    assert "search_name" not in {f.name for f in Person.history.model._meta.fields}


def test_the_migration_fills_the_folded_names_of_existing_persons(investigator, cases):
    fill = __import__(
        "cases.migrations.0009_search_folding_and_indexes", fromlist=["fill_search_names"]
    ).fill_search_names
    with connection.cursor() as cursor:  # as the rows stood before the migration added the column
        cursor.execute("UPDATE cases_person SET search_name = ''")
    fill(apps, None)
    assert Person.objects.get(last_name="Ёлкин", participations__case=cases["theft"]).search_name.startswith(
        "елкин ерлан"
    )
    assert found(investigator, "қасым") == {cases["kazakh"]}
