from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cases.iin import check_digit, parse_iin
from tests.factories import make_iin


def test_the_design_example_is_valid_and_encodes_a_man_born_in_1979():
    facts = parse_iin("791028302728")
    assert facts.birth_date == date(1979, 10, 28)
    assert facts.sex == "M"


@pytest.mark.parametrize("bad", ["791028302727", "791028302729", "891028302728"])
def test_a_wrong_check_digit_is_refused(bad):
    with pytest.raises(ValidationError) as error:
        parse_iin(bad)
    assert error.value.code == "iin_checksum"


@pytest.mark.parametrize("bad", ["", "79102830272", "7910283027281", "79102830272a", "７９１０２８３０２７２８"])
def test_anything_but_twelve_ascii_digits_is_refused(bad):
    with pytest.raises(ValidationError) as error:
        parse_iin(bad)
    assert error.value.code == "iin_format"


def test_the_second_weighting_is_used_when_the_first_sum_gives_ten():
    # Find eleven digits whose first weighted sum is 10 and check the fallback weights decide.
    for serial in range(10000):
        first = f"8501013{serial:04d}"
        if sum(int(d) * w for d, w in zip(first, range(1, 12))) % 11 == 10:
            second = sum(int(d) * w for d, w in zip(first, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2))) % 11
            assert check_digit(first) == (None if second == 10 else second)
            break
    else:
        pytest.fail("no eleven digits with a first sum of 10 in the range")


def test_a_number_whose_both_sums_give_ten_has_no_valid_check_digit():
    found = [f"8501013{s:04d}" for s in range(10000) if check_digit(f"8501013{s:04d}") is None]
    assert found, "some serials must be unusable"
    for first in found[:5]:
        for last in "0123456789":
            with pytest.raises(ValidationError):
                parse_iin(first + last)


def test_an_impossible_birth_date_is_refused():
    first = "791328302"  # month 13
    for tail in range(100):
        body = f"{first}{tail:02d}"
        digit = check_digit(body)
        if digit is not None:
            with pytest.raises(ValidationError) as error:
                parse_iin(body + str(digit))
            assert error.value.code == "iin_birth_date"
            return
    pytest.fail("no candidate")


@pytest.mark.parametrize("born,sex", [(date(1899, 12, 31), "F"), (date(1950, 1, 1), "M"), (date(2004, 2, 29), "F")])
def test_generated_numbers_round_trip_birth_date_and_sex(born, sex):
    facts = parse_iin(make_iin(born, sex))
    assert (facts.birth_date, facts.sex) == (born, sex)
