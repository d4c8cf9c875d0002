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
from rest_framework.throttling import SimpleRateThrottle

from audit.choices import EventType, Outcome
from audit.services import audit_record

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
        audit_record(actor=token.user if token else None, actor_label="" if token else "anonymous",
                     event=EventType.ACCESS_DENIED, outcome=Outcome.DENIED,
                     data={"reason": reason, "token": token.prefix if token else None,
                           "path": request.path, "method": request.method})
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
        return request.method in permissions.SAFE_METHODS or token is None or token.can_write


class ApiRateThrottle(SimpleRateThrottle):
    """Requests per token (scope ``api_token``), per session user (``api_user``), per address (``api_anon``)."""

    def get_rate(self):
        return None  # decided per request in allow_request

    def allow_request(self, request, view):
        token = api_token_of(request)
        if token is not None:
            self.scope, ident = "api_token", f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            self.scope, ident = "api_user", f"user:{request.user.pk}"
        else:
            self.scope, ident = "api_anon", self.get_ident(request)
        # Read at request time (not import time), so a deployment or a test can change the rates.
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def get_cache_key(self, request, view):  # pragma: no cover - allow_request builds the key itself
        return None
