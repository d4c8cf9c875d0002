"""Writes on users and units, each with an explicit actor and one event in the audit chain.

Rights follow role and assignment only (DESIGN §4). A user's groups are derived from their
role, unit, superior-prosecutor flag and activity (``sync_memberships``, accounts/groups.py), never
edited by hand; every service that changes one of those re-derives them in its own transaction
and announces the change (``rights_changed``) so that the cases app re-derives the user's case
grants in the same transaction. The staff flag follows the role too (an administrator's mark; the administration
workspace itself decides by role).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.choices import EventType, Outcome
from audit.services import audit_record
from ecase.history import attribute

from .choices import Role

# Derived in accounts/groups.py; re-exported for the callers that take them from the services.
from .groups import derived_groups, office_superiors_group, unit_supervisors_group  # noqa: F401
from .models import Unit, User, UserSession

# Sent (with ``user`` and ``actor``) inside the transaction of every change of a user's role,
# unit, superior-prosecutor flag or activity; the cases app re-derives the user's case grants from it.
rights_changed = Signal()

# What an administrator may change on a user's card besides activity and password.
PROFILE_FIELDS = ("first_name", "last_name", "middle_name", "email", "position", "position_kk", "language")
# A change of any of these re-derives groups and case grants (``rights_changed``).
RIGHTS_FIELDS = ("role", "unit", "superior_prosecutor")


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
    position_kk: str = "",
    email: str = "",
    language: str = "ru",
    superior_prosecutor: bool = False,
) -> User:
    """Create a user; a supervisor joins the supervisors' group of their unit, a superior prosecutor
    the superiors' group of their office."""
    user = User(
        username=username,
        role=role,
        unit=unit,
        superior_prosecutor=superior_prosecutor,
        first_name=first_name,
        last_name=last_name,
        middle_name=middle_name,
        position=position,
        position_kk=position_kk,
        email=email,
        language=language,
        is_staff=role == Role.ADMINISTRATOR,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    attribute(user, actor=actor, reason=None)
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
            "superior_prosecutor": superior_prosecutor,
            "groups": groups,
            "password": "set" if password else "unusable",
        },
    )
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, reason: str = "", **changes) -> User:
    """Change a user's role, unit, superior-prosecutor flag or details (``PROFILE_FIELDS``, ``RIGHTS_FIELDS``).

    An administrator never changes their own rights: that is how they would reach cases (DESIGN §1,
    "cannot grant himself any"). A change of role, unit or the flag re-derives groups and grants; a
    flag the new role or unit does not admit is refused (``User.clean``), never dropped silently.
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
    # The flags follow the role: only an administrator carries them (they grant nothing by themselves).
    user.is_staff = user.role == Role.ADMINISTRATOR
    user.is_superuser = user.is_superuser and user.role == Role.ADMINISTRATOR
    user.full_clean()
    attribute(user, actor=actor, reason=reason or None)
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
    attribute(user, actor=actor, reason=None)
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
    attribute(actor, actor=actor, reason=None)
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
    """Remember a new signed-in session (called on login, after Django rotated the session key).

    Not an audit row of its own: the login's ``auth.login`` event, written beside it, is that."""
    return UserSession.objects.create(user=user, session_key=session_key, ip=ip, user_agent=user_agent[:300])


def session_seen(*, session_key: str) -> None:
    """Bookkeeping of the sessions page ("last seen"); the middleware calls it at most every few minutes.
    No audit row: it records no decision, and one per request would drown the chain."""
    UserSession.objects.filter(session_key=session_key).update(last_seen_at=timezone.now())


@transaction.atomic
def session_end(*, actor: User, session_key: str, current_key: str | None = None) -> bool:
    """``actor`` ends one of their own sessions; returns False when it was not theirs or already ended.

    Only the actor's own sessions are looked up, so a key of somebody else's session is the same
    as an unknown one: nothing happens and nothing tells it apart."""
    record = (
        UserSession.objects.select_for_update()
        .filter(user=actor, session_key=session_key, ended_at__isnull=True)
        .first()
    )
    if record is None:
        return False
    Session.objects.filter(session_key=session_key).delete()
    record.ended_at = timezone.now()
    record.save(update_fields=["ended_at"])
    audit_record(actor=actor, event=EventType.SESSION_ENDED, data={"current": session_key == current_key})
    return True


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still exist and have not expired."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return list(UserSession.objects.filter(user=user, ended_at__isnull=True, session_key__in=live))


def _set_active(user: User, active: bool, *, actor: User, reason: str) -> dict[str, list[str]]:
    """Flip the account's activity (history names actor and reason); groups and case grants follow at once."""
    user.is_active = active
    attribute(user, actor=actor, reason=reason)
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


