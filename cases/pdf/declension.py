"""Persons' names declined for Russian acts: «допросил свидетеля Иванову Марию Петровну».

A Russian act names a person in the grammatical case its sentence needs. Each part of the name is
declined on its own, by the person's sex:

* **sex**: the IIN's 7th digit where the IIN is known and valid (odd = male), else the recorded
  sex, else the patronymic's ending (-вич/-ич/-ұлы/-улы male, -вна/-чна/-қызы/-кызы female),
  else the first name as the dictionary knows it;
* **patronymics** follow fixed patterns (-ович → -овича, -овна → -овны); Kazakh patronymics in
  -ұлы/-улы/-қызы/-кызы and Turkic -оглы/-кызы are not declined in Russian;
* **surnames** of the productive Russian patterns (-ов/-ев/-ин/-ын and their feminines,
  adjectival -ский/-цкий/-ой/-ый/-ая) by rule, because the dictionary reads Kazakh surnames of
  that shape (Қасымов, Нурланов) as plural first names; any other surname through pymorphy3's
  surname paradigms, and failing that by the general rules (a man's surname ending in a consonant
  declines, a woman's does not; one in -а/-я declines for both; other vowels never);
* **first names** through pymorphy3's first-name paradigms (Павел → Павла, Любовь → Любови),
  and names it does not know (many Kazakh ones, written with Kazakh letters) by the same general
  rules: Әділ → Әділа, Ақбота → Ақботы, Гүлнұр stays.

Hyphenated surnames and first names decline part by part (Петрова-Водкина → Петровой-Водкиной).
The cases are pymorphy's names: nomn, gent, datv, accs, ablt, loct.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
MALE, FEMALE = "M", "F"

_HUSHING = set("жшчщц")
_VELAR_OR_HUSHING = set("гкхжшчщқғһ")  # after these Russian writes -и, not -ы (Айша → Айши, Ольга → Ольги)
_VOWELS = set("аеёиоуыэюяәіөүұ")
_INDECLINABLE_PATRONYMIC = ("ұлы", "улы", "қызы", "кызы", "оглы", "оглу", "кзы")
_MALE_PATRONYMIC = ("вич", "ич", "ұлы", "улы", "оглы", "оглу")
_FEMALE_PATRONYMIC = ("вна", "чна", "қызы", "кызы", "кзы")


@dataclass(frozen=True)
class DeclinedName:
    """One person's full name in each case, and the sex it was declined for."""

    forms: dict[str, str]
    female: bool

    def __getitem__(self, case: str) -> str:
        return self.forms[case]


@cache
def _morph():
    # Loaded once per process (about 15 MB of dictionary, a fraction of a second).
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def sex_of(*, iin: str | None = None, sex: str | None = None, first_name: str = "", middle_name: str = "") -> str:
    """MALE or FEMALE: from the IIN's sex digit, the recorded sex, the patronymic, the first name."""
    if iin and len(iin) == 12 and iin.isdigit() and iin[6] in "123456":
        return MALE if int(iin[6]) % 2 else FEMALE
    if sex in (MALE, FEMALE):
        return sex
    patronymic = middle_name.strip().lower()
    if patronymic.endswith(_FEMALE_PATRONYMIC):
        return FEMALE
    if patronymic.endswith(_MALE_PATRONYMIC):
        return MALE
    for parse in _morph().parse(first_name.strip().lower()) if first_name.strip() else ():
        if "Name" in parse.tag and parse.tag.gender in ("masc", "femn"):
            return MALE if parse.tag.gender == "masc" else FEMALE
    return MALE


def _keep_case(pattern: str, word: str) -> str:
    """``word`` spelled with the capitals of ``pattern`` (the dictionary answers in lower case)."""
    if pattern.isupper() and len(pattern) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if pattern[:1].isupper() else word


def _replace(word: str, drop: int, ending: str) -> str:
    return word[: len(word) - drop] + ending if drop else word + ending


def _first_declension(word: str, case: str) -> str:
    """A word in -а/-я, declined like мама / Мария / Илья."""
    low = word.lower()
    if low.endswith("ия"):
        return _replace(word, 1, {"nomn": "я", "gent": "и", "datv": "и", "accs": "ю", "ablt": "ей", "loct": "и"}[case])
    if low.endswith("я"):
        return _replace(word, 1, {"nomn": "я", "gent": "и", "datv": "е", "accs": "ю", "ablt": "ей", "loct": "е"}[case])
    before = low[-2:-1]
    gent = "и" if before in _VELAR_OR_HUSHING else "ы"
    ablt = "ей" if before in _HUSHING else "ой"
    return _replace(word, 1, {"nomn": "а", "gent": gent, "datv": "е", "accs": "у", "ablt": ablt, "loct": "е"}[case])


def _second_declension(word: str, case: str) -> str:
    """A man's name or surname ending in a consonant (Нурлан, Әділ, Ким), -й or -ь."""
    if case == "nomn":
        return word
    low = word.lower()
    if low.endswith(("й", "ь")):
        endings = {"gent": "я", "datv": "ю", "accs": "я", "ablt": "ем", "loct": "е"}
        return _replace(word, 1, endings[case])
    ablt = "ем" if low[-1] in _HUSHING else "ом"
    return word + {"gent": "а", "datv": "у", "accs": "а", "ablt": ablt, "loct": "е"}[case]


