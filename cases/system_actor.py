"""The account the Celery workers act as: history and audit rows of their writes name it.

``system.renderer`` is an administrator without a unit and without a usable password: it
cannot sign in, holds no case grant (``restrict`` shows it nothing), and is the only holder
of the workflow's ``SYSTEM`` right (the ``sign`` step). A person's account that happens to
carry the name but has a password is not the system.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.choices import Role
from accounts.models import User
from accounts.services import user_create

SYSTEM_USERNAME = "system.renderer"


def system_actor() -> User:
    """The rendering worker's account, created on first use."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return user_create(
                actor=None,
                username=SYSTEM_USERNAME,
                role=Role.ADMINISTRATOR,
                unit=None,
                password=None,
                last_name="ecase",
                first_name="renderer",
                position="Система формирования актов / Актілерді қалыптастыру жүйесі",
            )
    except IntegrityError:  # another worker created it at the same moment
        return User.objects.get(username=SYSTEM_USERNAME)


def is_system_actor(user: User | None) -> bool:
    return (
        user is not None
        and user.pk is not None
        and user.username == SYSTEM_USERNAME
        and user.role == Role.ADMINISTRATOR
        and not user.has_usable_password()
    )
