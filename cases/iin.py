"""Individual identification number (ИИН / ЖСН) of the Republic of Kazakhstan.

Twelve digits: 1-6 the birth date (YYMMDD), 7 the century and sex, 8-11 a serial
number, 12 a check digit. Kept as text everywhere: leading zeros are significant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_FIRST_WEIGHTS = tuple(range(1, 12))
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# Digit 7: century of birth and sex.
_CENTURY_SEX = {
    "1": (1800, "M"),
    "2": (1800, "F"),
    "3": (1900, "M"),
    "4": (1900, "F"),
    "5": (2000, "M"),
    "6": (2000, "F"),
}


@dataclass(frozen=True)
class IinFacts:
    birth_date: date
    sex: str  # "M" or "F", as cases.choices.Sex


def check_digit(first_eleven: str) -> int | None:
    """The 12th digit for the first eleven, or None when no valid IIN has them."""
    digits = [int(c) for c in first_eleven]
    s = sum(d * w for d, w in zip(digits, _FIRST_WEIGHTS)) % 11
    if s == 10:
        s = sum(d * w for d, w in zip(digits, _SECOND_WEIGHTS)) % 11
        if s == 10:
            return None
    return s


def parse_iin(value: str) -> IinFacts:
    """Validate ``value`` and return the birth date and sex it encodes; raise ValidationError otherwise."""
    if not isinstance(value, str) or len(value) != 12 or not value.isascii() or not value.isdigit():
        raise ValidationError(_("An IIN is exactly 12 digits."), code="iin_format")
    if check_digit(value[:11]) != int(value[11]):
        raise ValidationError(_("The IIN's check digit is wrong: check the number."), code="iin_checksum")
    try:
        century, sex = _CENTURY_SEX[value[6]]
    except KeyError:
        raise ValidationError(_("The IIN's 7th digit (century and sex) must be 1-6."), code="iin_century") from None
    try:
        born = date(century + int(value[0:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        raise ValidationError(_("The IIN does not start with a valid birth date."), code="iin_birth_date") from None
    return IinFacts(birth_date=born, sex=sex)


def validate_iin(value: str) -> None:
    """Django field validator."""
    parse_iin(value)
