"""Writes on users and units, each with an explicit actor."""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from .choices import Role
from .models import Unit, User


def unit_supervisors_group(unit: Unit) -> Group:
    """The guardian group through which a unit's supervisors see the unit's cases."""
    group, _ = Group.objects.get_or_create(name=f"unit-supervisors:{unit.code}")
    return group


@transaction.atomic
def user_create(*, actor: User | None, username: str, role: str, unit: Unit | None, password: str | None,
                first_name: str = "", last_name: str = "", middle_name: str = "", position: str = "",
                email: str = "", language: str = "ru") -> User:
    """Create a user; a supervisor joins the supervisors' group of their unit."""
    user = User(username=username, role=role, unit=unit, first_name=first_name, last_name=last_name,
                middle_name=middle_name, position=position, email=email, language=language)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user._history_user = actor
    user.save()
    if role == Role.SUPERVISOR and unit is not None:
        user.groups.add(unit_supervisors_group(unit))
    return user
