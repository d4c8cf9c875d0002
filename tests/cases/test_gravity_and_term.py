from datetime import date

import pytest

from cases.choices import Gravity, Intent
from cases.deadlines import Period, add_months, compute_deadline
from cases.gravity import derive_gravity


@pytest.mark.parametrize(
    "intent,months,life,expected",
    [
        (Intent.INTENTIONAL, 24, False, Gravity.SMALL),
        (Intent.INTENTIONAL, 25, False, Gravity.MEDIUM),
        (Intent.INTENTIONAL, 60, False, Gravity.MEDIUM),
        (Intent.INTENTIONAL, 61, False, Gravity.GRAVE),
        (Intent.INTENTIONAL, 144, False, Gravity.GRAVE),
        (Intent.INTENTIONAL, 145, False, Gravity.ESPECIALLY_GRAVE),
        (Intent.INTENTIONAL, 240, True, Gravity.ESPECIALLY_GRAVE),
        (Intent.NEGLIGENT, 60, False, Gravity.SMALL),
        (Intent.NEGLIGENT, 84, False, Gravity.MEDIUM),
        (Intent.INTENTIONAL, None, False, Gravity.SMALL),
    ],
)
def test_gravity_follows_the_maximum_imprisonment_and_the_form_of_guilt(intent, months, life, expected):
    assert (
        derive_gravity(is_misdemeanour=False, intent=intent, max_imprisonment_months=months, life_imprisonment=life)
        == expected
    )


def test_a_misdemeanour_is_its_own_category():
    assert (
        derive_gravity(
            is_misdemeanour=True, intent=Intent.INTENTIONAL, max_imprisonment_months=None, life_imprisonment=False
        )
        == Gravity.MISDEMEANOUR
    )


@pytest.mark.parametrize(
    "start,months,expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 12, 1), 12, date(2027, 12, 1)),
    ],
)
def test_months_are_calendar_months(start, months, expected):
    assert add_months(start, months) == expected


def test_deadline_adds_extensions_and_the_days_the_clock_stood_still():
    deadline = compute_deadline(
        start=date(2026, 3, 1),
        term_days=None,
        term_months=2,
        extension_days=[30, 10],
        interruptions=[Period(date(2026, 3, 10), date(2026, 3, 20))],
    )
    assert deadline == date(2026, 6, 20)  # 1 May, +40 days of extensions, +10 days interrupted


def test_an_open_interruption_stops_the_clock():
    assert (
        compute_deadline(
            start=date(2026, 3, 1),
            term_days=10,
            term_months=None,
            extension_days=[],
            interruptions=[Period(date(2026, 3, 5), None)],
        )
        is None
    )


def test_a_term_in_days():
    assert compute_deadline(
        start=date(2026, 3, 1), term_days=10, term_months=None, extension_days=[], interruptions=[]
    ) == date(2026, 3, 11)
