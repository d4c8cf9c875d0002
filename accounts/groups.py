"""The guardian groups a user belongs to, derived from their role, unit, flag and activity (DESIGN §4).

Two kinds of group, one per unit, named by the unit's code:

* ``unit-supervisors:<code>``: the supervisors (heads) of the unit; the cases of the unit and of
  every unit below it are granted to it (``cases.access.grants``);
* ``office-superiors:<code>``: the superior prosecutors of a prosecutor's office (its head and
  deputies, ``User.superior_prosecutor``); the cases whose supervising prosecutor works in that
  office or in an office below it are granted to it.

Memberships are written by ``accounts.services.sync_memberships`` only, but a row in the membership
table is never trusted on its own: ``derived_memberships`` reads only the rows that the user's
current role, unit, flag and activity imply, so a membership added by hand (a shell, raw SQL,
Django's admin) reaches no case.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Concat

from .choices import Role, UnitKind
from .models import Unit, User, superior_prosecutor_fits

SUPERVISORS = "unit-supervisors:"
SUPERIORS = "office-superiors:"


def unit_supervisors_group(unit: Unit) -> Group:
    """The guardian group through which a unit's supervisors see the unit's cases."""
    group, _created = Group.objects.get_or_create(name=f"{SUPERVISORS}{unit.code}")
    return group


def office_superiors_group(unit: Unit) -> Group:
    """The guardian group through which the superior prosecutors of an office hold the prosecutor's
    rights on the cases its prosecutors (and those of the offices below it) supervise."""
    group, _created = Group.objects.get_or_create(name=f"{SUPERIORS}{unit.code}")
    return group


def derived_groups(user: User) -> list[Group]:
    """The groups ``user`` belongs to: a supervisor the supervisors' group of their unit; a superior
    prosecutor the superiors' group of their office; nobody else, and nobody inactive, any group."""
    if not user.is_active or user.unit is None:
        return []
    if user.role == Role.SUPERVISOR:
        return [unit_supervisors_group(user.unit)]
    if user.superior_prosecutor and superior_prosecutor_fits(user.role, user.unit):
        return [office_superiors_group(user.unit)]
    return []


def _named(prefix: str) -> Q:
    """The membership's group is the one of ``prefix`` for the user's own unit (compared in the query)."""
    return Q(group__name=Concat(Value(prefix), F("user__unit__code"), output_field=CharField()))


def derived_memberships(user_id: int, *, using: str) -> QuerySet:
    """``user_id``'s membership rows that their role, unit, flag and activity *as stored now* imply.

    The same rule as ``derived_groups``, as one query over the membership, group, user and unit
    rows: nothing is taken from a (possibly stale) user object, so a role, unit or flag changed a
    moment ago counts at once, and a hand-made membership in any other group counts for nothing."""
    rows = User.groups.through.objects.using(using).filter(user_id=user_id, user__is_active=True)
    return rows.filter(
        (Q(user__role=Role.SUPERVISOR) & _named(SUPERVISORS))
        | (
            Q(user__role=Role.PROSECUTOR, user__superior_prosecutor=True, user__unit__kind=UnitKind.PROSECUTOR_OFFICE)
            & _named(SUPERIORS)
        )
    )
