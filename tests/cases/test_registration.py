import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import Unit
from audit.models import AuditEvent
from cases.choices import CaseStatus, Gravity
from cases.models import Case, CriminalCodeArticle, RegistrationSequence
from cases.services.registration import case_register, format_registration_number
from tests.factories import article, register


def rows():
    """Every table a registration writes to."""
    return (
        Case.objects.count(),
        Case.history.count(),
        AuditEvent.objects.count(),
        RegistrationSequence.objects.values_list("last", flat=True).first(),
    )


def test_investigator_registers_a_case_with_number_gravity_and_term(investigator):
    case = register(actor=investigator, articles=("188-1",), form="inquiry", days_ago=0)
    year = timezone.localdate().year % 100
    assert case.registration_number == f"{year:02d}AST-000001"
    assert case.status == CaseStatus.REGISTERED
    assert case.gravity == article("188-1").gravity
    assert case.deadline is not None and case.deadline > timezone.localdate()
    assert case.lead_investigator == investigator


def test_gravity_comes_from_the_gravest_article(investigator, supervisor):
    articles = list(CriminalCodeArticle.objects.order_by("gravity"))
    lightest, gravest = articles[0], articles[-1]
    case = case_register(
        actor=investigator,
        unit=investigator.unit,
        articles=[lightest, gravest],
        proceedings_form="investigation",
        plot="Нанёс тяжкий вред здоровью.",
        supervisor=supervisor,
    )
    assert case.gravity == gravest.gravity == Gravity.ESPECIALLY_GRAVE
    assert set(case.articles.all()) == {lightest, gravest}


def test_numbers_count_up_per_unit_in_the_configured_format(investigator, outsider, settings):
    settings.ECASE_REGISTRATION_NUMBER_FORMAT = "{yyyy}-{unit}-{seq:03d}"
    first, second = register(actor=investigator), register(actor=investigator)
    elsewhere = register(actor=outsider)
    year = timezone.localdate().year
    assert (first.registration_number, second.registration_number) == (f"{year}-AST-001", f"{year}-AST-002")
    assert elsewhere.registration_number == f"{year}-TRZ-001"


def test_the_default_format_keeps_units_with_prefix_codes_apart():
    # Unit codes are prefixes of one another in the tree (75, 751); sequences outgrow six digits.
    short, long = Unit(code="75"), Unit(code="751")
    numbers = {
        format_registration_number(unit=unit, year=2026, seq=seq)
        for unit in (short, long)
        for seq in (1, 10, 1000001, 10000001)
    }
    assert len(numbers) == 8
    assert format_registration_number(unit=short, year=2026, seq=12) == "2675-000012"


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_registrations_get_twenty_distinct_numbers(investigator):
    numbers, errors = [], []
    barrier = threading.Barrier(20)

    def worker(i):
        try:
            barrier.wait()
            numbers.append(register(actor=investigator, plot=f"Кража №{i}").registration_number)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(numbers)) == 20
    assert RegistrationSequence.objects.get(unit=investigator.unit).last == 20


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"articles": []}, "articles"),
        ({"articles": [987654321]}, "articles"),
        ({"registered_at": timezone.now() + timedelta(days=2)}, "registered_at"),
        ({"plot": "   "}, "plot"),
        ({"event_date": timezone.localdate() + timedelta(days=3)}, "event_date"),
        ({"proceedings_form": "tribunal"}, "proceedings_form"),
    ],
)
def test_bad_registration_input_is_refused_and_saves_nothing(investigator, bad, field):
    good = {"articles": [article("188-1")], "plot": "Кража.", "proceedings_form": "inquiry"}
    before = rows()
    with pytest.raises(ValidationError) as error:
        case_register(actor=investigator, unit=investigator.unit, **{**good, **bad})
    assert field in error.value.message_dict
    assert rows() == before


def test_a_number_given_back_by_a_failed_registration_is_reused(investigator):
    register(actor=investigator)
    with pytest.raises(ValidationError):
        case_register(
            actor=investigator, unit=investigator.unit, articles=[article("188-1")], proceedings_form="inquiry", plot=""
        )
    assert register(actor=investigator).registration_number.endswith("000002")
