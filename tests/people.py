"""The units and people of the suite, as plain builders (tests/conftest.py names each for its relation
to the case): the conftest fixtures and the sweeps' module-wide world (tests/module_data.py) make
the same ones."""

from __future__ import annotations

from accounts.choices import Role, UnitKind
from tests.factories import UnitFactory, make_user


def load_reference_data() -> None:
    """Articles, terms and act types; reloaded when a transactional test's flush emptied them."""
    from django.apps import apps

    from cases.models import CriminalCodeArticle
    from cases.reference_data import load

    if not CriminalCodeArticle.objects.exists():
        load(apps)


# Astana, Taraz and the Astana prosecutor's office: the fields of each unit by its fixture's name.
UNITS = {
    "astana": {"code": "AST", "name_ru": "ДП г. Астана", "name_kk": "Астана қ. ПД", "kind": UnitKind.REGION},
    "taraz": {
        "code": "TRZ",
        "name_ru": "ДП Жамбылской области",
        "name_kk": "Жамбыл облысы ПД",
        "kind": UnitKind.REGION,
        "city": "Тараз",
    },
    "prosecutors_office": {
        "code": "ASTP",
        "name_ru": "Прокуратура г. Астаны",
        "name_kk": "Астана қаласының прокуратурасы",
        "kind": UnitKind.PROSECUTOR_OFFICE,
    },
}


def make_unit(key: str):
    return UnitFactory(**{"city": "Астана", **UNITS[key]})


# Each person of the suite: (role, unit key, extra fields of make_user).
PEOPLE = {
    "investigator": (Role.INVESTIGATOR, "astana", {"last_name": "Ахметов", "first_name": "Нұрлан"}),
    "colleague": (Role.INVESTIGATOR, "astana", {"last_name": "Жұмабеков", "first_name": "Ерболат"}),
    "supervisor": (Role.SUPERVISOR, "astana", {"last_name": "Серікова", "first_name": "Әсем"}),
    "prosecutor": (Role.PROSECUTOR, "prosecutors_office", {"last_name": "Оспанов", "first_name": "Бауыржан"}),
    "superior": (
        Role.PROSECUTOR,
        "prosecutors_office",
        {
            "last_name": "Төлегенов",
            "first_name": "Арман",
            "position": "Прокурор г. Астаны",
            "superior_prosecutor": True,
        },
    ),
    "outsider": (Role.INVESTIGATOR, "taraz", {"last_name": "Қасымов", "first_name": "Дәурен"}),
    "admin": (Role.ADMINISTRATOR, None, {"is_superuser": True}),
}


def make_person(key: str, unit):
    role, _unit_key, extra = PEOPLE[key]
    return make_user(key, role, unit, **extra)
