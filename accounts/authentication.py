"""Bearer tokens for the JSON API: authentication, the read-only rule and throttling per token.

``Authorization: Bearer ecase_<prefix>_<secret>``. Every request looks the token and its user
up afresh, so a revoked token, an expired one or one whose user was deactivated is refused
from the next request on. Refusals are audited (who tried, with which token prefix).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from audit.choices import EventType, Outcome
from audit.services import audit_record
from ecase import ratelimit
from ecase.client_ip import client_ip

from .api.tokens import token_lookup, token_touch
from .models import ApiToken

KEYWORD = "Bearer"
REFUSALS = {
    "token_invalid": _("The token is not valid."),
    "token_revoked": _("The token was revoked."),
    "token_expired": _("The token has expired."),
    "user_inactive": _("The token's user is deactivated."),
}


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticate a system by its API token; the request acts as the token's user."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            self._refuse(request, None, "token_invalid")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            self._refuse(request, None, "token_invalid")
        token = token_lookup(raw)
        if token is None:
            self._refuse(request, None, "token_invalid")
        reason = token.refusal()
        if reason is not None:
            self._refuse(request, token, reason)
        token_touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="ecase"'

    @staticmethod
    def _refuse(request, token: ApiToken | None, reason: str):
        # A refused token is an unauthenticated request: counted per address at the anonymous rate,
        # so nobody floods the audit trail (a row per refusal) with made-up tokens. Past the limit
        # the answer is 429, and no more rows are written in that window.
        rate = rate_of("api_anon")
        if rate is not None:
            count, wait = ratelimit.count(f"refused:{client_ip(request)}", rate[1])
            if count > rate[0]:
                raise exceptions.Throttled(wait)
        audit_record(
            actor=token.user if token else None,
            actor_label="" if token else "anonymous",
            event=EventType.ACCESS_DENIED,
            outcome=Outcome.DENIED,
            data={
                "reason": reason,
                "token": token.prefix if token else None,
                "path": request.path,
                "method": request.method,
            },
        )
        raise exceptions.AuthenticationFailed(REFUSALS[reason], code=reason)


def api_token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class TokenWriteScope(permissions.BasePermission):
    """A read-only token reads; only a token issued for writing may change anything."""

    message = _("This API token is read-only.")
    code = "token_read_only"

    def has_permission(self, request, view) -> bool:
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        # Checked on the object, after the scope lookup: outside the scope stays 404.
        token = api_token_of(request)
        return request.method in permissions.SAFE_METHODS or token is None or token.may_write


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_of(scope: str) -> tuple[int, int] | None:
    """The scope's rate as (requests, seconds), e.g. "600/min" → (600, 60); None when unlimited.

    Read at request time (not import time), so a deployment or a test can change the rates.
    """
    # drf-stubs types the rates as numbers; DRF's are strings such as "600/min" (its throttling stub agrees).
    rate: str | None = api_settings.DEFAULT_THROTTLE_RATES.get(scope)  # type: ignore[assignment]
    if rate is None:
        return None
    limit, period = rate.split("/")
    return int(limit), PERIODS[period[0]]


class ApiRateThrottle(BaseThrottle):
    """Requests per token (rate ``api_token``), per session user (``api_user``), per address (``api_anon``)."""

    def allow_request(self, request, view) -> bool:
        token = api_token_of(request)
        if token is not None:
            scope, ident = "api_token", f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            scope, ident = "api_user", f"user:{request.user.pk}"
        else:
            scope, ident = "api_anon", f"address:{client_ip(request)}"
        rate = rate_of(scope)
        if rate is None:
            return True
        count, self.remaining = ratelimit.count(ident, rate[1])
        return count <= rate[0]

    def wait(self) -> float:
        return self.remaining
