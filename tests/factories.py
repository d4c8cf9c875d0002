"""Factories for the test suite: people, units and cases built through the real services."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import factory
from django.utils import timezone

from accounts.choices import UnitKind
from accounts.models import Unit, User
from accounts.services import user_create
from cases.iin import check_digit
from cases.models import CriminalCodeArticle
from cases.services.registration import case_register

PASSWORD = "correct-horse-battery-staple-42"
_serial = itertools.count(1000)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name_ru = factory.LazyAttribute(lambda o: f"Отдел {o.code}")
    name_kk = factory.LazyAttribute(lambda o: f"Бөлім {o.code}")
    kind = UnitKind.CITY
    city = "Астана"


def make_user(username: str, role: str, unit: Unit | None, *, is_superuser: bool = False, **extra) -> User:
    user = user_create(
        actor=None,
        username=username,
        role=role,
        unit=unit,
        password=PASSWORD,
        first_name=extra.pop("first_name", "Айдар"),
        last_name=extra.pop("last_name", "Сейткали"),
        position=extra.pop("position", role),
        language=extra.pop("language", "en"),
        **extra,
    )
    if is_superuser:
        user.is_superuser = user.is_staff = True
        user.save()
    return user


def make_iin(born: date, sex: str = "M") -> str:
    """A valid IIN for ``born`` and ``sex`` (a fresh serial each call)."""
    century_digit = {1800: 1, 1900: 3, 2000: 5}[born.year // 100 * 100] + (1 if sex == "F" else 0)
    while True:
        first = f"{born:%y%m%d}{century_digit}{next(_serial) % 10000:04d}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)


def person_data(born: date = date(1985, 3, 14), sex: str = "M", **extra) -> dict:
    data = {
        "iin": make_iin(born, sex),
        "last_name": "Иванов",
        "first_name": "Ерлан",
        "middle_name": "Қанатұлы",
        "birth_date": born,
        "sex": sex,
    }
    data.update(extra)
    return data


def article(code: str) -> CriminalCodeArticle:
    number, part = code.split("-")
    return CriminalCodeArticle.objects.get(article=number, part=int(part))


def register(
    *,
    actor: User,
    unit: Unit | None = None,
    articles=("188-1",),
    form: str | None = None,
    plot: str = "Тайно похитил телефон из сумки потерпевшей.",
    days_ago: int = 1,
    **extra,
):
    chosen = [article(a) for a in articles]
    registered_at = timezone.now() - timedelta(days=days_ago)
    day = extra.get("event_date") or timezone.localdate(registered_at)
    return case_register(
        actor=actor,
        unit=unit or actor.unit,
        articles=chosen,
        proceedings_form=form or usual_form(chosen, day),
        plot=plot,
        registered_at=registered_at,
        **extra,
    )


def usual_form(chosen, day: date) -> str:
    """An inquiry, as most cases; a grave one needs the preliminary investigation (cases/proceedings_forms.py).
    Where the law of ``day`` gives no gravity, the inquiry: the service reports the real error."""
    from django.core.exceptions import ValidationError

    from cases.proceedings_forms import allowed_forms
    from cases.services.registration import gravity_in_force

    try:
        gravity, _versions = gravity_in_force(chosen, day)
    except ValidationError:
        return "inquiry"
    return "inquiry" if "inquiry" in allowed_forms(gravity) else "investigation"


def author_only_requirement(act_type, **steps):
    """The requirements of a test's own act type: signed by its author only, unless ``steps`` add more
    (e.g. ``approval_article="test"``, ``agreement_article="test", agreement_hours=24``)."""
    from datetime import date

    from cases.models import ActRequirement

    existing = ActRequirement.objects.filter(act_type=act_type).first()
    if existing is not None:
        return existing
    return ActRequirement.objects.create(
        act_type=act_type, in_force_from=date(2015, 1, 1), author_article="test", needs_verification=False, **steps
    )
