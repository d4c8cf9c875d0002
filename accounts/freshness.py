"""How recently the user proved who they are, kept in the session as ISO timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiToken

AUTH_AT = "auth_at"  # password sign-in: start of the absolute session lifetime
SEEN_AT = "seen_at"  # last request: the idle timeout
OTP_AT = "otp_at"  # last second-factor confirmation: grave cases need it within 15 min
REAUTH_AT = "reauth_at"  # password + second factor again: approving an act needs it within 5 min


def stamp(request: HttpRequest, *keys: str) -> None:
    now = timezone.now().isoformat()
    for key in keys:
        request.session[key] = now


def age(request: HttpRequest, key: str) -> timedelta | None:
    raw = request.session.get(key)
    if not raw:
        return None
    try:
        return timezone.now() - datetime.fromisoformat(raw)
    except ValueError:
        return None


def is_fresh(request: HttpRequest, key: str, max_age: timedelta) -> bool:
    elapsed = age(request, key)
    return elapsed is not None and timedelta(0) <= elapsed <= max_age


def grave_data_needs_fresh_factor(request) -> bool:
    """THE rule for grave and especially grave cases: whether their data is withheld from this request
    until the second factor is confirmed again.

    Every place that shows anything of a case asks this one function: the case-scoped pages
    (cases/access/views.py), the API (cases/access/api.py), the case list and its search, the access
    log, option lists. A browser session needs a second factor confirmed within
    ECASE_GRAVE_CASE_OTP_MINUTES. An API token holds no second factor: it reaches grave cases only
    when an administrator issued it for them (``cases.access.api.api_restrict``), so the rule is
    answered there and this returns False for it. ``request`` is Django's or DRF's request.
    """
    if isinstance(getattr(request, "auth", None), ApiToken):
        return False
    return not is_fresh(request, OTP_AT, settings.ECASE_GRAVE_CASE_OTP_MAX_AGE)
