"""Policy entries for the administration workspace (``/manage/``); merged into tests/policy.py.

Administrators only: every other signed-in role gets 403, as on any route not for its role. The
sweep's POSTs change no other user's account (tests/test_access_sweep.py checks that for every
request), so the user forms are posted with data the form refuses (200, the form again); the real
writes are swept in tests/test_admin_sweep.py.
"""

from django.urls import reverse

from tests.policy import Route

ADMIN = frozenset({"admin"})


def _unit(w, own: bool) -> str:
    return reverse("manage:unit", args=[w.case.unit_id])


def _user(name: str):
    return lambda w, own: reverse(name, args=[w.people["investigator"].pk])


def _article(w, own: bool) -> str:
    from cases.models import CriminalCodeArticle

    return reverse("reference:article", args=[CriminalCodeArticle.objects.order_by("pk").first().pk])


def _unit_data(w) -> dict:
    return {"name_ru": "ДП г. Астана", "name_kk": "Астана қ. ПД", "kind": "region", "city": "Астана", "reason": "Тест"}


def _new_unit(w) -> dict:
    return {**_unit_data(w), "code": "SWEEP1", "parent": w.case.unit.code, "kind": "district"}


def _new_user(w) -> dict:
    # The second password differs: the form again, no account created.
    return {
        "username": "sweep.newcomer",
        "last_name": "Нұров",
        "first_name": "Ілияс",
        "role": "investigator",
        "unit": w.case.unit.code,
        "language": "ru",
        "password1": "another-correct-horse-battery-77",
        "password2": "another-correct-horse-battery-78",
    }


def _user_change(w) -> dict:
    # An investigator without a unit: refused by the form, nothing changes.
    user = w.people["investigator"]
    return {
        "last_name": user.last_name,
        "first_name": user.first_name,
        "role": "investigator",
        "unit": "",
        "language": "ru",
        "position": "Следователь",
        "position_kk": "Тергеуші",
    }


POLICY: dict = {
    "manage:home": Route(allowed=ADMIN),
    "manage:units": Route(allowed=ADMIN),
    "manage:unit-new": Route(allowed=ADMIN),
    "manage:unit-new#post": Route(method="POST", allowed=ADMIN, ok=302, data=_new_unit),
    "manage:unit": Route(allowed=ADMIN, url=_unit),
    "manage:unit#post": Route(method="POST", allowed=ADMIN, ok=302, url=_unit, data=_unit_data),
    "manage:users": Route(allowed=ADMIN),
    "manage:user-new": Route(allowed=ADMIN),
    "manage:user-new#post": Route(method="POST", allowed=ADMIN, data=_new_user),
    "manage:user": Route(allowed=ADMIN, url=_user("manage:user")),
    "manage:user#post": Route(method="POST", allowed=ADMIN, url=_user("manage:user"), data=_user_change),
    # Without a reason (or, reactivating an active account, refused): the form again, nothing changes.
    "manage:user-deactivate": Route(allowed=ADMIN, url=_user("manage:user-deactivate")),
    "manage:user-deactivate#post": Route(
        method="POST", allowed=ADMIN, url=_user("manage:user-deactivate"), data=lambda w: {"reason": ""}
    ),
    "manage:user-reactivate": Route(allowed=ADMIN, url=_user("manage:user-reactivate")),
    "manage:user-reactivate#post": Route(
        method="POST", allowed=ADMIN, url=_user("manage:user-reactivate"), data=lambda w: {"reason": "Вернулся"}
    ),
    "manage:user-second-factor": Route(allowed=ADMIN, url=_user("manage:user-second-factor")),
    "manage:user-second-factor#post": Route(
        method="POST", allowed=ADMIN, url=_user("manage:user-second-factor"), data=lambda w: {"reason": ""}
    ),
    "manage:user-password": Route(allowed=ADMIN, url=_user("manage:user-password")),
    "manage:user-password#post": Route(
        method="POST",
        allowed=ADMIN,
        url=_user("manage:user-password"),
        data=lambda w: {"password1": "another-correct-horse-battery-77", "password2": "different"},
    ),
    "reference:articles": Route(allowed=ADMIN),
    "reference:article": Route(allowed=ADMIN, url=_article),
    "reference:act-types": Route(allowed=ADMIN),
    "reference:act-type": Route(allowed=ADMIN, url=lambda w, own: reverse("reference:act-type", args=[w.act_type.pk])),
}