# --- the user's own settings and second factor ---------------------------------------------------------


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    """The signed-in user chooses their interface language (kept on the profile, so it follows them)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    user = User.objects.select_for_update().get(pk=actor.pk)
    before = user.language
    if before == language:
        return user
    user.language = language
    attribute(user, actor=actor, reason=None)
    user.save(update_fields=["language"])
    audit_record(
        actor=actor,
        event=EventType.USER_CHANGED,
        target=user,
        data={"user": user.username, "reason": "", "changed": {"language": [before, language]}},
    )
    return user


def otp_device_for_enrolment(*, actor: User) -> TOTPDevice | None:
    """The not yet confirmed authenticator ``actor`` is enrolling (made at the first visit of the
    enrolment page), or None when they are enrolled already: a second device is added only after
    an administrator's reset. The key is audited when it is confirmed (``otp_enrol``)."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=actor, confirmed=True).exists():
            return None
        device, _created = TOTPDevice.objects.get_or_create(user=actor, confirmed=False, defaults={"name": "ecase"})
        return device


def otp_confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def otp_check(*, actor: User, device: TOTPDevice, token: str, event: str | None = None) -> bool:
    """Check a code of ``actor``'s own device with django-otp's throttling (which writes the device's
    failure counter and last used step). A refusal is audited; a success records ``event`` if given.
    The session's part (django-otp's login, the freshness stamp) stays with the view: it has the request."""
    if device.user_id != actor.pk:
        raise ValueError("a code is checked against the actor's own device only")
    allowed, _detail = device.verify_is_allowed()
    if allowed and device.verify_token(token):
        if event is not None:
            audit_record(actor=actor, event=event)
        return True
    audit_record(actor=actor, event=EventType.OTP_FAILED, outcome=Outcome.FAILED, data={"throttled": not allowed})
    return False


@transaction.atomic
def otp_enrol(*, actor: User, device: TOTPDevice, token: str) -> bool:
    """Confirm the authenticator being enrolled with its first code; audited either way."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=actor, confirmed=False)
    if not otp_check(actor=actor, device=device, token=token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=actor, event=EventType.OTP_ENROLLED)
    return True


# --- units ------------------------------------------------------------------------------------------

# What an administrator may change on a unit once it exists. The code and the place in the tree are
# fixed: the code is in every registration number and names the unit's supervisors' group, and the
# path is what the supervisors' case grants were derived from; moving a unit would leave those grants
# with the old superiors (nothing re-derives a whole subtree's cases), so a reorganisation is a new unit.
UNIT_FIELDS = ("name_ru", "name_kk", "kind", "city")


@transaction.atomic
def unit_create(
    *, actor: User, code: str, name_ru: str, name_kk: str, kind: str, city: str, parent: Unit | None = None
) -> Unit:
    unit = Unit(code=code, name_ru=name_ru, name_kk=name_kk, kind=kind, city=city, parent=parent)
    unit.path = (parent.path if parent else "") + f"{code}/"
    unit.full_clean()
    attribute(unit, actor=actor, reason=None)
    unit.save()
    audit_record(
        actor=actor,
        event=EventType.UNIT_CREATED,
        target=unit,
        data={"unit": unit.code, "parent": parent.code if parent else None, "name_ru": name_ru, "kind": kind},
    )
    return unit


@transaction.atomic
def unit_update(*, actor: User, unit: Unit, reason: str = "", **changes) -> Unit:
    """Change a unit's names, kind or city (``UNIT_FIELDS``); the code and the parent never change."""
    unknown = set(changes) - set(UNIT_FIELDS)
    if unknown:
        raise ValidationError(
            _("A unit's code and place in the tree do not change; a reorganised unit is created anew.")
            if unknown & {"code", "parent"}
            else f"unit_update changes only {UNIT_FIELDS}, not {sorted(unknown)}"
        )
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    changed = {name: (getattr(unit, name), value) for name, value in changes.items() if getattr(unit, name) != value}
    if not changed:
        return unit
    # The superior prosecutors' rights rest on their unit being a prosecutor's office: another kind
    # would leave them flagged but powerless (accounts/groups.py), so the flags are taken off first.
    if "kind" in changed and User.objects.filter(unit=unit, superior_prosecutor=True).exists():
        raise ValidationError(
            {
                "kind": _(
                    "Superior prosecutors work in this office: take their designation off before changing its kind."
                )
            }
        )
    for name, (_before, value) in changed.items():
        setattr(unit, name, value)
    unit.full_clean()
    attribute(unit, actor=actor, reason=reason or None)
    unit.save()
    audit_record(
        actor=actor,
        event=EventType.UNIT_CHANGED,
        target=unit,
        data={"unit": unit.code, "reason": reason, "changed": {name: list(pair) for name, pair in changed.items()}},
    )
    return unit
