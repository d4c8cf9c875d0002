"""Writes on users and units, each with an explicit actor and one event in the audit chain.

Rights follow role and assignment only (DESIGN §4). A user's groups are derived here from their
role, unit and activity (``sync_memberships``), never edited by hand; every service that changes
one of those three re-derives them in its own transaction and announces the change
(``rights_changed``) so that the cases app re-derives the user's case grants in the same
transaction. The staff flag follows the role too: only an administrator reaches the admin site.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.choices import EventType
from audit.services import audit_record

from .choices import Role
from .models import Unit, User, UserSession

# Sent (with ``user`` and ``actor``) inside the transaction of every change of a user's role,
# unit or activity; the cases app re-derives the case grants of the user from it.
rights_changed = Signal()

# What an administrator may change on a user's card besides activity and password.
PROFILE_FIELDS = ("first_name", "last_name", "middle_name", "email", "position", "language")
RIGHTS_FIELDS = ("role", "unit")


def unit_supervisors_group(unit: Unit) -> Group:
    """The guardian group through which a unit's supervisors see the unit's cases."""
    group, _created = Group.objects.get_or_create(name=f"unit-supervisors:{unit.code}")
    return group


def derived_groups(user: User) -> list[Group]:
    """The groups ``user`` belongs to by role, unit and activity: a supervisor the supervisors'
    group of their unit; nobody else, and nobody inactive, any group."""
    if user.is_active and user.role == Role.SUPERVISOR and user.unit_id is not None:
        return [unit_supervisors_group(user.unit)]
    return []


def sync_memberships(user: User) -> dict[str, list[str]]:
    """Make ``user``'s groups equal to ``derived_groups``; return the names added and removed.

    Called by the services below inside their transaction; the change goes into their audit row.
    A membership added behind their back (raw SQL, a shell) is removed by the next call.
    """
    desired = {g.pk: g for g in derived_groups(user)}
    current = dict(user.groups.values_list("pk", "name"))
    changes = {
        "added": sorted(g.name for pk, g in desired.items() if pk not in current),
        "removed": sorted(name for pk, name in current.items() if pk not in desired),
    }
    if changes["added"] or changes["removed"]:
        user.groups.set(list(desired.values()))
    return changes


def _end_sessions(user: User) -> int:
    keys = list(UserSession.objects.filter(user=user, ended_at__isnull=True).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).update(ended_at=timezone.now())
    return len(keys)


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    role: str,
    unit: Unit | None,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    middle_name: str = "",
    position: str = "",
    email: str = "",
    language: str = "ru",
) -> User:
    """Create a user; a supervisor joins the supervisors' group of their unit."""
    user = User(
        username=username,
        role=role,
        unit=unit,
        first_name=first_name,
        last_name=last_name,
        middle_name=middle_name,
        position=position,
        email=email,
        language=language,
        is_staff=role == Role.ADMINISTRATOR,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user._history_user = actor
    user.save()
    groups = sync_memberships(user)
    audit_record(
        actor=actor,
        event=EventType.USER_CREATED,
        target=user,
        data={
            "user": user.username,
            "role": role,
            "unit": unit.code if unit else None,
            "groups": groups,
            "password": "set" if password else "unusable",
        },
    )
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, reason: str = "", **changes) -> User:
    """Change a user's role, unit or details (``PROFILE_FIELDS``, ``RIGHTS_FIELDS``).

    An administrator never changes their own role or unit: that is how they would reach cases
    (DESIGN §1, "cannot grant himself any"). A change of role or unit re-derives groups and grants.
    """
    unknown = set(changes) - set(PROFILE_FIELDS) - set(RIGHTS_FIELDS)
    if unknown:
        raise ValueError(f"user_update changes only {PROFILE_FIELDS + RIGHTS_FIELDS}, not {sorted(unknown)}")
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {name: getattr(user, name) for name in changes}
    changed = {name: value for name, value in changes.items() if before[name] != value}
    if not changed:
        return user
    rights = bool(set(changed) & set(RIGHTS_FIELDS))
    if rights and actor is not None and actor.pk == user.pk:
        raise ValidationError(_("You cannot change your own role or unit; another administrator does it."))
    for name, value in changed.items():
        setattr(user, name, value)
    # The flags follow the role: only an administrator reaches the administrators' site.
    user.is_staff = user.role == Role.ADMINISTRATOR
    user.is_superuser = user.is_superuser and user.role == Role.ADMINISTRATOR
    user.full_clean()
    user._history_user = actor
    user._change_reason = reason or None
    user.save()
    data = {
        "user": user.username,
        "reason": reason,
        "changed": {name: [_plain(before[name]), _plain(value)] for name, value in changed.items()},
    }
    if rights:
        data["groups"] = sync_memberships(user)
        rights_changed.send(sender=User, user=user, actor=actor)
    audit_record(actor=actor, event=EventType.USER_CHANGED, target=user, data=data)
    return user


def _plain(value):
    return value.code if isinstance(value, Unit) else value


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str | None) -> User:
    """An administrator sets a user's password (``None``: password sign-in disabled); checked
    against the password rules. The user's other sessions end with the old password's hash."""
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user._history_user = actor
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        event=EventType.PASSWORD_SET,
        target=user,
        data={"user": user.username, "password": "set" if password is not None else "unusable"},
    )
    return user


@transaction.atomic
def user_change_own_password(*, actor: User, password: str) -> User:
    """The signed-in user changes their own password (the form has checked the old one)."""
    validate_password(password, actor)
    actor.set_password(password)
    actor._history_user = actor
    actor.save(update_fields=["password"])
    audit_record(actor=actor, event=EventType.PASSWORD_CHANGED, target=actor, data={"user": actor.username})
    return actor


@transaction.atomic
def user_reset_second_factor(*, actor: User, user: User, reason: str) -> User:
    """A lost authenticator: remove the user's TOTP devices and end their sessions, so the next
    sign-in enrols a new one (TwoFactorRequiredMiddleware sends a user without a device there)."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State why the second factor is reset.")})
    removed, _per_model = TOTPDevice.objects.filter(user=user).delete()
    sessions = _end_sessions(user)
    audit_record(
        actor=actor,
        event=EventType.OTP_RESET,
        target=user,
        data={"user": user.username, "reason": reason, "devices_removed": removed, "sessions_ended": sessions},
    )
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


def _set_active(user: User, active: bool, *, actor: User, reason: str) -> dict[str, list[str]]:
    """Flip the account's activity (history names actor and reason); groups and case grants follow at once."""
    user.is_active = active
    user._history_user = actor
    user._change_reason = reason
    user.save(update_fields=["is_active"])
    groups = sync_memberships(user)
    rights_changed.send(sender=User, user=user, actor=actor)
    return groups


@transaction.atomic
def user_deactivate(*, actor: User, user: User, reason: str) -> User:
    """Deactivate a user: every session of theirs ends at once (CJIS 5.5.6), groups and grants go."""
    groups = _set_active(user, False, actor=actor, reason=reason)
    sessions = _end_sessions(user)
    audit_record(
        actor=actor,
        event=EventType.USER_DEACTIVATED,
        target=user,
        data={"user": user.username, "reason": reason, "sessions_ended": sessions, "groups": groups},
    )
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User, reason: str) -> User:
    """Let a deactivated user sign in again; groups and grants are derived afresh from role and unit."""
    groups = _set_active(user, True, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        event=EventType.USER_REACTIVATED,
        target=user,
        data={"user": user.username, "reason": reason, "groups": groups},
    )
    return user
