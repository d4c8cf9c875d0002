"""Writes on users and units, each with an explicit actor."""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from audit.choices import EventType
from audit.services import audit_record

from .choices import Role
from .models import Unit, User, UserSession


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


def session_record_login(*, user: User, session_key: str, ip: str | None, user_agent: str) -> UserSession:
    """Remember a new signed-in session (called on login, after Django rotated the session key)."""
    return UserSession.objects.create(user=user, session_key=session_key, ip=ip, user_agent=user_agent[:300])


def session_end(*, user: User, session_key: str) -> bool:
    """End one of ``user``'s own sessions; returns False when it was not theirs or already ended."""
    record = UserSession.objects.filter(user=user, session_key=session_key, ended_at__isnull=True).first()
    if record is None:
        return False
    Session.objects.filter(session_key=session_key).delete()
    record.ended_at = timezone.now()
    record.save(update_fields=["ended_at"])
    return True


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still exist and have not expired."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return list(UserSession.objects.filter(user=user, ended_at__isnull=True, session_key__in=live))


@transaction.atomic
def user_deactivate(*, actor: User, user: User, reason: str) -> User:
    """Deactivate a user: every session of theirs ends at once (CJIS 5.5.6)."""
    user.is_active = False
    user._history_user = actor
    user._change_reason = reason
    user.save(update_fields=["is_active"])
    keys = list(UserSession.objects.filter(user=user, ended_at__isnull=True).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).update(ended_at=timezone.now())
    audit_record(actor=actor, event=EventType.USER_DEACTIVATED, target=user,
                 data={"user": user.username, "reason": reason, "sessions_ended": len(keys)})
    return user
