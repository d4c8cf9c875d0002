"""Names, IINs, addresses and phones of made-up people (Kazakh and Russian, in Cyrillic).

IINs are generated so that they are valid and agree with the birth date and sex (DESIGN §3).
``iin_for_index`` maps an integer to an IIN injectively, so a bulk run that numbers its
persons never produces the same IIN twice without having to remember the ones it issued.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from cases.choices import Sex
from cases.iin import check_digit

MALE_FIRST = (
    "Нұрлан",
    "Ерлан",
    "Асхат",
    "Бауыржан",
    "Дәурен",
    "Ерболат",
    "Қанат",
    "Серік",
    "Мұрат",
    "Айдар",
    "Арман",
    "Жандос",
    "Ербол",
    "Тимур",
    "Руслан",
    "Данияр",
    "Әлихан",
    "Ілияс",
    "Олжас",
    "Сергей",
    "Александр",
    "Дмитрий",
    "Андрей",
    "Виктор",
    "Игорь",
    "Павел",
    "Максим",
    "Азамат",
    "Ғалым",
    "Жігер",
)
FEMALE_FIRST = (
    "Әсем",
    "Айгүл",
    "Гүлнар",
    "Динара",
    "Жанар",
    "Мадина",
    "Сәуле",
    "Әйгерім",
    "Ақмарал",
    "Назерке",
    "Ұлжан",
    "Лаура",
    "Камила",
    "Дана",
    "Қарлығаш",
    "Алия",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Анна",
    "Светлана",
    "Мария",
    "Айнұр",
    "Жұлдыз",
    "Балжан",
    "Інжу",
    "Меруерт",
    "Томирис",
)
# Kazakh surnames take -ов/-ова or -ев/-ева; a few indeclinable ones stay the same.
SURNAME_STEMS = (
    "Ахмет",
    "Жұмабек",
    "Серік",
    "Оспан",
    "Қасым",
    "Сейткали",
    "Нұрланов",
    "Әбдір",
    "Байжан",
    "Тоқтар",
    "Есен",
    "Мұқан",
    "Ермек",
    "Жақсыбек",
    "Сәрсен",
    "Әлім",
    "Қожахмет",
    "Бекмұхамед",
    "Төлеген",
    "Омар",
    "Иван",
    "Петр",
    "Смирн",
    "Кузнец",
    "Попов",
    "Ким",
    "Пак",
    "Цой",
    "Шевченко",
    "Бондаренко",
)
_INDECLINABLE = {"Ким", "Пак", "Цой", "Шевченко", "Бондаренко"}
_ALREADY_SUFFIXED = {"Нұрланов", "Попов"}
PATRONYMIC_STEMS = ("Қанат", "Серік", "Мұрат", "Ерлан", "Асхат", "Бақыт", "Нұрлан", "Жандос", "Арман", "Болат")
# Keyed by the sex code ("M"/"F") that generated persons carry as plain strings.
RUSSIAN_PATRONYMICS: dict[str, tuple[str, ...]] = {
    Sex.MALE: ("Сергеевич", "Александрович", "Викторович", "Игоревич", "Петрович"),
    Sex.FEMALE: ("Сергеевна", "Александровна", "Викторовна", "Игоревна", "Петровна"),
}
_RUSSIAN_FIRST = {
    "Сергей",
    "Александр",
    "Дмитрий",
    "Андрей",
    "Виктор",
    "Игорь",
    "Павел",
    "Максим",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Анна",
    "Светлана",
    "Мария",
}

CITIES = {
    "Астана": ("пр. Мәңгілік Ел", "ул. Кенесары", "пр. Республики", "ул. Сарыарка", "ул. Бейбітшілік", "пр. Абая"),
    "Тараз": ("ул. Толе би", "пр. Жамбыла", "ул. Казыбек би", "ул. Сулейменова", "ул. Айтеке би"),
    "Алматы": ("пр. Абая", "ул. Толе би", "пр. Достык", "ул. Жандосова", "мкр. Самал-2"),
    "Шымкент": ("пр. Тауке хана", "ул. Байтурсынова", "мкр. Нурсат", "ул. Казыбек би"),
    "Караганда": ("пр. Бухар-Жырау", "ул. Ерубаева", "пр. Нуркена Абдирова", "мкр. Степной-2"),
    "Актобе": ("пр. Абилкайыр хана", "ул. Маресьева", "пр. Санкибай батыра"),
    "Усть-Каменогорск": ("пр. Независимости", "ул. Казахстан", "ул. Протозанова"),
}
MOBILE_PREFIXES = ("701", "702", "705", "707", "747", "771", "775", "777", "778")

# Birth dates of generated persons: adults at any offence dated after 2022.
BIRTH_FROM = date(1950, 1, 1)
BIRTH_TO = date(2004, 12, 31)
_BIRTH_DAYS = (BIRTH_TO - BIRTH_FROM).days + 1
_CENTURY_DIGIT = {1800: 1, 1900: 3, 2000: 5}
# iin_for_index: index -> (birth day, sex, three serial digits, the n-th valid last serial digit).
IIN_CAPACITY = _BIRTH_DAYS * 2 * 1000 * 9
_SCRAMBLE = 2_147_483_629  # a prime that divides no factor of IIN_CAPACITY: multiplication permutes indexes


def surname(stem: str, sex: str) -> str:
    if stem in _INDECLINABLE:
        return stem
    if stem in _ALREADY_SUFFIXED:
        return stem + ("а" if sex == Sex.FEMALE else "")
    suffix = "ев" if stem[-1] in "йьжшщчц" else "ов"
    return stem + suffix + ("а" if sex == Sex.FEMALE else "")


def patronymic(rng: random.Random, first_name: str, sex: str) -> str:
    if first_name in _RUSSIAN_FIRST:
        return rng.choice(RUSSIAN_PATRONYMICS[sex])
    stem = rng.choice(PATRONYMIC_STEMS)
    return stem + ("ұлы" if sex == Sex.MALE else "қызы")


def iin_with_serial(born: date, sex: str, serial: int) -> str | None:
    """The IIN for ``born``, ``sex`` and the four serial digits, or None if its check digit does not exist."""
    century = _CENTURY_DIGIT[born.year // 100 * 100] + (1 if sex == Sex.FEMALE else 0)
    first = f"{born:%y%m%d}{century}{serial:04d}"
    digit = check_digit(first)
    return None if digit is None else first + str(digit)


def iin_for_index(index: int) -> tuple[str, date, str]:
    """A valid IIN, with the birth date and sex it encodes, for ``0 <= index < IIN_CAPACITY``; injective.

    For ten candidates of the last serial digit at most one lacks a check digit (the first
    weighted sum does not depend on digit 11, whose weight is 11; in the second sum digit 11
    has weight 2, which takes ten distinct values mod 11), so the n-th valid one (n < 9) exists.
    """
    k = (index * _SCRAMBLE) % IIN_CAPACITY
    k, day = divmod(k, _BIRTH_DAYS)
    k, sex_bit = divmod(k, 2)
    nth, serial3 = divmod(k, 1000)
    born = BIRTH_FROM + timedelta(days=day)
    sex = "F" if sex_bit else "M"
    century = _CENTURY_DIGIT[born.year // 100 * 100] + sex_bit
    digits = [
        born.year // 10 % 10,
        born.year % 10,
        born.month // 10,
        born.month % 10,
        born.day // 10,
        born.day % 10,
        century,
        serial3 // 100,
        serial3 // 10 % 10,
        serial3 % 10,
    ]
    first_sum = sum(d * w for d, w in zip(digits, _W1)) % 11
    second_sum = sum(d * w for d, w in zip(digits, _W2))
    prefix = "".join(map(str, digits))
    if first_sum != 10:  # every last digit is valid; its own check digit ignores it (weight 11)
        return f"{prefix}{nth}{first_sum}", born, sex
    seen = -1
    for last in range(10):
        check = (second_sum + 2 * last) % 11
        if check != 10:
            seen += 1
            if seen == nth:
                return f"{prefix}{last}{check}", born, sex
    raise AssertionError("unreachable: nine valid last digits exist for every prefix")


_W1 = tuple(range(1, 11))
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1)


@dataclass
class PersonFacts:
    iin: str
    last_name: str
    first_name: str
    middle_name: str
    birth_date: date
    sex: str
    address: str
    phone: str

    def as_person_data(self) -> dict:
        """Keyword data for cases.services.participants.participant_add(person_data=...)."""
        return {
            "iin": self.iin,
            "last_name": self.last_name,
            "first_name": self.first_name,
            "middle_name": self.middle_name,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "address": self.address,
            "phone": self.phone,
        }


def address(rng: random.Random, city: str) -> str:
    streets = CITIES.get(city) or CITIES["Астана"]
    return f"г. {city}, {rng.choice(streets)}, д. {rng.randint(1, 150)}, кв. {rng.randint(1, 240)}"


def phone(rng: random.Random) -> str:
    n = rng.randrange(10_000_000)
    return f"+7 {rng.choice(MOBILE_PREFIXES)} {n // 10000:03d} {n // 100 % 100:02d} {n % 100:02d}"


def names(rng: random.Random, sex: str) -> tuple[str, str, str]:
    """(last, first, middle) names for ``sex``."""
    first = rng.choice(MALE_FIRST if sex == Sex.MALE else FEMALE_FIRST)
    return surname(rng.choice(SURNAME_STEMS), sex), first, patronymic(rng, first, sex)


def person_for_index(index: int, rng: random.Random, city: str) -> PersonFacts:
    iin, born, sex = iin_for_index(index)
    last, first, middle = names(rng, sex)
    return PersonFacts(
        iin=iin,
        last_name=last,
        first_name=first,
        middle_name=middle,
        birth_date=born,
        sex=sex,
        address=address(rng, city),
        phone=phone(rng),
    )


def person(
    rng: random.Random,
    *,
    born: date,
    sex: str,
    city: str,
    serial: int,
    last_name: str = "",
    first_name: str = "",
    middle_name: str = "",
) -> PersonFacts:
    """A person with a valid IIN for ``born`` and ``sex``; ``serial`` picks the IIN's serial digits."""
    for attempt in range(10):
        iin = iin_with_serial(born, sex, (serial + attempt) % 10000)
        if iin is not None:
            break
    else:  # pragma: no cover - at most one of ten consecutive serials lacks a check digit
        raise AssertionError("no valid IIN")
    generated = names(rng, sex)
    return PersonFacts(
        iin=iin,
        last_name=last_name or generated[0],
        first_name=first_name or generated[1],
        middle_name=middle_name or generated[2],
        birth_date=born,
        sex=sex,
        address=address(rng, city),
        phone=phone(rng),
    )