def _general(word: str, case: str, female: bool) -> str:
    """The general rules for a name the dictionary does not know."""
    low = word.lower()
    if low.endswith(("а", "я")):
        return _first_declension(word, case)
    if female or low[-1:] in _VOWELS:
        return word
    return _second_declension(word, case)


def _from_dictionary(word: str, case: str, female: bool, kind: str) -> str | None:
    """``word`` declined through a pymorphy3 paradigm of ``kind`` (Name, Surn) for the sex, or None."""
    gender = "femn" if female else "masc"
    for parse in _morph().parse(word.lower()):
        tag = parse.tag
        if kind not in tag or tag.case != "nomn" or tag.number != "sing":
            continue
        if tag.gender != gender and "ms-f" not in tag:
            continue
        if parse.word.replace("ё", "е") != word.lower().replace("ё", "е"):
            continue
        if "Fixd" in tag:
            return word
        inflected = parse.inflect({case})
        if inflected is not None:
            return _keep_case(word, inflected.word)
    return None


# Surname endings declined by rule, longest first: (ending, sex, {case: replacement of the ending}).
_SURNAME_RULES: list[tuple[str, str, dict[str, str]]] = []
for _end in ("ов", "ев", "ёв", "ин", "ын"):
    _SURNAME_RULES.append((_end, MALE, {c: _end + e for c, e in zip(CASES, ("", "а", "у", "а", "ым", "е"))}))
    _SURNAME_RULES.append(
        (_end + "а", FEMALE, {c: _end + e for c, e in zip(CASES, ("а", "ой", "ой", "у", "ой", "ой"))})
    )
for _end, _stem, _i in (
    ("ский", "ск", "и"),
    ("цкий", "цк", "и"),
    ("ской", "ск", "и"),
    ("цкой", "цк", "и"),
    ("кий", "к", "и"),
    ("гий", "г", "и"),
    ("хий", "х", "и"),
    ("ый", "", "ы"),
    ("ой", "", "ы"),
):
    _SURNAME_RULES.append(
        (_end, MALE, {c: _stem + e for c, e in zip(CASES, (_end[len(_stem) :], "ого", "ому", "ого", _i + "м", "ом"))})
    )
for _end, _stem in (("ская", "ск"), ("цкая", "цк"), ("ая", "")):
    _SURNAME_RULES.append(
        (_end, FEMALE, {c: _stem + e for c, e in zip(CASES, (_end[len(_stem) :], "ой", "ой", "ую", "ой", "ой"))})
    )
_SURNAME_RULES.sort(key=lambda rule: -len(rule[0]))


def _surname_part(word: str, case: str, female: bool) -> str:
    low = word.lower()
    if case == "nomn" or low.endswith(("ых", "их")):
        return word
    sex = FEMALE if female else MALE
    for ending, rule_sex, forms in _SURNAME_RULES:
        # A rule needs a stem before its ending: «Ов» or «Ая» alone are not patterns.
        if rule_sex == sex and low.endswith(ending) and len(low) > len(ending) + 1:
            return word[: len(word) - len(ending)] + _keep_case(word[-len(ending) :], forms[case])
    return _from_dictionary(word, case, female, "Surn") or _general(word, case, female)


def _first_name_part(word: str, case: str, female: bool) -> str:
    if case == "nomn":
        return word
    return _from_dictionary(word, case, female, "Name") or _general(word, case, female)


def _patronymic(word: str, case: str, female: bool) -> str:
    low = word.lower()
    if case == "nomn" or low.endswith(_INDECLINABLE_PATRONYMIC):
        return word
    if low.endswith("ич") and not female:
        return _second_declension(word, case)
    if low.endswith("на") and female:
        return _first_declension(word, case)
    return _general(word, case, female)


def _hyphenated(name: str, case: str, female: bool, decline) -> str:
    return "-".join(decline(part, case, female) if part else part for part in name.split("-"))


def decline_name(
    last_name: str,
    first_name: str,
    middle_name: str = "",
    *,
    case: str,
    iin: str | None = None,
    sex: str | None = None,
) -> str:
    """The full name "Фамилия Имя Отчество" in ``case`` (one of CASES)."""
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}; one of {', '.join(CASES)}")
    female = sex_of(iin=iin, sex=sex, first_name=first_name, middle_name=middle_name) == FEMALE
    parts = [
        _hyphenated(last_name.strip(), case, female, _surname_part),
        _hyphenated(first_name.strip(), case, female, _first_name_part),
        _hyphenated(middle_name.strip(), case, female, _patronymic) if middle_name.strip() else "",
    ]
    return " ".join(part for part in parts if part)


def declined(
    last_name: str, first_name: str, middle_name: str = "", *, iin: str | None = None, sex: str | None = None
) -> DeclinedName:
    """The full name in every case of CASES."""
    female = sex_of(iin=iin, sex=sex, first_name=first_name, middle_name=middle_name) == FEMALE
    forms = {
        case: decline_name(last_name, first_name, middle_name, case=case, sex=FEMALE if female else MALE)
        for case in CASES
    }
    return DeclinedName(forms=forms, female=female)


def join_names(names: Iterable[str]) -> str:
    """«А», «А и Б», «А, Б и В»: several persons named in one sentence."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " и " + names[-1]
