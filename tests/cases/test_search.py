"""Finding cases: by number, IIN, article, surname or words of the plot — only among visible cases."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.choices import CaseStatus, ParticipantRole
from cases.clock_selectors import clocks_due
from cases.models import Case
from cases.selectors import CaseFilters, case_list
from cases.services.case import case_transition
from cases.services.participants import participant_add
from tests.auth import verified_client
from tests.factories import person_data, register


@pytest.fixture(autouse=True, params=["candidates", "walk", "walk of a large scope"])
def search_shape(request, monkeypatch):
    """Every search test in each shape the search takes (cases/selectors.py _search): a rare term's
    candidates, and the row test of a common one, also over a supervisor's large scope (the shapes
    of 1,000,000 cases, forced on test data by lowering the thresholds)."""
    from cases import selectors
    from cases.access import scope as case_module

    if request.param != "candidates":
        monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 0)
    if request.param == "walk of a large scope":
        monkeypatch.setattr(case_module, "SMALL_SCOPE", 1)
    return request.param


@pytest.fixture
def cases(investigator, outsider):
    theft = register(actor=investigator, articles=("188-1",), plot="Похитил мобильные телефоны из магазина.")
    fraud = register(actor=investigator, articles=("190-1",), plot="Обманом завладел деньгами потерпевшей.")
    foreign = register(actor=outsider, articles=("188-1",), plot="Похитил телефон.")
    suspect = participant_add(
        case_id=fraud.pk,
        actor=investigator,
        role=ParticipantRole.WITNESS,
        person_data=person_data(last_name="Нұрмағамбетов"),
    )
    participant_add(
        case_id=foreign.pk,
        actor=outsider,
        role=ParticipantRole.WITNESS,
        person_data={**person_data(last_name="Нұрмағамбетов"), "iin": suspect.person.iin},
    )
    return {"theft": theft, "fraud": fraud, "foreign": foreign, "iin": suspect.person.iin}


def found(user, **filters):
    return set(case_list(user=user, filters=CaseFilters(**filters)))


def test_by_registration_number(investigator, cases):
    assert found(investigator, q=cases["fraud"].registration_number) == {cases["fraud"]}


def test_by_iin_only_among_visible_cases(investigator, cases):
    assert found(investigator, q=cases["iin"]) == {cases["fraud"]}


def test_by_article(investigator, cases):
    assert found(investigator, q="188") == {cases["theft"]}
    assert found(investigator, q="190-1") == {cases["fraud"]}


def test_by_surname(investigator, cases):
    assert found(investigator, q="Нұрмағамбетов") == {cases["fraud"]}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="stemming is PostgreSQL's full-text search; SQLite matches folded words (docs/ARCHITECTURE.md)",
)
def test_by_words_of_the_plot_with_russian_stemming(investigator, cases):
    assert found(investigator, q="телефон") == {cases["theft"]}
    assert found(investigator, q="деньги потерпевшей") == {cases["fraud"]}


@pytest.mark.parametrize("q", ["' OR 1=1 --", "%", "_", "\\", "телефон'; DROP TABLE cases_case; --", "a" * 200])
def test_sql_metacharacters_find_nothing_and_break_nothing(investigator, cases, q):
    assert cases["foreign"] not in found(investigator, q=q)
    response = verified_client(investigator).get(reverse("cases:list"), {"q": q, "status": "registered'--"})
    assert response.status_code == 200


def test_filters_status_and_overdue(investigator, prosecutor, cases):
    case_transition(case_id=cases["theft"].pk, action="start", actor=investigator)
    assert found(investigator, status=CaseStatus.INVESTIGATING) == {cases["theft"]}
    assert found(investigator, overdue=True) == set()


def test_overdue_and_soon(investigator):
    old = register(actor=investigator, articles=("293-1",), form="protocol", days_ago=20)  # 10-day term, long over
    fresh = register(actor=investigator, form="inquiry", days_ago=0)  # 30 days left
    assert found(investigator, overdue=True) == {old}
    assert [case for case, _clock in clocks_due(Case.objects.restrict(investigator), hours=5 * 24)] == [old]
    page = verified_client(investigator).get("/").content.decode()
    assert 'class="overdue"' in page
    assert fresh.deadline > timezone.localdate() + timedelta(days=5)


def test_a_supervisor_finds_the_units_cases_only(supervisor, cases):
    assert found(supervisor, q="Нұрмағамбетов") == {cases["fraud"]}
    assert found(supervisor, q="188") == {cases["theft"]}
    assert found(supervisor, q=cases["iin"]) == {cases["fraud"]}
    assert found(supervisor, q=cases["theft"].registration_number.lower()) == {cases["theft"]}
    assert found(supervisor, q="188", status=CaseStatus.INVESTIGATING) == set()


def test_a_search_costs_its_capped_candidates_and_the_page(investigator, cases, search_shape):
    from django.test.utils import CaptureQueriesContext

    list(case_list(user=investigator, filters=CaseFilters(q="x")))  # the user's groups, once per user object
    with CaptureQueriesContext(connection) as queries:
        assert list(case_list(user=investigator, filters=CaseFilters(q="Нұрмағамбетов"))) == [cases["fraud"]]
    related, *plot, page = (query["sql"] for query in queries)
    assert "UNION ALL" in related and "LIMIT" in related
    # The plot's matches among the user's cases are looked up only while the names are few.
    assert len(plot) == (search_shape == "candidates"), plot
    assert all("LIMIT" in sql and "UNION" not in sql for sql in plot), plot
    assert ("EXISTS" in page) == (search_shape != "candidates")  # the walk tests each row
