"""API tokens: issue, revoke, look up (issue #7). Writes name their actor and leave an audit row.

A token reads ``ecase_<prefix>_<secret>``: the prefix (10 hex digits) is public and finds the
row; the secret is 256 random bits. The database keeps the prefix and the SHA-256 of the whole
token, never the token itself, so a stolen table or backup lets nobody in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.choices import EventType
from audit.services import audit_record

from ..choices import Role
from ..models import ApiToken, User

DEFAULT_DAYS = 90
MAX_DAYS = 365
_TOKEN = re.compile(r"^ecase_([0-9a-f]{10})_([A-Za-z0-9_-]{43})$")


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    while True:
        prefix = secrets.token_hex(5)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix, f"ecase_{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def token_issue(
    *,
    user: User,
    name: str,
    actor: User | None,
    actor_label: str = "",
    days: int = DEFAULT_DAYS,
    can_write: bool = False,
    grave_cases: bool = False,
) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns the row and the token, which is shown this once only.

    ``grave_cases`` lets the token reach grave and especially grave cases, which a browser opens
    only after a fresh second factor: a named administrator must grant it, and the audit row says so.
    """
    errors = {}
    if not user.is_active:
        errors["user"] = _("The user is deactivated.")
    elif user.role == Role.ADMINISTRATOR:
        errors["user"] = _("Administrators do not read case contents: a token would have nothing to read.")
    if can_write and user.role == Role.PROSECUTOR:
        # The prosecutor reviews the file; through the API nothing is written on their behalf.
        errors["can_write"] = _("A prosecutor's token is read-only.")
    if grave_cases and (actor is None or actor.role != Role.ADMINISTRATOR or not actor.is_active):
        errors["grave_cases"] = _("Only a named administrator may open grave cases to a token.")
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = _("A token lives between 1 and %(max)s days.") % {"max": MAX_DAYS}
    if not (name or "").strip():
        errors["name"] = _("Name the system that will hold the token.")
    if errors:
        raise ValidationError(errors)
    prefix, raw = _new_token()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:200],
        prefix=prefix,
        digest=digest_of(raw),
        can_write=can_write,
        grave_cases=grave_cases,
        created_by=actor,
        expires_at=now + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event=EventType.TOKEN_ISSUED,
        target=token,
        data={
            "user": user.username,
            "prefix": prefix,
            "name": token.name,
            "can_write": can_write,
            "grave_cases": grave_cases,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User | None, actor_label: str = "", reason: str = "") -> ApiToken:
    """Revoke a token at once; the row stays, for the audit trail."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError(_("The token was revoked already."), code="revoked")
    token.revoked_at, token.revoked_by = timezone.now(), actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event=EventType.TOKEN_REVOKED,
        target=token,
        data={"user": token.user.username, "prefix": token.prefix, "reason": reason},
    )
    return token


def token_lookup(raw: str) -> ApiToken | None:
    """The token row whose secret ``raw`` is (whatever its state), or None. Constant-time comparison."""
    match = _TOKEN.match(raw or "")
    if match is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=match.group(1)).first()
    if token is None or not hmac.compare_digest(token.digest, digest_of(raw)):
        return None
    return token


def token_usable(raw: str) -> bool:
    """Whether ``raw`` is a token that would be let in now (ECASE_BEARER_TOKEN_USABLE: the body limit asks it
    before any authentication runs). Reads only: no audit row, no last-use update."""
    token = token_lookup(raw)
    return token is not None and token.refusal() is None


def token_touch(token: ApiToken, *, every: timedelta = timedelta(minutes=1)) -> None:
    """Record the last use, at most once a minute (no write on every request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > every:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
